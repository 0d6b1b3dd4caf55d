/** Payload fields of the media and presence-decoration XEP modules. */
import type { Message } from "../message.ts";
import { field, type PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { chatStateCodec } from "../xep/xep0085-chat-states.ts";
import { vcardUpdateCodec } from "../xep/xep0153-vcard-avatar.ts";
import { nickCodec } from "../xep/xep0172-nick.ts";
import { receiptCodec, receiptRequestCodec } from "../xep/xep0184-receipts.ts";
import { markableCodec, markerCodec } from "../xep/xep0333-markers.ts";
import { unstyledCodec } from "../xep/xep0393-styling.ts";

export const messageFields = (): PayloadField<Message>[] => [
  field<Message, "chatState">("chatState", chatStateCodec),
  field<Message, "receiptRequest">("receiptRequest", receiptRequestCodec),
  field<Message, "receipt">("receipt", receiptCodec),
  field<Message, "markable">("markable", markableCodec),
  field<Message, "marker">("marker", markerCodec),
  field<Message, "nick">("nick", nickCodec),
  field<Message, "unstyled">("unstyled", unstyledCodec),
];
export const presenceFields = (): PayloadField<Presence>[] => [
  field<Presence, "nick">("nick", nickCodec),
  field<Presence, "vcardUpdate">("vcardUpdate", vcardUpdateCodec),
];
