/**
 * `BridgeStore` over any `SqlDriver`: every query of the store, written once
 * for both backends. Writes are single statements (upserts where a row may
 * exist), so concurrent bridge processes sharing a PostgreSQL database never
 * need a transaction of their own.
 */
import { setBounded } from "../connector/bounded-map.ts";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import { KeyedChains } from "./keyed-chains.ts";
import { applyMigrations } from "./migrations.ts";
import {
  integerColumn,
  optionalTextColumn,
  type SqlDriver,
  type SqlParam,
  type SqlRow,
  textColumn,
} from "./sql-driver.ts";
import { StoreClosedError, StoreSchemaError, StoreValueError } from "./store-errors.ts";
import type {
  BridgeStore,
  DeadLetter,
  MessageRecord,
  PrunableRecords,
  PuppetRecord,
  RoomLink,
  StateWriteOptions,
  StoreKind,
  UnconfirmedDelivery,
} from "./store-types.ts";
import {
  checkId,
  checkInteger,
  checkOneOf,
  checkOptionalId,
  checkOptionalText,
  checkText,
  isStorableId,
} from "./store-values.ts";

export interface SqlStoreOptions {
  readonly logger?: Logger;
  /** The clock for the times the store stamps itself (delivery, state expiry, migration times); default `Date.now`. */
  readonly now?: () => number;
}

const DIRECTIONS = ["to-xmpp", "to-remote"] as const;
const LINK_SOURCES = ["config", "admin"] as const;
const DEFAULT_DEAD_LETTER_LIMIT = 100;
const MAX_DEAD_LETTER_LIMIT = 10_000;

const MESSAGE_COLUMNS =
  "network, channel, remote_id, room, stanza_id, origin_id, sender, direction, created_at, part, thread, xmpp_thread";
/** Parts of a message in order: those of its text (0, 1, 2...), then its files (-1, -2...). */
const PART_ORDER = "CASE WHEN part < 0 THEN 1 ELSE 0 END, ABS(part)";
const LINK_COLUMNS = "network, channel, room, source, created_at";
const PUPPET_COLUMNS = "network, remote_id, display_name, avatar_url, avatar_hash, updated_at";
const DEAD_LETTER_COLUMNS = "delivery_key, lane, payload, error, attempts, dead_at";
const UNCONFIRMED_COLUMNS = "delivery_key, network, target, sender, sent_id, data, queued_at, seq";

/*
 * The statements of the relay's hot path, built once: the driver keeps a prepared statement per text, and a
 * text built at every call would be hashed again at every lookup.
 */
const MESSAGES_BY_REMOTE_ID = `SELECT ${MESSAGE_COLUMNS} FROM parley_messages WHERE network = ? AND remote_id = ? ORDER BY created_at, room`;
const MARK_DELIVERED = `INSERT INTO parley_deliveries (delivery_key, result, delivered_at) VALUES (?, ?, ?)
       ON CONFLICT (delivery_key) DO UPDATE SET result = COALESCE(parley_deliveries.result, excluded.result)`;
/** Not for a key confirmed already (a message handed over again): it would be looked up, or sent, for nothing. */
const RECORD_UNCONFIRMED = `INSERT INTO parley_unconfirmed (${UNCONFIRMED_COLUMNS})
       SELECT ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT)
       WHERE NOT EXISTS (SELECT 1 FROM parley_deliveries WHERE delivery_key = ?)
       ON CONFLICT (delivery_key) DO UPDATE SET
         target = excluded.target,
         sender = excluded.sender,
         sent_id = excluded.sent_id,
         data = excluded.data`;
const PRUNABLE = ["messages", "deliveries", "dead-letters", "unconfirmed", "expired-state"] as const;

/** One batch of each kind: the oldest `?` rows dated before `?`, found through the date's index. */
const PRUNE: Readonly<Record<PrunableRecords, string>> = {
  messages: `DELETE FROM parley_messages WHERE (network, remote_id, room) IN (
    SELECT network, remote_id, room FROM parley_messages WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
  deliveries: `DELETE FROM parley_deliveries WHERE delivery_key IN (
    SELECT delivery_key FROM parley_deliveries WHERE delivered_at < ? ORDER BY delivered_at LIMIT ?)`,
  "dead-letters": `DELETE FROM parley_dead_letters WHERE delivery_key IN (
    SELECT delivery_key FROM parley_dead_letters WHERE dead_at < ? ORDER BY dead_at LIMIT ?)`,
  unconfirmed: `DELETE FROM parley_unconfirmed WHERE delivery_key IN (
    SELECT delivery_key FROM parley_unconfirmed WHERE queued_at < ? ORDER BY queued_at LIMIT ?)`,
  "expired-state": `DELETE FROM parley_state WHERE (scope, state_key) IN (
    SELECT scope, state_key FROM parley_state WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`,
};

export class SqlStore implements BridgeStore {
  readonly kind: StoreKind;
  private readonly db: SqlDriver;
  private readonly logger: Logger;
  private readonly now: () => number;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Migrations in this process run one after another (SQLite cannot nest the transaction). */
  private migrating: Promise<unknown> = Promise.resolve();
  /**
   * Message-map writes not yet settled, chained per remote message and per
   * room. A lookup waits for the writes asked for before it that concern
   * what it looks up, so what a caller wrote without awaiting is what the next
   * lookup sees: the reflection of a message stores its stanza-id while a
   * reply or read marker naming that id may already be on its way, and
   * PostgreSQL runs pooled queries in any order. Lookups of other messages do
   * not wait, so a connector that checks each new message (is it our echo?)
   * while the writes of earlier ones are in flight still gets them committed
   * together.
   */
  private readonly pendingByRemote = new KeyedChains();
  private readonly pendingByRoom = new KeyedChains();
  /** Inserts in flight by network, room and origin-id: a stanza-id update waits for its own row's insert only. */
  private readonly pendingInserts = new KeyedChains();
  /** The remote message of a recent insert, by network, room and origin-id, until its stanza-id is set (at most MAX_REMEMBERED_ORIGINS, oldest dropped). */
  private readonly remoteOfOrigin = new Map<string, string>();

  constructor(db: SqlDriver, options: SqlStoreOptions = {}) {
    this.db = db;
    this.kind = db.dialect;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  async migrate(): Promise<void> {
    this.open();
    const run = this.migrating.then(() => applyMigrations(this.db, { logger: this.logger, now: this.now }));
    this.migrating = run.catch(() => undefined); // only orders the next migrate: `run` carries the failure to the caller
    await run;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      // Message-map writes already asked for (a stanza-id update waiting for its insert) still run.
      this.closing = this.migrating.then(() => this.pendingByRoom.all()).then(() => this.db.close());
    }
    return this.closing;
  }

  // --- message map ---------------------------------------------------------

  async recordMessage(r: MessageRecord): Promise<void> {
    this.open();
    const params = [
      checkId("network", r.network),
      checkId("remoteId", r.remoteId),
      checkId("room", r.room),
      checkId("channel", r.channel),
      checkOptionalId("stanzaId", r.stanzaId),
      checkOptionalId("originId", r.originId),
      checkText("sender", r.sender),
      checkOneOf("direction", r.direction, DIRECTIONS),
      checkInteger("createdAt", r.createdAt),
      checkInteger("part", r.part ?? 0),
      checkOptionalId("thread", r.thread),
      checkOptionalId("xmppThread", r.xmppThread),
    ];
    const insert = this.run(
      `INSERT INTO parley_messages
         (network, remote_id, room, channel, stanza_id, origin_id, sender, direction, created_at, part, thread, xmpp_thread)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (network, remote_id, room) DO UPDATE SET
         stanza_id = COALESCE(parley_messages.stanza_id, excluded.stanza_id),
         origin_id = COALESCE(parley_messages.origin_id, excluded.origin_id),
         thread = COALESCE(parley_messages.thread, excluded.thread),
         xmpp_thread = COALESCE(parley_messages.xmpp_thread, excluded.xmpp_thread)`,
      params,
    );
    const remote = remoteKey(r.network, r.remoteId);
    this.pendingByRemote.add(remote, insert);
    this.pendingByRoom.add(roomKey(r.network, r.room), insert);
    if (r.originId !== undefined && r.originId !== "") {
      const origin = originKey(r.network, r.room, r.originId);
      this.pendingInserts.add(origin, insert);
      // Only a message the bridge sent to XMPP waits for a stanza-id (its room's reflection or archive sets it):
      // one relayed from XMPP came with its own, and remembering it would keep every one up to the bound.
      if (r.direction === "to-xmpp" && (r.stanzaId === undefined || r.stanzaId === "")) this.remember(origin, remote);
    }
    await insert;
  }

  /** Remembers the remote message of `origin` until its stanza-id is set; the oldest forgotten past MAX_REMEMBERED_ORIGINS. */
  private remember(origin: string, remote: string): void {
    setBounded(this.remoteOfOrigin, origin, remote, MAX_REMEMBERED_ORIGINS);
  }

  /** Messages sent to XMPP whose stanza-id has not come yet, remembered in memory (at most MAX_REMEMBERED_ORIGINS). */
  get awaitingStanzaIds(): number {
    return this.remoteOfOrigin.size;
  }

  async setStanzaId(network: string, room: string, originId: string, stanzaId: string): Promise<void> {
    this.open();
    const params = [
      checkOptionalId("stanzaId", stanzaId),
      checkId("network", network),
      checkId("room", room),
      checkId("originId", originId),
    ];
    if (params[0] === null || originId === "") return;
    const update = () =>
      this.db.run("UPDATE parley_messages SET stanza_id = ? WHERE network = ? AND room = ? AND origin_id = ?", params);
    // The row's insert may still be in flight: the update waits for it, and lookups wait for the update.
    const origin = originKey(network, room, originId);
    const insert = this.pendingInserts.settled(origin);
    const write = insert ? insert.then(update) : update();
    this.pendingByRoom.add(roomKey(network, room), write);
    const remote = this.remoteOfOrigin.get(origin);
    if (remote !== undefined) {
      this.remoteOfOrigin.delete(origin);
      this.pendingByRemote.add(remote, write);
    }
    await write;
  }

  async byRemoteId(network: string, remoteId: string): Promise<MessageRecord[]> {
    this.open();
    if (!isStorableId("network", network) || !isStorableId("remoteId", remoteId)) return [];
    await this.pendingByRemote.settled(remoteKey(network, remoteId));
    const rows = await this.all(MESSAGES_BY_REMOTE_ID, [network, remoteId]);
    return rows.map(messageFromRow);
  }

  async byXmppId(network: string, room: string, id: string, channel?: string): Promise<MessageRecord | undefined> {
    this.open();
    if (!isStorableId("network", network) || !isStorableId("room", room) || !isStorableId("id", id)) return undefined;
    if (channel !== undefined && !isStorableId("channel", channel)) return undefined;
    if (id === "") return undefined;
    await this.pendingByRoom.settled(roomKey(network, room));
    const inChannel = channel !== undefined ? " AND channel = ?" : "";
    // Each side of the OR names a whole index (network, room and the id), so each is looked up in its own.
    const rows = await this.all(
      `SELECT ${MESSAGE_COLUMNS} FROM parley_messages
       WHERE ((network = ? AND room = ? AND stanza_id = ?) OR (network = ? AND room = ? AND origin_id = ?))${inChannel}
       ORDER BY CASE WHEN stanza_id = ? THEN 0 ELSE 1 END, ${PART_ORDER}, created_at
       LIMIT 1`,
      channel !== undefined
        ? [network, room, id, network, room, id, channel, id]
        : [network, room, id, network, room, id, id],
    );
    const row = rows[0];
    return row ? messageFromRow(row) : undefined;
  }

  async partsByXmppId(network: string, room: string, id: string, channel: string): Promise<MessageRecord[]> {
    const first = await this.byXmppId(network, room, id, channel);
    if (first === undefined) return [];
    // The parts share the first's ids: the one it was found by names them all.
    const [column, value] = first.stanzaId === id ? ["stanza_id", id] : ["origin_id", first.originId ?? id];
    const rows = await this.all(
      `SELECT ${MESSAGE_COLUMNS} FROM parley_messages
       WHERE network = ? AND room = ? AND channel = ? AND ${column} = ?
       ORDER BY ${PART_ORDER}, created_at`,
      [network, room, channel, value],
    );
    return rows.map(messageFromRow);
  }

  async remoteThreadOf(
    network: string,
    room: string,
    channel: string,
    xmppThread: string,
  ): Promise<string | undefined> {
    this.open();
    if (!storableIds(network, room, channel, xmppThread)) return undefined;
    await this.pendingByRoom.settled(roomKey(network, room));
    const rows = await this.all(
      `SELECT COALESCE(thread, remote_id) AS root FROM parley_messages
       WHERE network = ? AND room = ? AND channel = ? AND xmpp_thread = ?
       ORDER BY created_at, ${PART_ORDER}
       LIMIT 1`,
      [network, room, channel, xmppThread],
    );
    const row = rows[0];
    return row ? textColumn(row, "root") : undefined;
  }

  async xmppThreadOf(network: string, room: string, channel: string, thread: string): Promise<string | undefined> {
    this.open();
    if (!storableIds(network, room, channel, thread)) return undefined;
    await this.pendingByRoom.settled(roomKey(network, room));
    // The root (by its remote id) or a message in its thread, each found through its own index. `|| ''` keeps
    // the second to the thread's index: a bare `xmpp_thread IS NOT NULL` is what the (partial) index of
    // xmpp_thread is made for, and SQLite would rather scan the channel's threaded messages through it.
    const rows = await this.all(
      `SELECT xmpp_thread, created_at FROM parley_messages
       WHERE network = ? AND remote_id = ? AND room = ? AND channel = ? AND xmpp_thread IS NOT NULL
       UNION ALL
       SELECT xmpp_thread, created_at FROM parley_messages
       WHERE network = ? AND room = ? AND channel = ? AND thread = ? AND xmpp_thread || '' IS NOT NULL
       ORDER BY created_at
       LIMIT 1`,
      [network, thread, room, channel, network, room, channel, thread],
    );
    const row = rows[0];
    return row ? textColumn(row, "xmpp_thread") : undefined;
  }

  async forgetMessage(network: string, remoteId: string, room: string): Promise<void> {
    this.open();
    if (!isStorableId("network", network) || !isStorableId("remoteId", remoteId) || !isStorableId("room", room)) return;
    const write = this.run("DELETE FROM parley_messages WHERE network = ? AND remote_id = ? AND room = ?", [
      network,
      remoteId,
      room,
    ]);
    this.pendingByRemote.add(remoteKey(network, remoteId), write);
    this.pendingByRoom.add(roomKey(network, room), write);
    await write;
  }

  // --- room links ----------------------------------------------------------

  async putLink(link: RoomLink): Promise<void> {
    this.open();
    const params = [
      checkId("network", link.network),
      checkId("channel", link.channel),
      checkId("room", link.room),
      checkOneOf("source", link.source, LINK_SOURCES),
      checkInteger("createdAt", link.createdAt),
    ];
    await this.run(
      `INSERT INTO parley_room_links (${LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (network, channel, room) DO UPDATE SET source = excluded.source`,
      params,
    );
  }

  async removeLink(network: string, channel: string, room: string): Promise<boolean> {
    this.open();
    if (!isStorableId("network", network) || !isStorableId("channel", channel) || !isStorableId("room", room)) {
      return false;
    }
    const n = await this.run("DELETE FROM parley_room_links WHERE network = ? AND channel = ? AND room = ?", [
      network,
      channel,
      room,
    ]);
    return n > 0;
  }

  async listLinks(network?: string): Promise<RoomLink[]> {
    this.open();
    const order = "ORDER BY created_at, network, channel, room";
    if (network === undefined) {
      return (await this.all(`SELECT ${LINK_COLUMNS} FROM parley_room_links ${order}`)).map(linkFromRow);
    }
    if (!isStorableId("network", network)) return [];
    const rows = await this.all(`SELECT ${LINK_COLUMNS} FROM parley_room_links WHERE network = ? ${order}`, [network]);
    return rows.map(linkFromRow);
  }

  // --- puppets -------------------------------------------------------------

  async putPuppet(p: PuppetRecord): Promise<void> {
    this.open();
    const params = [
      checkId("network", p.network),
      checkId("remoteId", p.remoteId),
      checkText("displayName", p.displayName),
      checkOptionalText("avatarUrl", p.avatarUrl),
      checkOptionalText("avatarHash", p.avatarHash),
      checkInteger("updatedAt", p.updatedAt),
    ];
    await this.run(
      `INSERT INTO parley_puppets (${PUPPET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (network, remote_id) DO UPDATE SET
         display_name = excluded.display_name,
         avatar_url = excluded.avatar_url,
         avatar_hash = excluded.avatar_hash,
         updated_at = excluded.updated_at`,
      params,
    );
  }

  async getPuppet(network: string, remoteId: string): Promise<PuppetRecord | undefined> {
    this.open();
    if (!isStorableId("network", network) || !isStorableId("remoteId", remoteId)) return undefined;
    const rows = await this.all(`SELECT ${PUPPET_COLUMNS} FROM parley_puppets WHERE network = ? AND remote_id = ?`, [
      network,
      remoteId,
    ]);
    const row = rows[0];
    return row ? puppetFromRow(row) : undefined;
  }

  // --- reactions -----------------------------------------------------------

  async getReactions(network: string, target: string, sender: string): Promise<string[]> {
    this.open();
    if (!isStorableId("network", network) || !isStorableId("target", target) || !isStorableId("sender", sender)) {
      return [];
    }
    const rows = await this.all("SELECT emojis FROM parley_reactions WHERE network = ? AND target = ? AND sender = ?", [
      network,
      target,
      sender,
    ]);
    const row = rows[0];
    return row ? emojisFromColumn(textColumn(row, "emojis")) : [];
  }

  async setReactions(network: string, target: string, sender: string, emojis: readonly string[]): Promise<void> {
    this.open();
    const key = [checkId("network", network), checkId("target", target), checkId("sender", sender)];
    if (!Array.isArray(emojis)) checkText("emojis", emojis); // throws with the type it got
    const set = [...new Set(emojis.map((e, i) => checkText(`emojis[${i}]`, e)))];
    if (set.length === 0) {
      await this.run("DELETE FROM parley_reactions WHERE network = ? AND target = ? AND sender = ?", key);
      return;
    }
    await this.run(
      `INSERT INTO parley_reactions (network, target, sender, emojis) VALUES (?, ?, ?, ?)
       ON CONFLICT (network, target, sender) DO UPDATE SET emojis = excluded.emojis`,
      [...key, JSON.stringify(set)],
    );
  }

  // --- delivery ledger and dead letters ------------------------------------

  async deliveredResult(key: string): Promise<string | undefined | null> {
    this.open();
    if (!isStorableId("key", key)) return undefined;
    const rows = await this.all("SELECT result FROM parley_deliveries WHERE delivery_key = ?", [key]);
    const row = rows[0];
    return row ? (optionalTextColumn(row, "result") ?? null) : undefined;
  }

  async markDelivered(key: string, result?: string): Promise<void> {
    this.open();
    const params = [checkId("key", key), checkOptionalText("result", result)];
    await this.run(MARK_DELIVERED, [...params, this.now()]);
  }

  async recordUnconfirmed(u: UnconfirmedDelivery): Promise<void> {
    this.open();
    const params = [
      checkId("key", u.key),
      checkId("network", u.network),
      checkId("target", u.target),
      checkText("sender", u.sender),
      checkId("id", u.id),
      checkText("data", u.data),
      checkInteger("at", u.at),
      checkInteger("seq", u.seq),
    ];
    await this.run(RECORD_UNCONFIRMED, [...params, params[0] as SqlParam]);
  }

  async unconfirmed(network: string): Promise<UnconfirmedDelivery[]> {
    this.open();
    const rows = await this.all(
      `SELECT ${UNCONFIRMED_COLUMNS} FROM parley_unconfirmed WHERE network = ? ORDER BY queued_at, seq, delivery_key`,
      [checkId("network", network)],
    );
    return rows.map(unconfirmedFromRow);
  }

  async confirmDelivery(key: string, result?: string): Promise<void> {
    // The ledger's trigger drops the unconfirmed record in the same statement (migration 6).
    await this.markDelivered(key, result);
  }

  async dropUnconfirmed(key: string): Promise<void> {
    this.open();
    await this.run("DELETE FROM parley_unconfirmed WHERE delivery_key = ?", [checkId("key", key)]);
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    this.open();
    const params = [
      checkId("key", d.key),
      checkText("lane", d.lane),
      checkText("payload", d.payload),
      checkText("error", d.error),
      checkInteger("attempts", d.attempts),
      checkInteger("at", d.at),
    ];
    await this.run(
      `INSERT INTO parley_dead_letters (${DEAD_LETTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (delivery_key) DO UPDATE SET
         lane = excluded.lane,
         payload = excluded.payload,
         error = excluded.error,
         attempts = excluded.attempts,
         dead_at = excluded.dead_at`,
      params,
    );
  }

  async listDeadLetters(limit = DEFAULT_DEAD_LETTER_LIMIT): Promise<DeadLetter[]> {
    this.open();
    const n = Math.min(Math.max(0, checkInteger("limit", limit)), MAX_DEAD_LETTER_LIMIT);
    if (n === 0) return [];
    const rows = await this.all(
      `SELECT ${DEAD_LETTER_COLUMNS} FROM parley_dead_letters ORDER BY dead_at DESC, delivery_key LIMIT ?`,
      [n],
    );
    return rows.map(deadLetterFromRow);
  }

  // --- state ---------------------------------------------------------------

  async getState(scope: string, key: string): Promise<string | undefined> {
    this.open();
    if (!isStorableId("scope", scope) || !isStorableId("key", key)) return undefined;
    const rows = await this.all(
      "SELECT value FROM parley_state WHERE scope = ? AND state_key = ? AND (expires_at IS NULL OR expires_at > ?)",
      [scope, key, this.now()],
    );
    const row = rows[0];
    return row ? textColumn(row, "value") : undefined;
  }

  async setState(scope: string, key: string, value: string, options: StateWriteOptions = {}): Promise<void> {
    this.open();
    const ttl = options.ttlMs === undefined ? undefined : checkInteger("ttlMs", options.ttlMs);
    if (ttl !== undefined && ttl <= 0) throw new StoreValueError("ttlMs", `must be at least 1, got ${ttl}`);
    const params = [
      checkId("scope", scope),
      checkId("key", key),
      checkText("value", value),
      ttl === undefined ? null : this.now() + ttl,
    ];
    await this.run(
      `INSERT INTO parley_state (scope, state_key, value, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, state_key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      params,
    );
  }

  // --- retention -------------------------------------------------------------

  async prune(records: PrunableRecords, before: number, limit: number): Promise<number> {
    this.open();
    const params = [checkInteger("before", before), checkInteger("limit", limit)];
    if (limit <= 0) return 0;
    return this.run(PRUNE[checkOneOf("records", records, PRUNABLE)], params);
  }

  // --- plumbing --------------------------------------------------------------

  private open(): void {
    if (this.closed) throw new StoreClosedError(this.kind);
  }

  private run(sql: string, params: readonly SqlParam[]): Promise<number> {
    this.open();
    return this.db.run(sql, params);
  }

  private all(sql: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    this.open();
    return this.db.all(sql, params);
  }
}

/** The part number of a row, left out for the first part (as rows written before parts existed read). */
function partOf(row: SqlRow): { part?: number } {
  const part = row.part === undefined || row.part === null ? 0 : integerColumn(row, "part");
  return part === 0 ? {} : { part };
}

function messageFromRow(row: SqlRow): MessageRecord {
  const stanzaId = optionalTextColumn(row, "stanza_id");
  const originId = optionalTextColumn(row, "origin_id");
  const thread = optionalTextColumn(row, "thread");
  const xmppThread = optionalTextColumn(row, "xmpp_thread");
  const direction = textColumn(row, "direction");
  if (direction !== "to-xmpp" && direction !== "to-remote") {
    throw new StoreSchemaError(`store: parley_messages.direction holds "${direction}"`);
  }
  return {
    network: textColumn(row, "network"),
    channel: textColumn(row, "channel"),
    remoteId: textColumn(row, "remote_id"),
    room: textColumn(row, "room"),
    ...(stanzaId === undefined ? {} : { stanzaId }),
    ...(originId === undefined ? {} : { originId }),
    sender: textColumn(row, "sender"),
    direction,
    createdAt: integerColumn(row, "created_at"),
    ...partOf(row),
    ...(thread === undefined ? {} : { thread }),
    ...(xmppThread === undefined ? {} : { xmppThread }),
  };
}

/** Whether every one of these ids can be in the store (one that cannot names nothing there). */
function storableIds(network: string, room: string, channel: string, id: string): boolean {
  return (
    id !== "" &&
    isStorableId("network", network) &&
    isStorableId("room", room) &&
    isStorableId("channel", channel) &&
    isStorableId("id", id)
  );
}

function linkFromRow(row: SqlRow): RoomLink {
  const source = textColumn(row, "source");
  if (source !== "config" && source !== "admin") {
    throw new StoreSchemaError(`store: parley_room_links.source holds "${source}"`);
  }
  return {
    network: textColumn(row, "network"),
    channel: textColumn(row, "channel"),
    room: textColumn(row, "room"),
    source,
    createdAt: integerColumn(row, "created_at"),
  };
}

function puppetFromRow(row: SqlRow): PuppetRecord {
  const avatarUrl = optionalTextColumn(row, "avatar_url");
  const avatarHash = optionalTextColumn(row, "avatar_hash");
  return {
    network: textColumn(row, "network"),
    remoteId: textColumn(row, "remote_id"),
    displayName: textColumn(row, "display_name"),
    ...(avatarUrl === undefined ? {} : { avatarUrl }),
    ...(avatarHash === undefined ? {} : { avatarHash }),
    updatedAt: integerColumn(row, "updated_at"),
  };
}

function deadLetterFromRow(row: SqlRow): DeadLetter {
  return {
    key: textColumn(row, "delivery_key"),
    lane: textColumn(row, "lane"),
    payload: textColumn(row, "payload"),
    error: textColumn(row, "error"),
    attempts: integerColumn(row, "attempts"),
    at: integerColumn(row, "dead_at"),
  };
}

function unconfirmedFromRow(row: SqlRow): UnconfirmedDelivery {
  return {
    key: textColumn(row, "delivery_key"),
    network: textColumn(row, "network"),
    target: textColumn(row, "target"),
    sender: textColumn(row, "sender"),
    id: textColumn(row, "sent_id"),
    data: textColumn(row, "data"),
    at: integerColumn(row, "queued_at"),
    seq: integerColumn(row, "seq"),
  };
}

function emojisFromColumn(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined; // reported just below as a schema error
  }
  if (!Array.isArray(parsed) || !parsed.every((e): e is string => typeof e === "string")) {
    throw new StoreSchemaError("store: parley_reactions.emojis is not a JSON array of strings");
  }
  return parsed;
}

/**
 * Messages sent to XMPP whose stanza-id has not come yet, remembered to make lookups of them wait for it;
 * one is forgotten when its stanza-id is set, the oldest past this bound (a reflection that never came).
 */
const MAX_REMEMBERED_ORIGINS = 10_000;

function remoteKey(network: string, remoteId: string): string {
  return `${network}\n${remoteId}`;
}

function roomKey(network: string, room: string): string {
  return `${network}\n${room}`;
}

function originKey(network: string, room: string, originId: string): string {
  return `${network}\n${room}\n${originId}`;
}
