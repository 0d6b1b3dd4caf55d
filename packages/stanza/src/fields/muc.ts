/** Payload fields of XEP-0045 (MUC) and XEP-0421 (occupant ids). */
import type { Message } from "../message.ts";
import { field, type PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import { mucJoinCodec, mucUserCodec } from "../xep/xep0045-muc.ts";
import { occupantIdCodec } from "../xep/xep0421-occupant-id.ts";

export const messageFields = (): PayloadField<Message>[] => [
  field<Message, "mucUser">("mucUser", mucUserCodec),
  field<Message, "occupantId">("occupantId", occupantIdCodec),
];
export const presenceFields = (): PayloadField<Presence>[] => [
  field<Presence, "muc">("muc", mucJoinCodec),
  field<Presence, "mucUser">("mucUser", mucUserCodec),
  field<Presence, "occupantId">("occupantId", occupantIdCodec),
];
