/**
 * The threads of each linked channel that had replies lately (`threads:<channel>`
 * in the connector's state, most recently active first): Slack's channel
 * history lists a thread's first message, not its replies, so a catch-up
 * asks each of these threads for the replies said while the bridge was away.
 * Written a moment after a reply is seen; a thread noted that has nothing
 * new costs one request at the next catch-up, nothing more.
 */
import type { ConnectorState, Logger } from "@parley/bridge";

/** Threads remembered per channel, most recently active first. */
const MAX_THREADS = 50;
const FLUSH_AFTER_MS = 200;

export class ActiveThreads {
  private readonly state: ConnectorState;
  private readonly logger: Logger;
  /** Per channel, the threads noted since the last write, oldest first. */
  private readonly pending = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(state: ConnectorState, logger: Logger) {
    this.state = state;
    this.logger = logger;
  }

  async of(channel: string): Promise<string[]> {
    const raw = await this.state.get(`threads:${channel}`);
    if (raw === undefined) return [];
    try {
      const list: unknown = JSON.parse(raw);
      return Array.isArray(list) ? list.filter((t): t is string => typeof t === "string") : [];
    } catch {
      return [];
    }
  }

  /** A reply was seen in `thread` of `channel`. */
  noted(channel: string, thread: string): void {
    const set = this.pending.get(channel) ?? new Set<string>();
    set.delete(thread);
    set.add(thread);
    this.pending.set(channel, set);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_AFTER_MS);
    this.timer.unref();
  }

  /** Writes the threads noted since the last write. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    this.flushing = this.flushing.then(async () => {
      for (const [channel, added] of batch) {
        try {
          const known = await this.of(channel);
          const next = [...new Set([...[...added].reverse(), ...known])].slice(0, MAX_THREADS);
          await this.state.set(`threads:${channel}`, JSON.stringify(next));
        } catch (e) {
          this.logger.warn("a channel's active threads could not be saved; their replies may not be caught up", {
            channel,
            error: e instanceof Error ? e.message : String(e),
          });
        }
      }
    });
    return this.flushing;
  }
}
