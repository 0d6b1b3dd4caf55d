/**
 * XEP-0114 has no stream management: a stanza written to a socket that dies
 * before the server reads it is lost without a trace. A MUC, though, reflects
 * every message back to its sender, so a groupchat message the bridge posted
 * is known to have arrived once the relay occupant sees it come back. This
 * tracker keeps what was sent and not yet seen back, so that after the link
 * drops the engine sends exactly those again (with their original ids), in
 * order. The reflection also carries the room's stanza-id, which the message
 * map needs for replies, reactions and retractions from XMPP clients.
 *
 * Bounded: at most `limit` unconfirmed entries; the oldest are given up (with a
 * warning) past it, or once older than `maxAgeMs`.
 */
import type { Logger } from "../ops/logger-types.ts";

interface Pending {
  readonly room: string;
  readonly at: number;
  readonly resend: () => Promise<void>;
}

export class ReflectionTracker {
  private readonly pending = new Map<string, Pending>();
  private readonly limit: number;
  private readonly maxAgeMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(o: { logger: Logger; limit?: number; maxAgeMs?: number; now?: () => number }) {
    this.logger = o.logger;
    this.limit = o.limit ?? 20_000;
    this.maxAgeMs = o.maxAgeMs ?? 10 * 60_000;
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Remembers a message sent to `room` with id `id` until its reflection is seen. */
  track(id: string, room: string, resend: () => Promise<void>): void {
    this.pending.set(id, { room: room.toLowerCase(), at: this.now(), resend });
    if (this.pending.size > this.limit) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) {
        this.pending.delete(oldest);
        this.logger.warn("too many messages await their reflection; the oldest is no longer tracked", { id: oldest });
      }
    }
  }

  /** The room reflected `id`: it arrived. Returns whether it was ours. */
  confirm(id: string): boolean {
    return this.pending.delete(id);
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Sends one unconfirmed message again (the room refused it, e.g. after forgetting the puppet). */
  async resendOne(id: string): Promise<boolean> {
    const p = this.pending.get(id);
    if (!p) return false;
    await p.resend();
    return true;
  }

  /** Sends again, in the original order, what was never seen back (after a reconnect). */
  async resendUnconfirmed(): Promise<number> {
    const cutoff = this.now() - this.maxAgeMs;
    const due = [...this.pending.entries()];
    let sent = 0;
    for (const [id, p] of due) {
      if (p.at < cutoff) {
        this.pending.delete(id);
        this.logger.warn("a message was never confirmed by its room and is too old to send again", {
          id,
          room: p.room,
        });
        continue;
      }
      try {
        await p.resend();
        sent++;
      } catch (e) {
        this.logger.warn("could not send a message again after reconnecting", {
          id,
          room: p.room,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return sent;
  }
}
