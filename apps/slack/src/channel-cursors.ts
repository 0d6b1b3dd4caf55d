/**
 * Where catch-up starts in each linked channel: the ts of the last message
 * handed to the engine, and the threads recently active there (Slack's
 * channel history lists a thread's root, not its replies, so replies said
 * while the bridge was away are asked of each thread that may have them).
 *
 * A cursor moves only once the engine has on record what was handed over
 * (`host.settled`): a crash before that leaves the messages to the next
 * catch-up, and the engine's ledger and HandledOnce keep them from coming
 * twice.
 */
import type { ConnectorHost, Logger } from "@parley/bridge";
import { compareTs } from "./slack-ts.ts";

/** Threads remembered per channel, most recently active first. */
const MAX_THREADS = 50;

export class ChannelCursors {
  private readonly host: ConnectorHost;
  private readonly logger: Logger;
  private readonly pending = new Map<string, { ts: string; threads: Set<string> }>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(host: ConnectorHost, logger: Logger) {
    this.host = host;
    this.logger = logger;
  }

  async cursor(channel: string): Promise<string | undefined> {
    return this.host.state.get(`cursor:${channel}`);
  }

  async threads(channel: string): Promise<string[]> {
    const raw = await this.host.state.get(`threads:${channel}`);
    if (raw === undefined) return [];
    try {
      const list: unknown = JSON.parse(raw);
      return Array.isArray(list) ? list.filter((t): t is string => typeof t === "string") : [];
    } catch {
      return []; // a saved list that is not JSON counts as empty
    }
  }

  /** A message was handed over; the cursor follows once it is settled (batched, a moment later). */
  handed(channel: string, ts: string, thread: string | undefined): void {
    const p = this.pending.get(channel) ?? { ts, threads: new Set<string>() };
    if (compareTs(ts, p.ts) > 0) p.ts = ts;
    if (thread !== undefined) p.threads.add(thread);
    this.pending.set(channel, p);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, 200);
  }

  /** Writes the pending cursors once the engine has settled what was handed over. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = new Map(this.pending);
    this.pending.clear();
    this.flushing = (async () => {
      try {
        await this.host.settled?.();
        for (const [channel, p] of batch) await this.advance(channel, p.ts, p.threads);
      } catch (e) {
        this.logger.warn("a catch-up cursor could not be saved; the next catch-up starts earlier", {
          error: e instanceof Error ? e.message : String(e),
        });
      }
    })();
    await this.flushing;
    this.flushing = undefined;
  }

  /** Moves a channel's cursor forward to `ts` (never back) and notes active threads. */
  async advance(channel: string, ts: string, threads: Iterable<string> = []): Promise<void> {
    const now = await this.cursor(channel);
    if (now === undefined || compareTs(ts, now) > 0) await this.host.state.set(`cursor:${channel}`, ts);
    const added = [...threads];
    if (added.length === 0) return;
    const known = await this.threads(channel);
    const next = [...new Set([...added.reverse(), ...known])].slice(0, MAX_THREADS);
    await this.host.state.set(`threads:${channel}`, JSON.stringify(next));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
