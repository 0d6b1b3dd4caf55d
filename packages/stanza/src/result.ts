/**
 * Parsers in @parley/stanza never throw on input they did not produce: they
 * return a Result. Builders may throw a TypeError on programmer error (a value
 * the type system should have prevented), never on remote data.
 */

/** Why a piece of XML was not accepted. `code` is stable; `message` is for people. */
export interface ParseError {
  readonly code: ParseErrorCode;
  readonly message: string;
  /** Where in the stanza, as a path of `name` or `name[ns]` steps, e.g. `message/reactions`. */
  readonly path?: string;
}

export type ParseErrorCode =
  | "xml-malformed"
  | "xml-too-large"
  | "unexpected-element"
  | "missing-attribute"
  | "invalid-attribute"
  | "missing-element"
  | "invalid-element"
  | "invalid-text"
  | "invalid-jid";

export type Result<T, E = ParseError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E = ParseError>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

export function parseError(code: ParseErrorCode, message: string, path?: string): ParseError {
  return path === undefined ? { code, message } : { code, message, path };
}

/** Unwraps a result, throwing a `StanzaParseError` carrying the ParseError. For tests and trusted input. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new StanzaParseError(result.error);
}

export class StanzaParseError extends Error {
  readonly detail: ParseError;
  constructor(detail: ParseError) {
    super(detail.path ? `${detail.path}: ${detail.message}` : detail.message);
    this.name = "StanzaParseError";
    this.detail = detail;
  }
}
