/**
 * Guards for values a connector reads from outside: a network's JSON
 * payloads, and what it saved itself in its state (`ConnectorState`), which
 * an older version or a hand edit may have left in another shape.
 */

/** A JSON object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * A list of strings saved as JSON (e.g. with `JSON.stringify` in the
 * connector's state): the strings in it, or none when `raw` is absent, is
 * not JSON or is not a list. Entries that are not strings are left out.
 */
export function stringListOf(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return []; // a saved list that is not JSON counts as empty
  }
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
