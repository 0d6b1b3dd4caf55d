/**
 * Gateway events reach the engine one at a time, in the order Discord sent
 * them: an edit must not overtake the message it edits, and catch-up must
 * finish before newer live messages of the same channel go out. A task that
 * fails is logged and skipped; it never stops the ones behind it.
 */
import type { Logger } from "@parley/bridge";

export class EventChain {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Tasks queued and not finished yet. */
  get depth(): number {
    return this.pending;
  }

  /** Queues `task` behind everything queued so far; `what` names it in the log if it fails. */
  push(what: string, task: () => Promise<void> | void): void {
    this.pending++;
    this.tail = this.tail
      .then(task)
      .catch((e: unknown) => {
        this.logger.warn("a Discord event could not be handled; skipped", {
          event: what,
          error: e instanceof Error ? e.message : String(e),
        });
      })
      .finally(() => {
        this.pending--;
      });
  }

  /** Resolves once every task queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}
