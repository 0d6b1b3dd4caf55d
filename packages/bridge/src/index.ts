/**
 * @parley/bridge: the engine every Parley connector shares. A connector
 * implements `Connector` (see src/connector/connector.ts and the reference
 * connector in src/reference/); `Bridge.start` runs it against an XMPP server.
 */
export * from "./admin/index.ts";
export type { ConnectorInitResult, InitContext, InitFile, InitQuestion } from "./cli/init-connector.ts";
export * from "./cli/run-cli.ts";
export * from "./component/component-session.ts";
export * from "./component/disco-responder.ts";
export * from "./component/iq-router.ts";
export * from "./component/outbound-queue.ts";
export * from "./component/stream-parser.ts";
export * from "./config/index.ts";
export * from "./connector/admin-notices.ts";
export * from "./connector/connector.ts";
export * from "./connector/ordered-lines.ts";
export * from "./connector/recent-relayed.ts";
export * from "./delivery/index.ts";
export * from "./doctor/doctor-check.ts";
export * from "./engine/bridge.ts";
export {
  cutText,
  fitsLimits,
  type MessagePart,
  messageParts,
  partKey,
  splitRichText,
} from "./engine/message-parts.ts";
export type { Occupant } from "./engine/occupant-roster.ts";
export * from "./engine/reflection-tracker.ts";
export { RelayJoinError } from "./engine/relay-join.ts";
export * from "./engine/relay-occupant.ts";
export { postRecordMsOf } from "./engine/remote-posts.ts";
export { type ArchivedMessage, type ArchivePage, RoomArchiveError } from "./engine/room-archive.ts";
export * from "./format/index.ts";
export * from "./media/index.ts";
export * from "./ops/http-listener.ts";
export * from "./ops/logger.ts";
export * from "./ops/logger-types.ts";
export * from "./ops/media-server.ts";
export * from "./ops/metrics.ts";
export * from "./ops/ops-server.ts";
export * from "./puppets/muc-occupancy.ts";
export * from "./reference/reference-connector.ts";
export * from "./reference/reference-network.ts";
export * from "./store/index.ts";
