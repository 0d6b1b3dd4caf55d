/**
 * The schema, as a numbered list of migrations, and the runner that applies
 * the missing ones. A migration is never edited once released: changes are a
 * new entry at the end. SQL is shared where SQLite and PostgreSQL agree (so
 * far everywhere: TEXT, BIGINT, composite keys and ON CONFLICT upserts mean
 * the same in both); a migration that needs a dialect of its own says so in
 * `sqlite` / `postgres`, which replace `sql` for that backend.
 */
import type { Logger } from "../ops/logger-types.ts";
import type { Dialect, SqlDriver } from "./sql-driver.ts";
import { integerColumn } from "./sql-driver.ts";
import { StoreSchemaError } from "./store-errors.ts";

export interface Migration {
  /** 1, 2, 3...: applied in this order, each exactly once. */
  readonly version: number;
  readonly name: string;
  readonly sql: readonly string[];
  readonly sqlite?: readonly string[];
  readonly postgres?: readonly string[];
}

/**
 * Migration 6: an index of the message map's optional columns holds only the
 * rows where the column is set. A message relayed to XMPP has no stanza-id
 * until its room reflects it, and most messages are in no thread: each such
 * insert (and the stanza-id's update) touched B-trees whose entries no lookup
 * wants, since every lookup by these columns asks for a value (`col = ?`,
 * which implies `col IS NOT NULL`, so both SQLite and PostgreSQL use the
 * partial index for it).
 */
const PARTIAL_MESSAGE_INDEXES = [
  "DROP INDEX parley_messages_by_stanza_id",
  "DROP INDEX parley_messages_by_origin_id",
  "DROP INDEX parley_messages_by_thread",
  "DROP INDEX parley_messages_by_xmpp_thread",
  "CREATE INDEX parley_messages_by_stanza_id ON parley_messages (network, room, stanza_id) WHERE stanza_id IS NOT NULL",
  "CREATE INDEX parley_messages_by_origin_id ON parley_messages (network, room, origin_id) WHERE origin_id IS NOT NULL",
  "CREATE INDEX parley_messages_by_thread ON parley_messages (network, room, channel, thread) WHERE thread IS NOT NULL",
  `CREATE INDEX parley_messages_by_xmpp_thread ON parley_messages (network, room, channel, xmpp_thread)
     WHERE xmpp_thread IS NOT NULL`,
];

/**
 * Migration 6, SQLite only: the delivery ledger and the unconfirmed
 * deliveries are looked up by their key alone, so each becomes a WITHOUT
 * ROWID table, one B-tree ordered by the key, instead of a table by rowid
 * plus an index of the key (two B-trees written per insert or delete).
 * SQLite cannot change a table so, hence the copy. PostgreSQL keeps its
 * tables as they are: a heap and a primary key's index is its only layout.
 */
const KEYED_BY_KEY_ALONE = [
  `CREATE TABLE parley_deliveries_keyed (
    delivery_key TEXT PRIMARY KEY,
    result TEXT,
    delivered_at BIGINT NOT NULL
  ) WITHOUT ROWID`,
  `INSERT INTO parley_deliveries_keyed (delivery_key, result, delivered_at)
     SELECT delivery_key, result, delivered_at FROM parley_deliveries WHERE delivery_key IS NOT NULL`,
  "DROP TABLE parley_deliveries",
  "ALTER TABLE parley_deliveries_keyed RENAME TO parley_deliveries",
  "CREATE INDEX parley_deliveries_by_age ON parley_deliveries (delivered_at)",
  `CREATE TABLE parley_unconfirmed_keyed (
    delivery_key TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    target TEXT NOT NULL,
    sender TEXT NOT NULL,
    sent_id TEXT NOT NULL,
    data TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    seq BIGINT NOT NULL
  ) WITHOUT ROWID`,
  `INSERT INTO parley_unconfirmed_keyed (delivery_key, network, target, sender, sent_id, data, queued_at, seq)
     SELECT delivery_key, network, target, sender, sent_id, data, queued_at, seq FROM parley_unconfirmed
     WHERE delivery_key IS NOT NULL`,
  "DROP TABLE parley_unconfirmed",
  "ALTER TABLE parley_unconfirmed_keyed RENAME TO parley_unconfirmed",
  "CREATE INDEX parley_unconfirmed_in_order ON parley_unconfirmed (network, queued_at, seq)",
];

/**
 * Migration 6: a delivery marked delivered is no longer unconfirmed, in the
 * same statement: the ledger's insert (or update) drops the key's
 * unconfirmed record itself, so confirming a delivery is one statement, and
 * one atomic write on PostgreSQL too (it was a mark, then a drop).
 */
const SQLITE_DROP_CONFIRMED = [
  `CREATE TRIGGER parley_deliveries_drop_unconfirmed AFTER INSERT ON parley_deliveries
   BEGIN DELETE FROM parley_unconfirmed WHERE delivery_key = NEW.delivery_key; END`,
  `CREATE TRIGGER parley_deliveries_drop_unconfirmed_again AFTER UPDATE ON parley_deliveries
   BEGIN DELETE FROM parley_unconfirmed WHERE delivery_key = NEW.delivery_key; END`,
];
const POSTGRES_DROP_CONFIRMED = [
  `CREATE FUNCTION parley_drop_unconfirmed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     DELETE FROM parley_unconfirmed WHERE delivery_key = NEW.delivery_key;
     RETURN NULL;
   END
   $$`,
  `CREATE TRIGGER parley_deliveries_drop_unconfirmed AFTER INSERT OR UPDATE ON parley_deliveries
   FOR EACH ROW EXECUTE FUNCTION parley_drop_unconfirmed()`,
];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "message map, room links, puppets, reactions, delivery ledger, dead letters, state",
    sql: [
      `CREATE TABLE parley_messages (
        network TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        room TEXT NOT NULL,
        channel TEXT NOT NULL,
        stanza_id TEXT,
        origin_id TEXT,
        sender TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('to-xmpp', 'to-remote')),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (network, remote_id, room)
      )`,
      "CREATE INDEX parley_messages_by_stanza_id ON parley_messages (network, room, stanza_id)",
      "CREATE INDEX parley_messages_by_origin_id ON parley_messages (network, room, origin_id)",
      `CREATE TABLE parley_room_links (
        network TEXT NOT NULL,
        channel TEXT NOT NULL,
        room TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('config', 'admin')),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (network, channel, room)
      )`,
      `CREATE TABLE parley_puppets (
        network TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        avatar_url TEXT,
        avatar_hash TEXT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (network, remote_id)
      )`,
      `CREATE TABLE parley_reactions (
        network TEXT NOT NULL,
        target TEXT NOT NULL,
        sender TEXT NOT NULL,
        emojis TEXT NOT NULL,
        PRIMARY KEY (network, target, sender)
      )`,
      `CREATE TABLE parley_deliveries (
        delivery_key TEXT PRIMARY KEY,
        result TEXT,
        delivered_at BIGINT NOT NULL
      )`,
      `CREATE TABLE parley_dead_letters (
        delivery_key TEXT PRIMARY KEY,
        lane TEXT NOT NULL,
        payload TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        dead_at BIGINT NOT NULL
      )`,
      "CREATE INDEX parley_dead_letters_by_time ON parley_dead_letters (dead_at)",
      `CREATE TABLE parley_state (
        scope TEXT NOT NULL,
        state_key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (scope, state_key)
      )`,
    ],
  },
  {
    version: 2,
    name: "retention: state expiry, and indexes to prune messages, deliveries and state by age",
    sql: [
      // NULL: kept for ever, as every key written before this migration is.
      "ALTER TABLE parley_state ADD COLUMN expires_at BIGINT",
      "CREATE INDEX parley_state_by_expiry ON parley_state (expires_at)",
      "CREATE INDEX parley_messages_by_age ON parley_messages (created_at)",
      "CREATE INDEX parley_deliveries_by_age ON parley_deliveries (delivered_at)",
    ],
  },
  {
    version: 3,
    name: "unconfirmed deliveries: sent and not yet seen by the other side, kept to reconcile at start",
    sql: [
      `CREATE TABLE parley_unconfirmed (
        delivery_key TEXT PRIMARY KEY,
        network TEXT NOT NULL,
        target TEXT NOT NULL,
        sender TEXT NOT NULL,
        sent_id TEXT NOT NULL,
        data TEXT NOT NULL,
        queued_at BIGINT NOT NULL,
        seq BIGINT NOT NULL
      )`,
      "CREATE INDEX parley_unconfirmed_in_order ON parley_unconfirmed (network, queued_at, seq)",
    ],
  },
  {
    version: 4,
    name: "message parts: a message posted in several parts has a row per part, numbered",
    sql: [
      // 0: the first (or only) post; 1, 2...: further parts of the text; -1, -2...: posts of files alone.
      "ALTER TABLE parley_messages ADD COLUMN part INTEGER NOT NULL DEFAULT 0",
    ],
  },
  {
    version: 5,
    name: "threads: each message's thread on the network and in the room, so the engine maps one to the other",
    sql: [
      // NULL for messages outside threads, and for every message mapped before this migration.
      "ALTER TABLE parley_messages ADD COLUMN thread TEXT",
      "ALTER TABLE parley_messages ADD COLUMN xmpp_thread TEXT",
      "CREATE INDEX parley_messages_by_thread ON parley_messages (network, room, channel, thread)",
      "CREATE INDEX parley_messages_by_xmpp_thread ON parley_messages (network, room, channel, xmpp_thread)",
    ],
  },
  {
    version: 6,
    name: "lighter writes: the message map indexes its optional ids and threads only where set; marking a delivery drops its unconfirmed record; SQLite keeps the delivery ledger and unconfirmed deliveries in one B-tree each",
    sql: PARTIAL_MESSAGE_INDEXES,
    postgres: [...PARTIAL_MESSAGE_INDEXES, ...POSTGRES_DROP_CONFIRMED],
    sqlite: [...PARTIAL_MESSAGE_INDEXES, ...KEYED_BY_KEY_ALONE, ...SQLITE_DROP_CONFIRMED],
  },
];

export function migrationStatements(m: Migration, dialect: Dialect): readonly string[] {
  return m[dialect] ?? m.sql;
}

/** Throws unless versions run 1, 2, 3... without gaps (checked by the tests, and at every migrate). */
export function checkMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreSchemaError(`store: migration ${i} has version ${m.version}; versions must run 1, 2, 3...`);
    }
  });
}

/**
 * Applies the migrations `db` lacks, all in one transaction, and records each
 * in `parley_migrations`. Idempotent, and safe when several processes start
 * at once: the driver's migration lock makes the second wait and then find
 * nothing left to do.
 */
export async function applyMigrations(
  db: SqlDriver,
  options: { logger: Logger; now: () => number; list?: readonly Migration[] },
): Promise<number[]> {
  const list = options.list ?? MIGRATIONS;
  checkMigrationList(list);
  return db.migrationTransaction(async (tx) => {
    await tx.run(
      `CREATE TABLE IF NOT EXISTS parley_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`,
    );
    const applied = new Set(
      (await tx.all("SELECT version FROM parley_migrations")).map((r) => integerColumn(r, "version")),
    );
    const newest = Math.max(0, ...applied);
    if (newest > list.length) {
      throw new StoreSchemaError(
        `store: the database is at schema version ${newest}, newer than the ${list.length} this bridge knows; ` +
          "a newer bridge has used it, so run that version (or restore a backup)",
      );
    }
    const done: number[] = [];
    for (const m of list) {
      if (applied.has(m.version)) continue;
      for (const statement of migrationStatements(m, db.dialect)) await tx.run(statement);
      await tx.run("INSERT INTO parley_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        m.version,
        m.name,
        options.now(),
      ]);
      options.logger.info("store migration applied", { version: m.version, name: m.name, dialect: db.dialect });
      done.push(m.version);
    }
    return done;
  });
}
