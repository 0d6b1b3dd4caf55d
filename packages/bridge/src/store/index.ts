/** The bridge's persistent store: one interface, SQLite (default) and PostgreSQL behind it. */
export { applyMigrations, checkMigrationList, MIGRATIONS, type Migration } from "./migrations.ts";
export { type OpenStoreOptions, openStore } from "./open-store.ts";
export { openPostgresStore, type PostgresStoreOptions } from "./postgres-store.ts";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite-store.ts";
export {
  StoreClosedError,
  StoreConfigError,
  StoreSchemaError,
  StoreUnavailableError,
  StoreValueError,
} from "./store-errors.ts";
export {
  DAY_MS,
  messageLifetimeMs,
  type PrunedCounts,
  type RetentionPolicy,
  StoreRetention,
  type StoreRetentionOptions,
} from "./store-retention.ts";
export type {
  BridgeStore,
  DeadLetter,
  MessageRecord,
  PrunableRecords,
  PuppetRecord,
  RoomLink,
  StateWriteOptions,
  StoreKind,
} from "./store-types.ts";
export { parseStoreUrl, redactStoreUrl, type StoreTarget } from "./store-url.ts";
export { MAX_ID_BYTES } from "./store-values.ts";
