/**
 * The rules every value must pass before it is written, the same on both
 * backends so that moving a bridge from SQLite to PostgreSQL never turns a
 * working write into a failing one:
 * - text is well-formed Unicode without NUL (PostgreSQL cannot store NUL, and
 *   a lone surrogate would come back as U+FFFD);
 * - identifiers, the fields rows are looked up by, are at most
 *   `MAX_ID_BYTES` UTF-8 bytes, because PostgreSQL refuses a btree index entry
 *   over about 2.7 kB and our widest index has three of them;
 * - numbers are safe integers (SQLite would keep 1.5, PostgreSQL's BIGINT not).
 */
import { StoreValueError } from "./store-errors.ts";

export const MAX_ID_BYTES = 768;

function textProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string, got ${value === null ? "null" : typeof value}`;
  if (value.includes("\0")) return "contains a NUL character, which PostgreSQL cannot store";
  if (!value.isWellFormed()) return "contains a lone UTF-16 surrogate, which is not Unicode text";
  return undefined;
}

function idProblem(value: unknown): string | undefined {
  const p = textProblem(value);
  if (p !== undefined) return p;
  const bytes = Buffer.byteLength(value as string, "utf8");
  return bytes > MAX_ID_BYTES ? `is ${bytes} UTF-8 bytes long; identifiers are at most ${MAX_ID_BYTES}` : undefined;
}

/** Free text of any length (message payloads, names, state values). */
export function checkText(field: string, value: unknown): string {
  const p = textProblem(value);
  if (p !== undefined) throw new StoreValueError(field, p);
  return value as string;
}

/** Optional free text; an empty string counts as absent (stored as NULL). */
export function checkOptionalText(field: string, value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  return checkText(field, value);
}

/** A field rows are looked up by. */
export function checkId(field: string, value: unknown): string {
  const p = idProblem(value);
  if (p !== undefined) throw new StoreValueError(field, p);
  return value as string;
}

/** An optional identifier; an empty string counts as absent. */
export function checkOptionalId(field: string, value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  return checkId(field, value);
}

/**
 * Whether a lookup key could ever have been written. Lookups by a key that
 * could not (a hostile 10 kB origin-id, say) answer "not found" without a
 * round trip, rather than failing; a key that is not even a string is a
 * caller bug and throws.
 */
export function isStorableId(field: string, value: unknown): value is string {
  if (typeof value !== "string") throw new StoreValueError(field, `must be a string, got ${typeof value}`);
  return idProblem(value) === undefined;
}

export function checkInteger(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new StoreValueError(field, `must be a safe integer, got ${String(value)}`);
  }
  return value;
}

export function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new StoreValueError(field, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${String(value)}`);
  }
  return found;
}
