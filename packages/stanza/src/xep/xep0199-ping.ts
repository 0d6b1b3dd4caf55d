/** XEP-0199 XMPP Ping (v2.0.1): `<ping xmlns="urn:xmpp:ping"/>`, answered by an empty result. */
import { buildIq, type Iq } from "../iq.ts";
import { NS } from "../ns.ts";
import { type Element, element, localNameOf } from "../xml.ts";

export function buildPing(o: { id: string; to?: string; from?: string }): Element {
  return buildIq({ type: "get", id: o.id, to: o.to, from: o.from, payload: element("ping", { xmlns: NS.ping }) });
}

/** Whether a parsed iq is a ping request. */
export function isPing(iq: Pick<Iq, "type" | "payload">): boolean {
  const p = iq.payload;
  return iq.type === "get" && p !== undefined && localNameOf(p) === "ping" && p.getNS() === NS.ping;
}
