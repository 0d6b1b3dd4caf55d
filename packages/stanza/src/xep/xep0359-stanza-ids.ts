/**
 * XEP-0359 Unique and Stable Stanza IDs (v0.7): `<stanza-id id by/>`, added by
 * the archiving entity (the MUC room for groupchat), and `<origin-id id/>`,
 * chosen by the sender.
 */
import type { Message } from "../message.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element, requiredAttr } from "../xml.ts";

export interface StanzaId {
  readonly id: string;
  /** The entity that assigned the id (a room's bare JID for groupchat). */
  readonly by: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0359 stanza ids, one per assigning entity. */
    readonly stanzaIds?: readonly StanzaId[];
    /** XEP-0359 origin id chosen by the sender. */
    readonly originId?: string;
  }
}

export const stanzaIdCodec: PayloadCodec<StanzaId> = {
  names: ["stanza-id"],
  ns: NS.sid,
  parse(el) {
    const id = requiredAttr(el, "id", "stanza-id");
    if (!id.ok) return id;
    const by = requiredAttr(el, "by", "stanza-id");
    if (!by.ok) return by;
    return ok({ id: id.value, by: by.value });
  },
  build: (v) => element("stanza-id", { xmlns: NS.sid, id: v.id, by: v.by }),
};

export const originIdCodec: PayloadCodec<string> = {
  names: ["origin-id"],
  ns: NS.sid,
  parse(el) {
    return requiredAttr(el, "id", "origin-id");
  },
  build: (id) => element("origin-id", { xmlns: NS.sid, id }),
};

/**
 * The stanza id `by` assigned (compare bare JIDs exactly as given; callers pass
 * the room's bare JID). Per XEP-0359 §6, ids from other entities must not be trusted.
 */
export function stanzaIdBy(message: Pick<Message, "stanzaIds">, by: string): string | undefined {
  const want = by.toLowerCase();
  for (const s of message.stanzaIds ?? []) if (s.by.toLowerCase() === want) return s.id;
  return undefined;
}
