/**
 * Every payload field message and presence parsers know, in the order builders
 * write them. Each group file lists the fields of its XEP modules; a new codec
 * is registered by adding its field to one of them.
 */
import type { Message } from "../message.ts";
import type { PayloadField } from "../payload.ts";
import type { Presence } from "../presence.ts";
import * as archive from "./archive.ts";
import * as discovery from "./discovery.ts";
import * as media from "./media.ts";
import * as messaging from "./messaging.ts";
import * as muc from "./muc.ts";

const groups = [messaging, media, muc, discovery, archive];

export const messageFields: ReadonlyArray<PayloadField<Message>> = groups.flatMap((g) => g.messageFields);
export const presenceFields: ReadonlyArray<PayloadField<Presence>> = groups.flatMap((g) => g.presenceFields);
