/**
 * XEP-0425 Moderated Message Retraction (v0.3, urn:xmpp:message-moderate:1): the
 * moderator's `<moderate id><retract/><reason/></moderate>` iq request, and the
 * `<moderated by><occupant-id/></moderated>` marker the room puts inside the
 * XEP-0424 retraction it broadcasts.
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, type Element, element, textOf } from "../xml.ts";

export interface Moderated {
  /** Who moderated (often the moderator's occupant JID); may be withheld. */
  readonly by?: string;
  /** XEP-0421 occupant id of the moderator. */
  readonly occupantId?: string;
}

export const moderatedCodec: PayloadCodec<Moderated> = {
  names: ["moderated"],
  ns: NS.moderation,
  parse(el) {
    const by = attrOf(el, "by");
    const occ = childOf(el, "occupant-id", NS.occupantId);
    const occupantId = occ ? attrOf(occ, "id") : undefined;
    return ok({ ...(by !== undefined && { by }), ...(occupantId && { occupantId }) });
  },
  build: (v) =>
    element(
      "moderated",
      { xmlns: NS.moderation, by: v.by },
      v.occupantId ? element("occupant-id", { xmlns: NS.occupantId, id: v.occupantId }) : undefined,
    ),
};

export interface ModerationRequest {
  /** The room's stanza id of the message to retract. */
  readonly id: string;
  readonly reason?: string;
}

/** Reads the `<moderate/>` payload of a moderator's iq. Only retraction is defined, so `<retract/>` is required. */
export function parseModerationRequest(el: Element): Result<ModerationRequest> {
  if (el.name !== "moderate" || attrOf(el, "xmlns") !== NS.moderation) {
    return err(parseError("unexpected-element", "expected <moderate xmlns='urn:xmpp:message-moderate:1'/>"));
  }
  const id = attrOf(el, "id");
  if (!id) return err(parseError("missing-attribute", "moderate needs the stanza id of the message", "moderate@id"));
  if (!childOf(el, "retract", NS.retract)) {
    return err(parseError("missing-element", "moderate must say what to do: <retract/>", "moderate/retract"));
  }
  const reason = textOf(childOf(el, "reason", NS.moderation));
  return ok(reason === undefined ? { id } : { id, reason });
}

export function buildModerationRequest(r: ModerationRequest): Element {
  return element(
    "moderate",
    { xmlns: NS.moderation, id: r.id },
    element("retract", { xmlns: NS.retract }),
    r.reason !== undefined ? element("reason", {}, r.reason) : undefined,
  );
}

/** The whole iq a moderator sends to the room. */
export function buildModerationIq(o: {
  room: string;
  iqId: string;
  from?: string;
  request: ModerationRequest;
}): Element {
  return buildIq({ type: "set", id: o.iqId, to: o.room, from: o.from, payload: buildModerationRequest(o.request) });
}
