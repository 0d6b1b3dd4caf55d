/// <reference path="./ambient.d.ts" />
/**
 * @parley/stanza: typed builders and never-throwing parsers for the XMPP a
 * bridge reads and writes.
 */

export * from "./iq.ts";
export * from "./message.ts";
export * from "./ns.ts";
export * from "./payload.ts";
export * from "./presence.ts";
export * from "./result.ts";
export * from "./stanza.ts";
export * from "./stanza-error.ts";
export * from "./xep/archive.ts";
export * from "./xep/discovery.ts";
export * from "./xep/media.ts";
export * from "./xep/messaging.ts";
export * from "./xep/muc.ts";
export * from "./xml.ts";
