/** XEP-0059 Result Set Management (v1.0): `<set xmlns="http://jabber.org/protocol/rsm">` paging. */
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, type Element, element, localNameOf, textOf } from "../xml.ts";

export interface ResultSet {
  readonly max?: number;
  /** Page after this id. */
  readonly after?: string;
  /** Page before this id; "" asks for the last page. */
  readonly before?: string;
  readonly index?: number;
  readonly first?: string;
  readonly firstIndex?: number;
  readonly last?: string;
  readonly count?: number;
}

function uintText(el: Element | undefined, path: string): Result<number | undefined> {
  const t = textOf(el)?.trim();
  if (el === undefined) return ok(undefined);
  if (t === undefined || !/^\d{1,15}$/.test(t))
    return err(parseError("invalid-text", `${path} is not a non-negative integer`, path));
  return ok(Number(t));
}

export function parseResultSet(el: Element): Result<ResultSet> {
  if (localNameOf(el) !== "set" || el.getNS() !== NS.rsm)
    return err(parseError("unexpected-element", `expected <set xmlns='${NS.rsm}'/>`));
  const out: { -readonly [K in keyof ResultSet]: ResultSet[K] } = {};
  for (const k of ["max", "index", "count"] as const) {
    const r = uintText(childOf(el, k, NS.rsm), `set/${k}`);
    if (!r.ok) return r;
    if (r.value !== undefined) out[k] = r.value;
  }
  const after = childOf(el, "after", NS.rsm);
  if (after) out.after = textOf(after) ?? "";
  const before = childOf(el, "before", NS.rsm);
  if (before) out.before = textOf(before) ?? "";
  const first = childOf(el, "first", NS.rsm);
  if (first) {
    out.first = textOf(first) ?? "";
    const idx = attrOf(first, "index");
    if (idx !== undefined) {
      if (!/^\d{1,15}$/.test(idx))
        return err(parseError("invalid-attribute", "first@index is not an integer", "set/first@index"));
      out.firstIndex = Number(idx);
    }
  }
  const last = childOf(el, "last", NS.rsm);
  if (last) out.last = textOf(last) ?? "";
  return ok(out);
}

export function buildResultSet(s: ResultSet): Element {
  const el = element("set", { xmlns: NS.rsm });
  if (s.max !== undefined) el.cnode(element("max", {}, String(s.max)));
  if (s.after !== undefined) el.cnode(element("after", {}, s.after || undefined));
  if (s.before !== undefined) el.cnode(element("before", {}, s.before || undefined));
  if (s.index !== undefined) el.cnode(element("index", {}, String(s.index)));
  if (s.first !== undefined) el.cnode(element("first", { index: s.firstIndex }, s.first));
  if (s.last !== undefined) el.cnode(element("last", {}, s.last));
  if (s.count !== undefined) el.cnode(element("count", {}, String(s.count)));
  return el;
}
