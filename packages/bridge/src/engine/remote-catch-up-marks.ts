/**
 * Where the engine's catch-up of a network stands (see remote-catch-up.ts):
 * the cursor of each channel (and thread) in the connector's state
 * (`cursor:<key>`), and what was relayed lately per channel
 * (`RecentRelayed`, `recent:<channel>`). Both move in memory as messages are
 * handed over and are written behind, at most about once a second, and only
 * once the engine has on record what it was handed up to them (`settled`):
 * a crash loses nothing, and what a lagging cursor reads again the engine
 * drops by its delivery keys.
 */
import type { ConnectorState } from "../connector/connector.ts";
import type { HistoryOptions } from "../connector/history.ts";
import { RecentRelayed } from "../connector/recent-relayed.ts";
import type { Logger } from "../ops/logger-types.ts";

const FLUSH_EVERY_MS = 1000;

export interface CatchUpMarksOptions {
  readonly state: ConnectorState;
  readonly logger: Logger;
  readonly ids: Pick<HistoryOptions, "compare" | "isId">;
  /** How many messages relayed lately are kept per channel. */
  readonly window: number;
  /** Resolves once what was handed over so far is on record (before the marks move past it). */
  readonly settled?: () => Promise<void>;
  /** How long a change waits before it is written (default a second). */
  readonly flushEveryMs?: number;
}

export class CatchUpMarks {
  private readonly o: CatchUpMarksOptions;
  private readonly cursors = new Map<string, string>();
  /** Cursors moved in memory and not written yet. */
  private readonly dirty = new Map<string, string>();
  /** The messages relayed lately per channel, with how they were relayed. */
  readonly recent: RecentRelayed;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(o: CatchUpMarksOptions) {
    this.o = o;
    this.recent = new RecentRelayed({
      state: o.state,
      logger: o.logger,
      size: o.window,
      compare: o.ids.compare,
      isId: o.ids.isId,
      changed: () => this.schedule(),
    });
  }

  /** The cursor of a channel or thread, from memory or the state. */
  async cursorOf(key: string): Promise<string | undefined> {
    const known = this.cursors.get(key);
    if (known !== undefined) return known;
    const saved = await this.o.state.get(`cursor:${key}`);
    if (saved !== undefined && this.o.ids.isId(saved)) {
      if (!this.cursors.has(key)) this.cursors.set(key, saved);
      return this.cursors.get(key);
    }
    return undefined;
  }

  /** Moves a cursor forward (never back) in memory; written within a second. */
  advance(key: string, id: string): void {
    if (!this.o.ids.isId(id)) return;
    const current = this.cursors.get(key);
    if (current !== undefined && this.o.ids.compare(current, id) >= 0) return;
    this.cursors.set(key, id);
    this.dirty.set(key, id);
    this.schedule();
  }

  /**
   * The first cursor of a channel without one (where it stands now), written
   * at once (nothing was handed over up to it); resolves with the cursor,
   * which is a live message's when one was handed meanwhile.
   */
  async start(key: string, id: string): Promise<string> {
    const known = this.cursors.get(key);
    if (known !== undefined) return known;
    this.cursors.set(key, id);
    await this.o.state.set(`cursor:${key}`, id);
    return id;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.o.flushEveryMs ?? FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Writes the cursors moved, and the recent lists changed, since the last write, once `settled` says. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.dirty];
    this.dirty.clear();
    const settled = this.o.settled;
    this.flushing = this.flushing.then(async () => {
      if (settled) {
        await settled().catch((e: unknown) =>
          this.o.logger.warn("could not wait for the engine's writes before moving the catch-up cursors", {
            error: messageOf(e),
          }),
        );
      }
      await this.recent.flush();
      for (const [key, id] of batch) {
        await this.o.state.set(`cursor:${key}`, id).catch((e: unknown) =>
          this.o.logger.warn("a catch-up cursor could not be saved; the next catch-up starts earlier", {
            channel: key,
            error: messageOf(e),
          }),
        );
      }
    });
    return this.flushing;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
