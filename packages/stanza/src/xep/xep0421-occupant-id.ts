/**
 * XEP-0421 Anonymous unique occupant identifiers for MUCs (v0.2):
 * `<occupant-id id/>`, added by the room to occupants' presence and messages,
 * stable for one user across nick changes.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { element, requiredAttr } from "../xml.ts";

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0421: the room's stable id for the sender. */
    readonly occupantId?: string;
  }
}
declare module "../presence.ts" {
  interface PresencePayloads {
    /** XEP-0421: the room's stable id for the occupant. */
    readonly occupantId?: string;
  }
}

export const occupantIdCodec: PayloadCodec<string> = {
  names: ["occupant-id"],
  ns: NS.occupantId,
  parse: (el) => requiredAttr(el, "id", "occupant-id"),
  build: (id) => element("occupant-id", { xmlns: NS.occupantId, id }),
};
