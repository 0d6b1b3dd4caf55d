/// <reference path="./ambient.d.ts" />
/**
 * @parley/testkit: real XMPP servers for tests (Prosody, ejabberd), and an XMPP
 * test client and component that await stanzas by predicate.
 */
export * from "./bench/index.ts";
export * from "./discord/index.ts";
export * from "./ejabberd.ts";
export * from "./free-port.ts";
export * from "./harness-config.ts";
export * from "./mapped-message.ts";
export * from "./poll-until.ts";
export * from "./postgres.ts";
export * from "./process.ts";
export * from "./prosody.ts";
export * from "./recording-logger.ts";
export * from "./relay-presence.ts";
export * from "./room-messages.ts";
export * from "./server.ts";
export * from "./server-launch.ts";
export * from "./slack/index.ts";
export * from "./slow-avatar-speaker.ts";
export * from "./stanza-inbox.ts";
export * from "./start-server.ts";
export * from "./synapse/index.ts";
export * from "./xmpp-client.ts";
export * from "./xmpp-component.ts";
export * from "./xmpp-session.ts";
