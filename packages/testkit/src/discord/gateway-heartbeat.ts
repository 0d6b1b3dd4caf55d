/**
 * The heartbeat deadline of one gateway connection. Discord's Gateway page:
 * after HELLO the client sends its first op 1 within `heartbeat_interval *
 * jitter`, then one every `heartbeat_interval`; a client that "fails to send a
 * heartbeat event in time" has its connection closed and must RESUME. The
 * fake enforces that with a deadline restarted by every heartbeat.
 */

/**
 * Added to the allowance so that a client beating on time is never cut: timers
 * fire late on a loaded test machine, and with the short intervals tests use
 * (a few hundred ms) half an interval alone is within that lateness.
 */
export const HEARTBEAT_SLACK_MS = 1000;

/** How soon a heartbeat the gateway asked for (op 1 from Discord) must come: the docs say "immediately". */
export const REQUESTED_HEARTBEAT_MS = 2000;

/**
 * How long a connection may go without a heartbeat. Discord does not publish
 * its tolerance, only that there is one ("there is already tolerance in the
 * heartbeat_interval"); an interval and a half lets a client's first, jittered
 * beat and its timer drift through, while a client that skips one beat is
 * still closed well before a second would be due.
 */
export function heartbeatDeadlineMs(intervalMs: number): number {
  return Math.ceil(intervalMs * 1.5) + HEARTBEAT_SLACK_MS;
}

export class HeartbeatDeadline {
  private readonly allowanceMs: number;
  private readonly onMissed: () => void;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;

  /** Starts counting at once: HELLO goes out when the connection opens, and the first beat is owed from then. */
  constructor(intervalMs: number, onMissed: () => void) {
    this.allowanceMs = heartbeatDeadlineMs(intervalMs);
    this.onMissed = onMissed;
    this.arm(this.allowanceMs);
  }

  /** A heartbeat arrived: the next one is owed a full allowance from now. */
  beat(): void {
    if (this.timer) this.arm(this.allowanceMs);
  }

  /** The gateway sent op 1: the answer is owed soon, unless the regular beat is owed even sooner. */
  requested(): void {
    if (this.timer && Date.now() + REQUESTED_HEARTBEAT_MS < this.dueAt) this.arm(REQUESTED_HEARTBEAT_MS);
  }

  /** The connection is gone; nothing is owed any more. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onMissed();
    }, ms);
    // A test that forgets to stop the fake should not be kept alive by a deadline alone.
    this.timer.unref();
  }
}
