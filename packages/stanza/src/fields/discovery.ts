/** Payload fields of the discovery XEP modules: data forms in messages, caps in presence. */
import type { Message } from "../message.ts";
import { field, type PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { dataFormCodec } from "../xep/xep0004-data-forms.ts";
import { capsCodec } from "../xep/xep0115-caps.ts";

export const messageFields = (): PayloadField<Message>[] => [field<Message, "form">("form", dataFormCodec)];
export const presenceFields = (): PayloadField<Presence>[] => [field<Presence, "caps">("caps", capsCodec)];
