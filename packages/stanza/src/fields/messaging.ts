/** Payload fields of the messaging XEP modules: ids, corrections, retractions, moderation, reactions, replies, fallback, OOB, hints. */
import type { Message } from "../message.ts";
import { field, fieldList, type PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { oobCodec } from "../xep/xep0066-oob.ts";
import { correctionCodec } from "../xep/xep0308-correction.ts";
import { hintCodec } from "../xep/xep0334-hints.ts";
import { originIdCodec, stanzaIdCodec } from "../xep/xep0359-stanza-ids.ts";
import { retractCodec, retractedCodec } from "../xep/xep0424-retraction.ts";
import { legacyModerationCodec } from "../xep/xep0425-moderation-legacy.ts";
import { fallbackCodec } from "../xep/xep0428-fallback.ts";
import { reactionsCodec } from "../xep/xep0444-reactions.ts";
import { replyCodec } from "../xep/xep0461-replies.ts";

export const messageFields = (): PayloadField<Message>[] => [
  fieldList<Message, "stanzaIds">("stanzaIds", stanzaIdCodec),
  field<Message, "originId">("originId", originIdCodec),
  field<Message, "replace">("replace", correctionCodec),
  field<Message, "reply">("reply", replyCodec),
  field<Message, "reactions">("reactions", reactionsCodec),
  field<Message, "retract">("retract", retractCodec),
  field<Message, "retracted">("retracted", retractedCodec),
  field<Message, "legacyModeration">("legacyModeration", legacyModerationCodec),
  fieldList<Message, "fallbacks">("fallbacks", fallbackCodec),
  fieldList<Message, "oob">("oob", oobCodec),
  fieldList<Message, "hints">("hints", hintCodec),
];
export const presenceFields = (): PayloadField<Presence>[] => [];
