/** Payload fields registered by the discovery group of XEP modules (see fields/index.ts). */
import type { Message } from "../message.ts";
import type { PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";

export const messageFields = (): PayloadField<Message>[] => [];
export const presenceFields = (): PayloadField<Presence>[] => [];
