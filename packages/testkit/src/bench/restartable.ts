/**
 * Something a bench starts, stops and starts again (a bridge whose catch-up
 * after an outage is timed): each start makes a new one with `make`, and
 * `cleanup` stops whichever runs at the end.
 */
import type { BenchCleanup } from "./bench-run.ts";

export interface Restartable<T> {
  /** The running one, if any. */
  readonly current: T | undefined;
  start(): Promise<T>;
  stop(): Promise<void>;
}

export function restartable<T extends { stop(): Promise<unknown> }>(
  cleanup: BenchCleanup,
  make: () => Promise<T>,
): Restartable<T> {
  let current: T | undefined;
  cleanup.defer(async () => {
    await current?.stop();
  });
  return {
    get current() {
      return current;
    },
    async start() {
      if (current) throw new Error("already started: stop it first");
      current = await make();
      return current;
    },
    async stop() {
      const running = current;
      current = undefined;
      await running?.stop();
    },
  };
}
