/**
 * XEP-0425 as it stood at v0.2 (urn:xmpp:message-moderate:0), wrapped in
 * XEP-0422 fastening. Prosody's mod_muc_moderation still speaks only this form:
 * the moderator sends `<apply-to id><moderate><retract/><reason/></moderate></apply-to>`
 * and the room broadcasts `<apply-to id><moderated by><retract/><reason/></moderated></apply-to>`.
 * The broadcast is read into the same `Retraction` value as the current form,
 * so consumers handle one shape; `moderationOf` picks whichever a message carries.
 */
import { buildIq } from "../iq.ts";
import type { Message } from "../message.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, type Element, element, textOf } from "../xml.ts";
import type { Retraction } from "./xep0424-retraction.ts";
import type { ModerationRequest } from "./xep0425-moderation.ts";

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0425 v0.2: the room's fastened moderation broadcast, read as a moderated retraction. */
    readonly legacyModeration?: Retraction;
  }
}

/**
 * Reads `<apply-to xmlns='urn:xmpp:fasten:0'>` when it fastens a moderation with
 * `<retract/>`. Other fastenings (and moderations that do not retract) are not
 * moderation retractions and come back as errors, which the stanza parser keeps
 * in `invalid` rather than failing the message.
 */
export const legacyModerationCodec: PayloadCodec<Retraction> = {
  names: ["apply-to"],
  ns: NS.fasten,
  parse(el) {
    const id = attrOf(el, "id");
    if (!id) return err(parseError("missing-attribute", "apply-to needs the id it fastens to", "apply-to@id"));
    const moderated = childOf(el, "moderated", NS.moderationLegacy);
    if (!moderated) {
      return err(parseError("missing-element", "not a moderation fastening", "apply-to/moderated"));
    }
    if (!childOf(moderated, "retract", NS.retractLegacy)) {
      return err(parseError("missing-element", "moderation without <retract/>", "apply-to/moderated/retract"));
    }
    const by = attrOf(moderated, "by");
    const reason = textOf(childOf(moderated, "reason", NS.moderationLegacy));
    return ok({ id, moderated: by === undefined ? {} : { by }, ...(reason !== undefined && { reason }) });
  },
  build: (v) =>
    element(
      "apply-to",
      { xmlns: NS.fasten, id: v.id },
      element(
        "moderated",
        { xmlns: NS.moderationLegacy, by: v.moderated?.by },
        element("retract", { xmlns: NS.retractLegacy }),
        v.reason !== undefined ? element("reason", {}, v.reason) : undefined,
      ),
    ),
};

/** The moderated retraction a message carries, in either form (current first); undefined when it carries none. */
export function moderationOf(m: Message): Retraction | undefined {
  if (m.retract?.moderated) return m.retract;
  return m.legacyModeration;
}

/** The legacy request payload: `<apply-to id><moderate><retract/><reason/></moderate></apply-to>`. */
export function buildLegacyModerationRequest(r: ModerationRequest): Element {
  return element(
    "apply-to",
    { xmlns: NS.fasten, id: r.id },
    element(
      "moderate",
      { xmlns: NS.moderationLegacy },
      element("retract", { xmlns: NS.retractLegacy }),
      r.reason !== undefined ? element("reason", {}, r.reason) : undefined,
    ),
  );
}

/** Reads a legacy request payload; fails on anything but a fastened moderation that retracts. */
export function parseLegacyModerationRequest(el: Element): Result<ModerationRequest> {
  if (el.name !== "apply-to" || attrOf(el, "xmlns") !== NS.fasten) {
    return err(parseError("unexpected-element", "expected <apply-to xmlns='urn:xmpp:fasten:0'/>"));
  }
  const id = attrOf(el, "id");
  if (!id) return err(parseError("missing-attribute", "apply-to needs the stanza id of the message", "apply-to@id"));
  const moderate = childOf(el, "moderate", NS.moderationLegacy);
  if (!moderate) return err(parseError("missing-element", "not a moderation fastening", "apply-to/moderate"));
  if (!childOf(moderate, "retract", NS.retractLegacy)) {
    return err(parseError("missing-element", "moderate must say what to do: <retract/>", "apply-to/moderate/retract"));
  }
  const reason = textOf(childOf(moderate, "reason", NS.moderationLegacy));
  return ok(reason === undefined ? { id } : { id, reason });
}

/** The whole legacy iq a moderator sends to the room. */
export function buildLegacyModerationIq(o: {
  room: string;
  iqId: string;
  from?: string;
  request: ModerationRequest;
}): Element {
  return buildIq({
    type: "set",
    id: o.iqId,
    to: o.room,
    from: o.from,
    payload: buildLegacyModerationRequest(o.request),
  });
}
