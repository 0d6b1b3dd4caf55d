/**
 * A history read during a catch-up that the network refuses for now (a rate
 * limit's Retry-After, a 5xx, a timeout: the connector's TransientError) is
 * tried again after the wait it names, else after a growing pause, instead of
 * ending the channel's catch-up: what was said while the bridge was away
 * would otherwise wait for the next catch-up, which may be days off. A
 * permanent failure, or a transient one past the attempts, still ends it.
 */
import { TransientError } from "../delivery/delivery-errors.ts";
import type { Logger } from "../ops/logger-types.ts";

/** Tries of one read, the first included. */
export const HISTORY_READ_ATTEMPTS = 10;
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
  readonly sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function readPatiently<T>(read: () => Promise<T>, o: PatientReadOptions): Promise<T> {
  const attempts = o.attempts ?? HISTORY_READ_ATTEMPTS;
  const sleep = o.sleep ?? wait;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof TransientError) || attempt >= attempts || o.stopped()) throw e;
      const pause = Math.min(LONGEST_PAUSE_MS, e.retryAfterMs ?? FIRST_PAUSE_MS * 2 ** (attempt - 1));
      o.logger.info("a history read was refused for now; it is tried again", {
        ...o.what,
        attempt,
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
