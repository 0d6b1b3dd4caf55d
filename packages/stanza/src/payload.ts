/**
 * A payload codec states, once, how one XML payload maps to one TypeScript
 * value: the element's name and namespace, how to read it (never throwing) and
 * how to write it. Stanza parsers dispatch children to codecs by name and
 * namespace in a single pass.
 */
import type { Element } from "./xml.ts";
import type { Result } from "./result.ts";

export interface PayloadCodec<T> {
  /** Local name of the payload element. */
  readonly name: string;
  /** Namespace of the payload element. */
  readonly ns: string;
  /** Reads the element; returns a ParseError for anything the XEP does not allow. */
  parse(el: Element): Result<T>;
  /** Writes the value as an element carrying its own xmlns. */
  build(value: T): Element;
}

/**
 * A field of a stanza type carried by one payload codec: `key` is the property
 * of the typed stanza, `multiple` when the element may repeat (the property is
 * then an array of values, in document order).
 */
export interface PayloadField<S, K extends keyof S & string = keyof S & string> {
  readonly key: K;
  readonly codec: PayloadCodec<unknown>;
  readonly multiple: boolean;
}

export function field<S, K extends keyof S & string>(
  key: K,
  codec: PayloadCodec<NonNullable<S[K]> extends ReadonlyArray<infer E> ? E : NonNullable<S[K]>>,
  options: { multiple?: boolean } = {},
): PayloadField<S, K> {
  return { key, codec: codec as PayloadCodec<unknown>, multiple: options.multiple ?? false };
}

/** The dispatch key for a payload: its namespace and local name. */
export function payloadKey(ns: string, name: string): string {
  return `${ns}\u0000${name}`;
}
