/**
 * @parley/bridge/internals: the engine's own parts, each usable alone (the
 * component session, IQ router, delivery queue, store, media store, ops
 * servers, relay occupant...), for tests, benchmarks and tools. What a
 * connector author or an embedder needs is in `@parley/bridge`; nothing here
 * promises to keep its shape from one release to the next.
 */
export * from "./admin/index.ts";
export { parleyVersion } from "./cli/run-cli.ts";
export * from "./component/component-session.ts";
export * from "./component/disco-responder.ts";
export * from "./component/iq-router.ts";
export * from "./component/outbound-queue.ts";
export * from "./component/stream-parser.ts";
export { formatConfigIssue } from "./config/config-error.ts";
export { interpolateEnv, MAX_CONFIG_DEPTH } from "./config/interpolate-env.ts";
export {
  DEFAULT_ROOM_OCCUPANTS,
  MAX_ROOM_OCCUPANTS,
  roomPresenceOptionsOf,
} from "./config/room-presence-options.ts";
export { bridgeConfigSchema, configSchema, LOG_LEVELS, publicUrlFor, serverDomainOf } from "./config/schema.ts";
export { REDACTED, redactedConfig, SECRET_SETTING, secretsOf } from "./config/secrets.ts";
export * from "./delivery/backoff.ts";
export { DeliveryClosedError } from "./delivery/delivery-errors.ts";
export * from "./delivery/delivery-ledger.ts";
export * from "./delivery/delivery-queue.ts";
export { type MessagePart, messageParts, partKey } from "./engine/message-parts.ts";
export type { Occupant } from "./engine/occupant-roster.ts";
export * from "./engine/reflection-tracker.ts";
export { RelayJoinError } from "./engine/relay-join.ts";
export * from "./engine/relay-occupant.ts";
export { RemoteCatchUp, type RemoteCatchUpOptions } from "./engine/remote-catch-up.ts";
export { postRecordMsOf } from "./engine/remote-posts.ts";
export { type ArchivedMessage, type ArchivePage, RoomArchiveError } from "./engine/room-archive.ts";
export { listItemMarker } from "./format/block-lines.ts";
export { tidyRuns } from "./format/inline-runs.ts";
export { writeMarkdown } from "./format/markdown.ts";
export { isAsciiPunct } from "./format/text-chars.ts";
export { isBareUrl, splitUrls } from "./format/urls.ts";
export * from "./media/address-policy.ts";
export { type FetchedMedia, fetchMedia, filenameFromDisposition, pinnedLookup } from "./media/fetch-media.ts";
export * from "./media/http-upload.ts";
export { UploadError } from "./media/media-errors.ts";
export * from "./media/media-names.ts";
export * from "./media/media-store.ts";
export * from "./media/read-stream.ts";
export * from "./media/rehost.ts";
export * from "./media/too-large-notice.ts";
export * from "./ops/http-listener.ts";
export { CREDENTIAL_FIELD } from "./ops/logger.ts";
export * from "./ops/media-server.ts";
export * from "./ops/metrics.ts";
export * from "./ops/ops-server.ts";
export * from "./puppets/muc-occupancy.ts";
export * from "./store/index.ts";
