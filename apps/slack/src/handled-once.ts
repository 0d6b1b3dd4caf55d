/**
 * What was handed to the engine already, kept in the connector's state so
 * that it holds across a restart: Slack redelivers an envelope it thinks
 * unacknowledged (`retry_attempt`), Socket Mode may deliver one again after
 * a reconnection, and catch-up may fetch a message the live events brought.
 * Each is handed over once. Keys expire, since redeliveries and catch-up
 * only reach back so far.
 *
 * Marks are written by group commit: a key is written only after its event
 * was handed over, and the event goes on without waiting for the write;
 * keys marked while a commit runs are written together by the next one
 * (one store transaction for all of them, the SQLite store grouping writes
 * asked for in one turn). So a crash keeps the promise either way: a key
 * committed is never handed over again, and an event whose key was not yet
 * committed (at most two commits' time after it was handed over) is handed
 * over again after the restart, never lost. In this process a key is known
 * from the moment it is marked. `flush` waits for every mark so far to be
 * written (the connector's stop).
 */
import { addBounded, type ConnectorState, type Logger } from "@parley/bridge";

/**
 * Keys kept in memory; older ones are asked of the store. Full after 10,000
 * messages: about 1.1 MiB (the set's table, 640 KiB, and 48 bytes a key),
 * measured in the Slack soak's heap snapshots.
 */
const RECENT_KEYS = 10_000;

/**
 * A flat copy of `key`. A key made by concatenation (`m:${channel}:${ts}`)
 * may be kept as a tree of V8 cons strings holding its pieces: in the soak,
 * the 10,000 keys took 0.11 MiB more that way (59 bytes a key against 48).
 */
function flat(key: string): string {
  return JSON.parse(JSON.stringify(key)) as string;
}

export class HandledOnce {
  private readonly state: ConnectorState;
  private readonly ttlMs: number;
  private readonly logger: Logger | undefined;
  /**
   * The most recent keys (at most RECENT_KEYS, the oldest dropped first), to
   * answer without the store for the common case (a redelivery seconds later).
   */
  private readonly recent = new Set<string>();
  /** Marked, not yet written: the next commit's. */
  private pending = new Set<string>();
  /** Being written by the commit in progress. */
  private writing = new Set<string>();
  /** The commit loop while it runs; it ends once nothing is pending. */
  private committing: Promise<void> | undefined;
  /** Group commits done so far (for tests and metrics). */
  commits = 0;

  constructor(state: ConnectorState, ttlMs: number, logger?: Logger) {
    this.state = state;
    this.ttlMs = ttlMs;
    this.logger = logger;
  }

  /** Keys kept in memory (at most RECENT_KEYS, and those waiting to be written). */
  get size(): number {
    return this.recent.size + this.pending.size;
  }

  async seen(key: string): Promise<boolean> {
    if (this.recent.has(key) || this.pending.has(key) || this.writing.has(key)) return true;
    return (await this.state.get(`once:${key}`)) !== undefined;
  }

  /** Marks `key` handled: known at once here, written by the next group commit (`flush` waits for it). */
  mark(key: string): void {
    addBounded(this.recent, flat(key), RECENT_KEYS);
    this.pending.add(key);
    this.committing ??= this.commitLoop();
  }

  /** Runs `hand` unless `key` was handled; marks it afterwards. False when it was skipped. */
  async once(key: string, hand: () => Promise<void>): Promise<boolean> {
    if (await this.seen(key)) return false;
    await hand();
    this.mark(key);
    return true;
  }

  /** Resolves once every key marked so far is written (or its write failed and was logged). */
  async flush(): Promise<void> {
    while (this.committing) await this.committing;
  }

  /** One commit at a time; what was marked meanwhile goes in the next. */
  private async commitLoop(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        this.writing = this.pending;
        this.pending = new Set();
        const keys = [...this.writing];
        // Asked for in one turn: the store writes them in one transaction.
        const results = await Promise.allSettled(
          keys.map((key) => this.state.set(`once:${key}`, "1", { ttlMs: this.ttlMs })),
        );
        this.commits++;
        const failed = results.filter((r) => r.status === "rejected");
        if (failed.length > 0) {
          // Still known in this process; after a restart those events may be handed over again.
          this.logger?.warn("handled Slack events could not be recorded; after a restart they may be relayed again", {
            keys: failed.length,
            error: String((failed[0] as PromiseRejectedResult).reason),
          });
        }
        this.writing = new Set();
      }
    } finally {
      this.committing = undefined;
    }
  }
}

/** The key of a message: its channel and ts identify it, whichever way it came (live, redelivered, caught up). */
export function messageKey(channel: string, ts: string): string {
  return `m:${channel}:${ts}`;
}
