/**
 * What was handed to the engine already, kept in the connector's state so
 * that it holds across a restart: Slack redelivers an envelope it thinks
 * unacknowledged (`retry_attempt`), Socket Mode may deliver one again after
 * a reconnection, and catch-up may fetch a message the live events brought.
 * Each is handed over once. Keys expire, since redeliveries and catch-up
 * only reach back so far.
 */
import type { ConnectorState } from "@parley/bridge";

/** Keys kept in memory; older ones are asked of the store. */
const RECENT_KEYS = 10_000;

export class HandledOnce {
  private readonly state: ConnectorState;
  private readonly ttlMs: number;
  /** The most recent keys, to answer without the store for the common case (a redelivery seconds later). */
  private readonly recent = new Set<string>();

  constructor(state: ConnectorState, ttlMs: number) {
    this.state = state;
    this.ttlMs = ttlMs;
  }

  /** Keys kept in memory (at most RECENT_KEYS). */
  get size(): number {
    return this.recent.size;
  }

  async seen(key: string): Promise<boolean> {
    if (this.recent.has(key)) return true;
    return (await this.state.get(`once:${key}`)) !== undefined;
  }

  async mark(key: string): Promise<void> {
    this.recent.add(key);
    if (this.recent.size > RECENT_KEYS) {
      const oldest = this.recent.values().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    await this.state.set(`once:${key}`, "1", { ttlMs: this.ttlMs });
  }

  /** Runs `hand` unless `key` was handled; marks it afterwards. False when it was skipped. */
  async once(key: string, hand: () => Promise<void>): Promise<boolean> {
    if (await this.seen(key)) return false;
    await hand();
    await this.mark(key);
    return true;
  }
}

/** The key of a message: its channel and ts identify it, whichever way it came (live, redelivered, caught up). */
export function messageKey(channel: string, ts: string): string {
  return `m:${channel}:${ts}`;
}
