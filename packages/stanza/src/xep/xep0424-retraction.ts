/**
 * XEP-0424 Message Retraction (v0.4.2, urn:xmpp:message-retract:1): `<retract id/>`
 * asks recipients to remove a message; `<retracted id? stamp?/>` is the archive's
 * tombstone. Both may carry XEP-0425's `<moderated/>` and a `<reason/>`.
 */
import { buildMessage, type MessageInput, type MessageType } from "../message.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, type Element, element, textOf } from "../xml.ts";
import { type Moderated, moderatedCodec } from "./xep0425-moderation.ts";

export interface Retraction {
  /** The id of the retracted message: its origin id, or the room's stanza id in groupchat. */
  readonly id: string;
  /** XEP-0425: present when a moderator retracted it. */
  readonly moderated?: Moderated;
  readonly reason?: string;
}

export interface RetractionTombstone {
  /** The id of the retraction message that produced the tombstone. */
  readonly id?: string;
  /** When the retraction happened (XEP-0082 DateTime, kept as sent). */
  readonly stamp?: string;
  readonly moderated?: Moderated;
  readonly reason?: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0424: this message retracts another. */
    readonly retract?: Retraction;
    /** XEP-0424: this (archived) message was retracted. */
    readonly retracted?: RetractionTombstone;
  }
}

function readInner(el: Element, path: string): Result<{ moderated?: Moderated; reason?: string }> {
  const out: { moderated?: Moderated; reason?: string } = {};
  const m = childOf(el, "moderated", NS.moderation);
  if (m) {
    const r = moderatedCodec.parse(m);
    if (!r.ok) return err({ ...r.error, path: `${path}/${r.error.path ?? "moderated"}` });
    out.moderated = r.value;
  }
  const reason = textOf(childOf(el, "reason", NS.retract));
  if (reason !== undefined) out.reason = reason;
  return ok(out);
}

function writeInner(el: Element, v: { moderated?: Moderated; reason?: string }): Element {
  if (v.moderated) el.cnode(moderatedCodec.build(v.moderated));
  if (v.reason !== undefined) el.cnode(element("reason", {}, v.reason));
  return el;
}

export const retractCodec: PayloadCodec<Retraction> = {
  names: ["retract"],
  ns: NS.retract,
  parse(el) {
    const id = attrOf(el, "id");
    if (!id) return err(parseError("missing-attribute", "retract needs the id of the retracted message", "retract@id"));
    const inner = readInner(el, "retract");
    return inner.ok ? ok({ id, ...inner.value }) : inner;
  },
  build: (v) => writeInner(element("retract", { xmlns: NS.retract, id: v.id }), v),
};

export const retractedCodec: PayloadCodec<RetractionTombstone> = {
  names: ["retracted"],
  ns: NS.retract,
  parse(el) {
    const inner = readInner(el, "retracted");
    if (!inner.ok) return inner;
    const id = attrOf(el, "id");
    const stamp = attrOf(el, "stamp");
    return ok({ ...(id !== undefined && { id }), ...(stamp !== undefined && { stamp }), ...inner.value });
  },
  build: (v) => writeInner(element("retracted", { xmlns: NS.retract, id: v.id, stamp: v.stamp }), v),
};

export interface RetractionMessageInput {
  readonly to: string;
  readonly from?: string;
  /** The message's own id. */
  readonly id: string;
  readonly type: MessageType;
  /** The id of the message to retract. */
  readonly retractId: string;
  /** Fallback body for clients without XEP-0424. */
  readonly fallbackBody?: string;
  readonly extra?: MessageInput["extra"];
}

/** A retraction message as XEP-0424 recommends: retract + fallback indication + fallback body + store hint. */
export function buildRetraction(r: RetractionMessageInput): Element {
  return buildMessage({
    type: r.type,
    id: r.id,
    to: r.to,
    from: r.from,
    body: r.fallbackBody ?? "/me retracted a previous message, but it's unsupported by your client.",
    retract: { id: r.retractId },
    fallbacks: [{ for: NS.retract, body: [], subject: [] }],
    hints: ["store"],
    extra: r.extra,
  });
}
