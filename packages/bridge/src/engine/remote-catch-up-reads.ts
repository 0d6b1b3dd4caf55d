/**
 * A history read during a catch-up that the network refuses for now (a rate
 * limit's Retry-After, a 5xx, a timeout: the connector's TransientError) is
 * tried again after the wait it names, else after a growing pause, instead of
 * ending the channel's catch-up: what was said while the bridge was away
 * would otherwise wait for the next catch-up, which may be days off. A rate
 * limit (a refusal that did nothing and names its wait) is no failure: a long
 * listing read at the network's pace meets one per call, so those are bounded
 * by the time waited, not counted. A permanent failure, a transient one past
 * the attempts, or rate limits past that time still end it.
 */
import { TransientError } from "../delivery/delivery-errors.ts";
import type { Logger } from "../ops/logger-types.ts";

/** Tries of one read that failed otherwise than by a rate limit, the first included. */
export const HISTORY_READ_ATTEMPTS = 10;
/** The most one read waits out rate limits in all. */
export const HISTORY_RATE_LIMIT_WAIT_MS = 30 * 60_000;
/** The pause before the second try when the network names none; it doubles each time. */
const FIRST_PAUSE_MS = 1000;
/** The longest pause between two tries, whatever Retry-After says. */
const LONGEST_PAUSE_MS = 120_000;
/** How often a pause looks whether the catch-up was stopped. */
const STOP_CHECK_MS = 250;

export interface PatientReadOptions {
  /** Whether the catch-up was stopped (a pause ends early, and nothing is tried again). */
  readonly stopped: () => boolean;
  readonly logger: Logger;
  /** What is read, for the log. */
  readonly what: Readonly<Record<string, string | undefined>>;
  readonly attempts?: number;
  readonly rateLimitWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function readPatiently<T>(read: () => Promise<T>, o: PatientReadOptions): Promise<T> {
  const attempts = o.attempts ?? HISTORY_READ_ATTEMPTS;
  const rateLimitWaitMs = o.rateLimitWaitMs ?? HISTORY_RATE_LIMIT_WAIT_MS;
  const sleep = o.sleep ?? wait;
  let failures = 0;
  let waitedForLimits = 0;
  for (;;) {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof TransientError) || o.stopped()) throw e;
      const limited = e.nothingDone && e.retryAfterMs !== undefined;
      if (!limited && ++failures >= attempts) throw e;
      const pause = Math.min(LONGEST_PAUSE_MS, e.retryAfterMs ?? FIRST_PAUSE_MS * 2 ** (failures - 1));
      if (limited) {
        waitedForLimits += pause;
        if (waitedForLimits > rateLimitWaitMs) throw e;
      }
      o.logger.info("a history read was refused for now; it is tried again", {
        ...o.what,
        ...(limited ? { rateLimited: true } : { failures }),
        pauseMs: pause,
        error: e.message,
      });
      for (let waited = 0; waited < pause && !o.stopped(); waited += STOP_CHECK_MS) {
        await sleep(Math.min(STOP_CHECK_MS, pause - waited));
      }
      if (o.stopped()) throw e;
    }
  }
}
