/**
 * Where the delivery queue remembers what it already delivered and what it gave
 * up on. The store implements this over its tables so that idempotency survives
 * a restart: a job replayed after a crash finds its key delivered and is not
 * posted twice. `MemoryDeliveryLedger` is for tests and for running without a
 * store.
 *
 * A delivery has two states on record: *unconfirmed* (sent, or about to be,
 * and not yet seen by the other side: kept with everything needed to send it
 * again) and *confirmed* (`markDelivered`: the other side has it). Only a
 * confirmed key counts as delivered. What is unconfirmed when the bridge stops
 * or crashes is reconciled at the next start (looked up on the other side, and
 * sent again only when absent, in its original order).
 */
import { setBounded } from "../connector/bounded-map.ts";

/** A job the queue gave up on, kept so that an admin can inspect or replay it. */
export interface DeadLetter {
  readonly key: string;
  readonly lane: string;
  /** The job's `payload` (JSON), or "" when it had none. */
  readonly payload: string;
  /** The last error, as a one-line message. */
  readonly error: string;
  readonly attempts: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** A delivery sent (or about to be) and not yet confirmed by the other side, with what it takes to send it again. */
export interface UnconfirmedDelivery {
  readonly key: string;
  /** The network whose bridge sent it (one store may serve several bridges). */
  readonly network: string;
  /** Where it goes: the room's bare JID. */
  readonly target: string;
  /** Who sends it: the puppet's localpart (it must be in the room to send again). */
  readonly sender: string;
  /** The id the other side knows it by (XMPP: the origin-id, derived from the key). */
  readonly id: string;
  /** What to send again, as it was first sent (XMPP: the stanza's XML). */
  readonly data: string;
  /** When it was first queued (milliseconds since the epoch) and its order among those of the same millisecond. */
  readonly at: number;
  readonly seq: number;
}

export interface DeliveryLedger {
  /**
   * `undefined` when `key` was never delivered; otherwise what its job
   * returned, as stored by `markDelivered` (`null` when it returned nothing).
   */
  deliveredResult(key: string): Promise<string | undefined | null>;
  markDelivered(key: string, result?: string): Promise<void>;
  addDeadLetter(d: DeadLetter): Promise<void>;
  /*
   * The unconfirmed state, for jobs that await the other side's confirmation
   * (optional: a ledger without it records such jobs only once confirmed).
   */
  /** Records a delivery as sent but unconfirmed (replacing an earlier record of the same key). */
  recordUnconfirmed?(u: UnconfirmedDelivery): Promise<void>;
  /** The unconfirmed deliveries of `network`, in their original order (oldest first). */
  unconfirmed?(network: string): Promise<UnconfirmedDelivery[]>;
  /** The other side has it: marks `key` delivered (with `result`) and forgets its unconfirmed record. */
  confirmDelivery?(key: string, result?: string): Promise<void>;
  /** Forgets the unconfirmed record of `key` without marking it delivered (given up: logged by the caller). */
  dropUnconfirmed?(key: string): Promise<void>;
}

/**
 * A ledger in memory, bounded: past `maxEntries` delivered keys (default
 * 100,000) the oldest are forgotten, past `maxDeadLetters` (default 1,000) the
 * oldest dead letters are.
 */
export class MemoryDeliveryLedger implements DeliveryLedger {
  private readonly delivered = new Map<string, string | null>();
  private readonly dead: DeadLetter[] = [];
  private readonly pending = new Map<string, UnconfirmedDelivery>();
  private readonly maxEntries: number;
  private readonly maxDeadLetters: number;

  constructor(o: { maxEntries?: number; maxDeadLetters?: number } = {}) {
    this.maxEntries = o.maxEntries ?? 100_000;
    this.maxDeadLetters = o.maxDeadLetters ?? 1_000;
  }

  async deliveredResult(key: string): Promise<string | undefined | null> {
    return this.delivered.get(key);
  }

  /** As the SQL stores do: a delivery marked is no longer unconfirmed, however it came to be marked. */
  async markDelivered(key: string, result?: string): Promise<void> {
    setBounded(this.delivered, key, result ?? null, this.maxEntries);
    this.pending.delete(key);
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    this.dead.push(d);
    if (this.dead.length > this.maxDeadLetters) this.dead.shift();
  }

  /** Not for a key delivered already (a message handed over again): there is nothing to confirm. */
  async recordUnconfirmed(u: UnconfirmedDelivery): Promise<void> {
    if (this.delivered.has(u.key)) return;
    this.pending.delete(u.key);
    this.pending.set(u.key, u);
  }

  async unconfirmed(network: string): Promise<UnconfirmedDelivery[]> {
    return [...this.pending.values()].filter((u) => u.network === network).sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  async confirmDelivery(key: string, result?: string): Promise<void> {
    await this.markDelivered(key, result);
  }

  async dropUnconfirmed(key: string): Promise<void> {
    this.pending.delete(key);
  }

  /** The dead letters kept, oldest first. */
  deadLetters(): readonly DeadLetter[] {
    return [...this.dead];
  }
}
