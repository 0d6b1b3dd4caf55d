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

// The lists are functions, evaluated on first use: codec modules import the
// stanza builders, so at module-evaluation time the codecs may not exist yet.
let message: ReadonlyArray<PayloadField<Message>> | undefined;
let presence: ReadonlyArray<PayloadField<Presence>> | undefined;

export function messageFields(): ReadonlyArray<PayloadField<Message>> {
  message ??= groups.flatMap((g) => g.messageFields());
  return message;
}

export function presenceFields(): ReadonlyArray<PayloadField<Presence>> {
  presence ??= groups.flatMap((g) => g.presenceFields());
  return presence;
}
