/** Payload fields of the messaging XEP modules: ids, corrections, retractions, moderation, reactions, replies, fallback, OOB. */
import type { Message } from "../message.ts";
import { field, type PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { correctionCodec } from "../xep/xep0308-correction.ts";

export const messageFields: PayloadField<Message>[] = [field<Message, "replace">("replace", correctionCodec)];
export const presenceFields: PayloadField<Presence>[] = [];
