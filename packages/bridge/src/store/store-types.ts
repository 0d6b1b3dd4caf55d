/**
 * What the bridge remembers across restarts, and the one interface both
 * backends (SQLite, PostgreSQL) implement. The engine is written against
 * `BridgeStore` only; which database sits behind it is a deployment choice.
 */

/**
 * One bridged message in one room: the row that lets edits, deletes, replies
 * and reactions find their counterpart on the other side, in both directions.
 */
export interface MessageRecord {
  /** Connector id, e.g. "discord". */
  readonly network: string;
  /** Remote channel id (the DM channel id for direct messages). */
  readonly channel: string;
  /** Remote message id. */
  readonly remoteId: string;
  /** Bare JID of the MUC room, or of the XMPP user for a DM. */
  readonly room: string;
  /** XEP-0359 stanza-id the room assigned, once known. */
  readonly stanzaId?: string;
  /** XEP-0359 origin-id (or message id) of the stanza we sent or received. */
  readonly originId?: string;
  /** Remote user id, or the XMPP JID of the author. */
  readonly sender: string;
  readonly direction: "to-xmpp" | "to-remote";
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /**
   * Which post of the message this row is, when the network got it in
   * several (the engine splits what is too long for one post): 0 (or
   * absent) the first, 1, 2... the further parts of its text, -1, -2... the
   * posts of files that went on their own. Every part has the message's
   * room, stanza-id and origin-id.
   */
  readonly part?: number;
  /**
   * The network's thread the message sits in: the root id a connector
   * names it by (`RemoteMessage.thread`, `OutgoingMessage.thread`). Absent
   * for a message outside any thread, and for the first message of a
   * thread an XMPP user started (the root itself, whose `remoteId` the
   * thread is then known by).
   */
  readonly thread?: string;
  /** The XEP-0201 thread id the message has in the room, when it has one. */
  readonly xmppThread?: string;
}

/** A remote channel linked to a MUC room; `config` links are re-asserted at every start, `admin` ones only live here. */
export interface RoomLink {
  readonly network: string;
  readonly channel: string;
  readonly room: string;
  readonly source: "config" | "admin";
  readonly createdAt: number;
}

/** What the bridge last published for a remote user's puppet, so it republishes only on change. */
export interface PuppetRecord {
  readonly network: string;
  readonly remoteId: string;
  readonly displayName: string;
  readonly avatarUrl?: string;
  readonly avatarHash?: string;
  readonly updatedAt: number;
}

/** Dead letters are the delivery queue's; the store keeps them (it is the queue's ledger). */
import type { DeadLetter, UnconfirmedDelivery } from "../delivery/delivery-ledger.ts";

export type { DeadLetter, UnconfirmedDelivery };

export type StoreKind = "sqlite" | "postgres";

/** How `setState` keeps a key. */
export interface StateWriteOptions {
  /**
   * Forget the key this many milliseconds after this write (a positive whole
   * number). Every write sets the expiry anew: one without `ttlMs` keeps the
   * key for ever, which is what cursors and other state still in use need.
   */
  readonly ttlMs?: number;
}

/** What `prune` removes, each kind by its own date. */
export type PrunableRecords = "messages" | "deliveries" | "dead-letters" | "unconfirmed" | "expired-state";

/**
 * The bridge's persistent state. Every method is async and every write is a
 * single atomic statement, so a crash leaves each row either old or new.
 * Strings may hold any Unicode (well-formed UTF-16, no NUL: PostgreSQL cannot
 * store NUL, so both backends refuse it with a `StoreValueError`); timestamps
 * and counts are safe integers. After `close()` every call rejects with a
 * `StoreClosedError`.
 */
export interface BridgeStore {
  readonly kind: StoreKind;
  /** Brings the schema up to date; a no-op when it already is. `openStore` calls it before resolving. */
  migrate(): Promise<void>;
  /** Releases the database; calling it again does nothing. */
  close(): Promise<void>;

  /**
   * The message map reads its own writes: `byRemoteId` sees the
   * `recordMessage` and `setStanzaId` writes of that remote message, and
   * `byXmppId` those of that room, asked for before it, whether or not the
   * caller awaited them; `setStanzaId` applies to a record asked for before
   * it. The engine relies on this to send without waiting for each commit.
   *
   * Upserts on (network, remoteId, room). A row that exists keeps its fields,
   * except that a missing stanzaId or originId is filled in from `r`; ids are
   * never erased or replaced.
   */
  recordMessage(r: MessageRecord): Promise<void>;
  /** Sets the stanza-id the room assigned to the message we sent with `originId` (from the room's reflection). */
  setStanzaId(network: string, room: string, originId: string, stanzaId: string): Promise<void>;
  /** Every room the remote message went to, oldest first. */
  byRemoteId(network: string, remoteId: string): Promise<MessageRecord[]>;
  /**
   * The message in `room` whose stanzaId or originId is `id` (a stanzaId match wins); with `channel`, only
   * its record in that remote channel (a room linked to several channels has one per channel). Of a
   * message posted in parts, its first part.
   */
  byXmppId(network: string, room: string, id: string, channel?: string): Promise<MessageRecord | undefined>;
  /**
   * Every part of the message in `room` whose stanzaId or originId is `id`, in `channel`: the parts of its
   * text in order (0, 1, 2...), then the posts of its files (-1, -2...); [] when none is mapped.
   */
  partsByXmppId(network: string, room: string, id: string, channel: string): Promise<MessageRecord[]>;
  /**
   * The network's thread that XMPP thread `xmppThread` of `room` is in
   * `channel`: the `thread` of its earliest message there, or that message's
   * own remote id when it sits in none (the root of a thread the XMPP user
   * started). Undefined when no message of that thread is mapped there.
   */
  remoteThreadOf(network: string, room: string, channel: string, xmppThread: string): Promise<string | undefined>;
  /**
   * The XMPP thread id that the network's thread `thread` of `channel` has in
   * `room`: the `xmppThread` of the earliest message mapped there that is
   * the thread's root or sits in it and has one. Undefined when none has.
   */
  xmppThreadOf(network: string, room: string, channel: string, thread: string): Promise<string | undefined>;
  /** Forgets one row of the message map (a part an edit no longer needs, deleted from the network). */
  forgetMessage(network: string, remoteId: string, room: string): Promise<void>;

  /** Adds a link, or updates the source of one that exists (keeping its createdAt). */
  putLink(link: RoomLink): Promise<void>;
  /** Whether a link was there to remove. */
  removeLink(network: string, channel: string, room: string): Promise<boolean>;
  /** All links, or one network's, oldest first. */
  listLinks(network?: string): Promise<RoomLink[]>;

  /** Replaces what is stored for the puppet (an absent avatar field clears it). */
  putPuppet(p: PuppetRecord): Promise<void>;
  getPuppet(network: string, remoteId: string): Promise<PuppetRecord | undefined>;

  /** The full current reaction set of `sender` on `target` (XEP-0444 sends full sets, so the engine diffs); [] when none. */
  getReactions(network: string, target: string, sender: string): Promise<string[]>;
  /** Replaces the set (duplicates dropped, order kept); an empty set deletes the row. */
  setReactions(network: string, target: string, sender: string, emojis: readonly string[]): Promise<void>;

  /** undefined: never delivered; null: delivered without a result; a string: delivered, with that result. */
  deliveredResult(key: string): Promise<string | undefined | null>;
  /**
   * Marks `key` delivered for good (and forgets its unconfirmed record, if any); a later call may add a result
   * that was missing, never change one.
   */
  markDelivered(key: string, result?: string): Promise<void>;
  /** Records a delivery sent and not yet confirmed by the other side (replacing an earlier record of its key). */
  recordUnconfirmed(u: UnconfirmedDelivery): Promise<void>;
  /** `network`'s unconfirmed deliveries, oldest first (by when they were queued, then `seq`). */
  unconfirmed(network: string): Promise<UnconfirmedDelivery[]>;
  /** Marks `key` delivered and forgets its unconfirmed record (one write: a crash leaves both or neither). */
  confirmDelivery(key: string, result?: string): Promise<void>;
  /** Forgets the unconfirmed record of `key`. */
  dropUnconfirmed(key: string): Promise<void>;

  /** Records a dead letter; a key dead-lettered again replaces its earlier entry. */
  addDeadLetter(d: DeadLetter): Promise<void>;
  /** The most recent dead letters first; `limit` defaults to 100. */
  listDeadLetters(limit?: number): Promise<DeadLetter[]>;

  /** Small key/value state: catch-up cursors, last transaction ids. A key past its expiry reads as undefined. */
  getState(scope: string, key: string): Promise<string | undefined>;
  setState(scope: string, key: string, value: string, options?: StateWriteOptions): Promise<void>;

  /**
   * Deletes at most `limit` rows of one kind dated before `before`
   * (milliseconds since the epoch): messages by their `createdAt`,
   * deliveries by when they were marked delivered, dead letters by their
   * `at`, unconfirmed deliveries by when they were queued, state by its
   * expiry (keys without one are never pruned). Resolves
   * with how many went; fewer than `limit` means none are left. Each call is
   * one short statement, so pruning in batches never holds up other writes
   * for long. Used by `StoreRetention`.
   */
  prune(records: PrunableRecords, before: number, limit: number): Promise<number>;
}
