/**
 * The relay's joins awaiting the room's answer: its self-presence (or an
 * error), at most one join per room at a time, given up after a timeout.
 */
import type { Presence } from "@parley/stanza";
import { TransientError } from "../delivery/delivery-errors.ts";

/**
 * The relay could not join a room. When the room did not answer in time the
 * cause is a `TransientError`, so a delivery waiting on the join is retried
 * rather than given up.
 */
export class RelayJoinError extends Error {
  constructor(message: string, o: { cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "RelayJoinError";
  }
}

interface SelfWaiter {
  readonly resolve: (p: Presence) => void;
  /** Sends the join presence again (the first may have been lost with a dropped link). */
  readonly resend: () => Promise<void>;
}

export class JoinAnswers {
  /** One per room being joined, removed on the answer or the timeout. */
  private readonly waiting = new Map<string, SelfWaiter>();

  /**
   * Sends a join with `send` and settles with the room's answer to it (see
   * `answer`); rejects with a RelayJoinError (its cause transient) when none
   * comes within `timeoutMs`, or with `send`'s failure.
   */
  await(room: string, send: () => Promise<void>, timeoutMs: number): Promise<Presence> {
    return new Promise<Presence>((resolve, reject) => {
      // Only this waiter is removed on the way out: a newer join of the same room may have replaced it.
      const drop = () => {
        if (this.waiting.get(room) === waiter) this.waiting.delete(room);
      };
      const timer = setTimeout(() => {
        drop();
        const why = `no answer from ${room} within ${timeoutMs} ms`;
        reject(new RelayJoinError(why, { cause: new TransientError(why) }));
      }, timeoutMs);
      const waiter: SelfWaiter = {
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        resend: send,
      };
      this.waiting.set(room, waiter);
      send().catch((e: unknown) => {
        clearTimeout(timer);
        drop();
        reject(e);
      });
    });
  }

  /** Whether a join of `room` awaits its answer. */
  awaits(room: string): boolean {
    return this.waiting.has(room);
  }

  /** The room's answer to the join awaiting it (its self-presence, or an error). */
  answer(room: string, p: Presence): void {
    const waiter = this.waiting.get(room);
    if (!waiter) return;
    this.waiting.delete(room);
    waiter.resolve(p);
  }

  /** Every join still awaiting its answer says its presence again (the link dropped; the first may be lost). */
  resendAll(): void {
    // A presence that cannot go out again leaves its join to time out, and the join's caller hears that.
    for (const w of this.waiting.values()) void w.resend().catch(() => undefined);
  }
}
