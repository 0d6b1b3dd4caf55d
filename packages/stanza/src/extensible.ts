/**
 * The single pass message and presence parsers share: each child element is
 * either a core child the caller handles, a payload some field's codec reads,
 * or something we do not know, which is kept so that nothing is lost.
 */
import type { FieldTable, PayloadField } from "./payload.ts";
import type { ParseError } from "./result.ts";
import { parseStanzaError } from "./stanza-error.ts";
import { type Element, isCoreChild, localNameOf, nsOf } from "./xml.ts";

/** What every extensible stanza carries besides its typed payloads. */
export interface Extensible {
  /** Children no registered codec claimed, in document order, kept verbatim. */
  readonly extra: readonly Element[];
  /** Payloads a codec refused (their elements are also in `extra`). */
  readonly invalid: readonly ParseError[];
}

/**
 * Reads one child into `out` if a field claims it. Returns false when no field
 * does; the caller then decides whether it is a core child or an extra.
 */
export function readPayload<S>(
  child: Element,
  table: FieldTable<S>,
  out: Record<string, unknown>,
  invalid: ParseError[],
  extra: Element[],
  stanzaName: string,
): boolean {
  const ns = nsOf(child);
  if (ns === undefined) return false;
  const byName = table.get(ns);
  if (byName === undefined) return false;
  const name = localNameOf(child);
  const f = byName.get(name);
  if (f === undefined) return false;
  const r = f.codec.parse(child);
  if (!r.ok) {
    const path = r.error.path ? `${stanzaName}/${r.error.path}` : `${stanzaName}/${name}`;
    invalid.push({ ...r.error, path });
    keepExtra(child, extra);
    return true;
  }
  if (f.multiple) {
    const list = out[f.key] as unknown[] | undefined;
    if (list) list.push(r.value);
    else out[f.key] = [r.value];
  } else if (out[f.key] === undefined) {
    out[f.key] = r.value;
  } else {
    // A second copy of a single-valued payload: the first wins, the rest is kept.
    keepExtra(child, extra);
  }
  return true;
}

const CORE_NS = new Set(["jabber:client", "jabber:component:accept", "jabber:server"]);

/**
 * Keeps a child no field claimed. A child that inherited a non-core namespace
 * from its stanza gets that namespace written on itself, so it means the same
 * thing when a builder writes it into a stanza of the usual namespace.
 */
export function keepExtra(child: Element, extra: Element[]): void {
  if (child.attrs.xmlns === undefined && child.name.indexOf(":") < 0) {
    const ns = nsOf(child);
    if (ns !== undefined && !CORE_NS.has(ns)) child.attrs.xmlns = ns;
  }
  extra.push(child);
}

/** Appends the payloads present on `value` to `el`, in field order. */
export function writePayloads<S>(el: Element, fields: ReadonlyArray<PayloadField<S>>, value: object): void {
  const v = value as Record<string, unknown>;
  for (const f of fields) {
    const x = v[f.key];
    if (x === undefined || x === null) continue;
    if (f.multiple) {
      for (const item of x as unknown[]) el.cnode(f.codec.build(item));
    } else {
      el.cnode(f.codec.build(x));
    }
  }
}

/** Reads a core child (body, show, ...) into `out`; false when it is not one the stanza knows. */
export type CoreChildReader = (child: Element, out: Record<string, unknown>, invalid: ParseError[]) => boolean;

/**
 * The attributes and children every extensible stanza shares: addressing,
 * then one pass over the children, each going to `readCore` (core namespace),
 * to a payload field, or to `extra`.
 */
export function readExtensible<S>(
  el: Element,
  out: Record<string, unknown>,
  table: FieldTable<S>,
  readCore: CoreChildReader,
  stanzaName: string,
): void {
  const a = el.attrs;
  if (a.id !== undefined) out.id = a.id;
  if (a.from !== undefined) out.from = a.from;
  if (a.to !== undefined) out.to = a.to;
  if (a["xml:lang"] !== undefined) out.lang = a["xml:lang"];
  const invalid: ParseError[] = [];
  const extra: Element[] = [];
  for (const child of el.children) {
    if (typeof child === "string") continue;
    if (isCoreChild(child)) {
      if (!readCore(child, out, invalid)) keepExtra(child, extra);
    } else if (!readPayload(child, table, out, invalid, extra, stanzaName)) {
      keepExtra(child, extra);
    }
  }
  out.extra = extra;
  out.invalid = invalid;
}

/** Reads a stanza's `<error/>` child into `out.error`; false (and an `invalid` entry) when it is malformed. */
export function readErrorChild(
  child: Element,
  out: Record<string, unknown>,
  invalid: ParseError[],
  stanzaName: string,
): boolean {
  const r = parseStanzaError(child);
  if (!r.ok) {
    invalid.push({ ...r.error, path: `${stanzaName}/${r.error.path ?? "error"}` });
    return false;
  }
  out.error = r.value;
  return true;
}
