/**
 * @parley/bridge: the engine every Parley connector shares. A connector
 * implements `Connector` (see src/connector/connector.ts and the reference
 * connector in src/reference/); `Bridge.start` runs it against an XMPP server.
 *
 * This entry is what a connector author or an embedder needs: the connector
 * contract and the kit around it, the rich-text tree and the pieces for
 * writing a network's markup, the failures a connector throws, config,
 * logging, doctor checks and the bridge itself. The engine's own parts
 * (component session, delivery queue, store, media store, ops servers...)
 * are in `@parley/bridge/internals`, for tests and benchmarks, with no
 * promise that they keep their shape.
 */

export type { ConnectorInitResult, InitContext, InitFile, InitQuestion } from "./cli/init-connector.ts";
export { type CliStreams, type ConnectorFactory, runCli } from "./cli/run-cli.ts";
export { ConfigError, type ConfigIssue, formatConfigPath } from "./config/config-error.ts";
export { type ConnectorOptionsHelp, connectorOptionIssues, parseConnectorOptions } from "./config/connector-options.ts";
export { type ConfigSource, type LoadConfigOptions, loadConfig } from "./config/load-config.ts";
export {
  ROOM_PRESENCE_FIX,
  type RoomPresenceOptions,
  roomPresenceOptionsSchema,
} from "./config/room-presence-options.ts";
export type { BridgeConfig } from "./config/schema.ts";
export * from "./connector/admin-notices.ts";
export * from "./connector/bounded-map.ts";
export * from "./connector/connector.ts";
export * from "./connector/history.ts";
export * from "./connector/json-values.ts";
export * from "./connector/ordered-lines.ts";
export * from "./connector/recent-relayed.ts";
export {
  describeFailure,
  isTransientFailure,
  logFailure,
  PermanentError,
  TransientError,
} from "./delivery/delivery-errors.ts";
export {
  type DiagnoseFunction,
  type DoctorCheck,
  type DoctorContext,
  type DoctorStatus,
  failed,
  passed,
  warned,
} from "./doctor/doctor-check.ts";
export { Bridge, type BridgeOptions, type DeliveryRetryPolicy } from "./engine/bridge.ts";
export { cutText, fitsLimits, splitRichText } from "./engine/message-parts.ts";
export * from "./format/index.ts";
export { type DownloadedMedia, downloadMedia } from "./media/download-media.ts";
export type { FetchMediaOptions, HostLookup } from "./media/fetch-media.ts";
export { MediaFetchError, type MediaFetchFailure, MediaTooLargeError } from "./media/media-errors.ts";
export { type CreateLoggerOptions, createLogger, type LogLevel, type RedactingLogger } from "./ops/logger.ts";
export * from "./ops/logger-types.ts";
export * from "./reference/reference-connector.ts";
export * from "./reference/reference-network.ts";
export type { BridgeStore } from "./store/store-types.ts";
