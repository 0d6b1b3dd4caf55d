/**
 * Bolt runs each event's listeners as the event arrives, concurrently; the
 * engine needs a channel's events in the order Slack sent them. Events
 * are queued here and handed over one at a time; a failure is logged and
 * the queue goes on.
 */
import type { Logger } from "@parley/bridge";

export class EventQueue {
  private readonly logger: Logger;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  get size(): number {
    return this.pending;
  }

  /** Runs `work` after everything queued before it; resolves once it has run. */
  push(what: string, work: () => Promise<void> | void): Promise<void> {
    this.pending++;
    const run = this.tail.then(async () => {
      try {
        await work();
      } catch (e) {
        this.logger.error("a Slack event could not be handed to the engine", {
          event: what,
          error: e instanceof Error ? e.message : String(e),
        });
      } finally {
        this.pending--;
      }
    });
    this.tail = run;
    return run;
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}
