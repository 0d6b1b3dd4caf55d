/**
 * XEP-0313 Message Archive Management (v1.1, urn:xmpp:mam:2): queries with the
 * standard filter form and RSM paging, the `<result/>` messages the archive
 * sends back, and the closing `<fin/>`.
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, type Element, element, localNameOf } from "../xml.ts";
import { buildDataForm, type FormField } from "./xep0004-data-forms.ts";
import { buildResultSet, parseResultSet, type ResultSet } from "./xep0059-rsm.ts";
import { formatDateTime } from "./xep0082-datetime.ts";
import { buildForwarded, type Forwarded, parseForwarded } from "./xep0297-forwarded.ts";

export interface MamFilter {
  readonly with?: string;
  readonly start?: Date;
  readonly end?: Date;
  readonly beforeId?: string;
  readonly afterId?: string;
  readonly ids?: readonly string[];
}

export interface MamQuery {
  readonly queryid?: string;
  /** A pubsub node to query instead of a user or room archive. */
  readonly node?: string;
  readonly filter?: MamFilter;
  readonly rsm?: ResultSet;
}

export interface MamResult {
  readonly queryid?: string;
  /** The archive's id for the message (its stanza id). */
  readonly id: string;
  readonly forwarded: Forwarded;
}

export interface MamFin {
  readonly complete: boolean;
  readonly stable: boolean;
  readonly rsm?: ResultSet;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0313: an archived message delivered in answer to a query. */
    readonly mamResult?: MamResult;
  }
}

export function buildMamQuery(q: MamQuery): Element {
  const el = element("query", { xmlns: NS.mam, queryid: q.queryid, node: q.node });
  const f = q.filter;
  if (f) {
    const fields: FormField[] = [{ var: "FORM_TYPE", type: "hidden", values: [NS.mam] }];
    if (f.with !== undefined) fields.push({ var: "with", values: [f.with] });
    if (f.start !== undefined) fields.push({ var: "start", values: [formatDateTime(f.start)] });
    if (f.end !== undefined) fields.push({ var: "end", values: [formatDateTime(f.end)] });
    if (f.beforeId !== undefined) fields.push({ var: "before-id", values: [f.beforeId] });
    if (f.afterId !== undefined) fields.push({ var: "after-id", values: [f.afterId] });
    if (f.ids !== undefined) fields.push({ var: "ids", values: [...f.ids] });
    el.cnode(buildDataForm({ type: "submit", fields }));
  }
  if (q.rsm) el.cnode(buildResultSet(q.rsm));
  return el;
}

/** The whole iq querying the archive at `to` (a room, or omit for one's own). */
export function buildMamQueryIq(o: { id: string; to?: string; from?: string } & MamQuery): Element {
  const { id, to, from, ...q } = o;
  return buildIq({ type: "set", id, to, from, payload: buildMamQuery(q) });
}

export const mamResultCodec: PayloadCodec<MamResult> = {
  names: ["result"],
  ns: NS.mam,
  parse(el) {
    const id = attrOf(el, "id");
    if (!id) return err(parseError("missing-attribute", "a MAM result needs an id", "result@id"));
    const fw = childOf(el, "forwarded", NS.forward);
    if (!fw) return err(parseError("missing-element", "a MAM result holds a <forwarded/>", "result/forwarded"));
    const forwarded = parseForwarded(fw);
    if (!forwarded.ok) return err({ ...forwarded.error, path: `result/${forwarded.error.path ?? "forwarded"}` });
    const queryid = attrOf(el, "queryid");
    return ok({ ...(queryid !== undefined && { queryid }), id, forwarded: forwarded.value });
  },
  build: (v) =>
    element(
      "result",
      { xmlns: NS.mam, queryid: v.queryid, id: v.id },
      buildForwarded({ ...(v.forwarded.delay && { delay: v.forwarded.delay }), message: v.forwarded.message }),
    ),
};

export function parseMamFin(el: Element): Result<MamFin> {
  if (localNameOf(el) !== "fin" || el.getNS() !== NS.mam)
    return err(parseError("unexpected-element", `expected <fin xmlns='${NS.mam}'/>`));
  const set = childOf(el, "set", NS.rsm);
  let rsm: ResultSet | undefined;
  if (set) {
    const r = parseResultSet(set);
    if (!r.ok) return r;
    rsm = r.value;
  }
  return ok({
    complete: attrOf(el, "complete") === "true",
    stable: attrOf(el, "stable") !== "false",
    ...(rsm !== undefined && { rsm }),
  });
}

export function buildMamFin(f: MamFin): Element {
  return element(
    "fin",
    { xmlns: NS.mam, complete: f.complete ? "true" : undefined, stable: f.stable ? undefined : "false" },
    f.rsm ? buildResultSet(f.rsm) : undefined,
  );
}
