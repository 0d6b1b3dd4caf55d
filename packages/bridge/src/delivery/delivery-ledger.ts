/**
 * Where the delivery queue remembers what it already delivered and what it gave
 * up on. The store implements this over its tables so that idempotency survives
 * a restart: a job replayed after a crash finds its key delivered and is not
 * posted twice. `MemoryDeliveryLedger` is for tests and for running without a
 * store.
 */

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

export interface DeliveryLedger {
  /**
   * `undefined` when `key` was never delivered; otherwise what its job
   * returned, as stored by `markDelivered` (`null` when it returned nothing).
   */
  deliveredResult(key: string): Promise<string | undefined | null>;
  markDelivered(key: string, result?: string): Promise<void>;
  addDeadLetter(d: DeadLetter): Promise<void>;
}

/**
 * A ledger in memory, bounded: past `maxEntries` delivered keys (default
 * 100,000) the oldest are forgotten, past `maxDeadLetters` (default 1,000) the
 * oldest dead letters are.
 */
export class MemoryDeliveryLedger implements DeliveryLedger {
  private readonly delivered = new Map<string, string | null>();
  private readonly dead: DeadLetter[] = [];
  private readonly maxEntries: number;
  private readonly maxDeadLetters: number;

  constructor(o: { maxEntries?: number; maxDeadLetters?: number } = {}) {
    this.maxEntries = o.maxEntries ?? 100_000;
    this.maxDeadLetters = o.maxDeadLetters ?? 1_000;
  }

  async deliveredResult(key: string): Promise<string | undefined | null> {
    return this.delivered.get(key);
  }

  async markDelivered(key: string, result?: string): Promise<void> {
    this.delivered.delete(key);
    this.delivered.set(key, result ?? null);
    if (this.delivered.size > this.maxEntries) {
      const oldest = this.delivered.keys().next();
      if (!oldest.done) this.delivered.delete(oldest.value);
    }
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    this.dead.push(d);
    if (this.dead.length > this.maxDeadLetters) this.dead.shift();
  }

  /** The dead letters kept, oldest first. */
  deadLetters(): readonly DeadLetter[] {
    return [...this.dead];
  }
}
