/** XEP-0172 User Nickname (v1.1): `<nick xmlns="http://jabber.org/protocol/nick">` on presence and messages. */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element, textOf } from "../xml.ts";

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0172: the sender's preferred nickname. */
    readonly nick?: string;
  }
}
declare module "../presence.ts" {
  interface PresencePayloads {
    /** XEP-0172: the sender's preferred nickname. */
    readonly nick?: string;
  }
}

export const nickCodec: PayloadCodec<string> = {
  names: ["nick"],
  ns: NS.nick,
  parse: (el) => ok(textOf(el) ?? ""),
  build: (nick) => element("nick", { xmlns: NS.nick }, nick),
};
