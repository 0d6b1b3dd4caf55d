/** Payload fields of the archive XEP modules: delay, MAM results, references. */
import type { Message } from "../message.ts";
import { field, fieldList, type PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { delayCodec } from "../xep/xep0203-delay.ts";
import { mamResultCodec } from "../xep/xep0313-mam.ts";
import { referenceCodec } from "../xep/xep0372-references.ts";

export const messageFields = (): PayloadField<Message>[] => [
  field<Message, "delay">("delay", delayCodec),
  fieldList<Message, "references">("references", referenceCodec),
  field<Message, "mamResult">("mamResult", mamResultCodec),
];
export const presenceFields = (): PayloadField<Presence>[] => [field<Presence, "delay">("delay", delayCodec)];
