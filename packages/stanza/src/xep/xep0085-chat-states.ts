/** XEP-0085 Chat State Notifications (v2.1): typing indicators as `<active/>`, `<composing/>`, ... */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element, localNameOf } from "../xml.ts";

export const CHAT_STATES = ["active", "composing", "paused", "inactive", "gone"] as const;
export type ChatState = (typeof CHAT_STATES)[number];

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0085: the sender's chat state (typing indicator). */
    readonly chatState?: ChatState;
  }
}

export const chatStateCodec: PayloadCodec<ChatState> = {
  names: CHAT_STATES,
  ns: NS.chatStates,
  parse: (el) => ok(localNameOf(el) as ChatState),
  build: (s) => element(s, { xmlns: NS.chatStates }),
};
