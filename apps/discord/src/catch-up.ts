/**
 * Catching up after the bridge was away. Per linked channel the connector
 * state keeps the id of the last Discord message handled (`cursor:<channel>`);
 * after a fresh gateway session (not after a RESUME, where Discord replays
 * what was missed itself) the messages after each cursor are fetched, oldest
 * first, up to a limit, and handled like live ones with their original
 * timestamps. A channel without a cursor starts from now: linking a channel
 * does not dump its history into the room. The engine drops what it relayed
 * already (by Discord id), so an overlap is harmless; that is why cursors are
 * written behind, at most once a second, rather than once per message.
 */
import type { ConnectorState, Logger } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import { isRecord } from "./members.ts";
import type { ApiFailures } from "./permissions.ts";
import { compareSnowflakes, isSnowflake, snowflakeAt } from "./snowflake.ts";

const PAGE = 100;
const FLUSH_EVERY_MS = 1000;

export interface CatchUpOptions {
  readonly rest: REST;
  readonly state: ConnectorState;
  readonly failures: ApiFailures;
  readonly logger: Logger;
  /** Most messages fetched per channel per catch-up. */
  readonly limit: number;
  /** Handles one fetched message like a live MESSAGE_CREATE (advancing the cursor). */
  readonly feed: (message: Record<string, unknown>) => Promise<void>;
  readonly now?: () => number;
}

export class CatchUp {
  private readonly o: CatchUpOptions;
  /** Cursors advanced in memory and not written yet. */
  private readonly dirty = new Map<string, string>();
  private readonly cursors = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(o: CatchUpOptions) {
    this.o = o;
  }

  /** The cursor of a channel, from memory or the state. */
  async cursorOf(channel: string): Promise<string | undefined> {
    const known = this.cursors.get(channel);
    if (known !== undefined) return known;
    const saved = await this.o.state.get(`cursor:${channel}`);
    if (saved !== undefined && isSnowflake(saved)) {
      this.cursors.set(channel, saved);
      return saved;
    }
    return undefined;
  }

  /** A message of `channel` was handled: the cursor moves to it if it is newer. Written within a second. */
  advance(channel: string, id: string): void {
    if (!isSnowflake(id)) return;
    const current = this.cursors.get(channel);
    if (current !== undefined && compareSnowflakes(current, id) >= 0) return;
    this.cursors.set(channel, id);
    this.dirty.set(channel, id);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, FLUSH_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Writes the cursors advanced since the last write. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.dirty];
    this.dirty.clear();
    this.flushing = this.flushing.then(async () => {
      for (const [channel, id] of batch) {
        await this.o.state.set(`cursor:${channel}`, id).catch((e: unknown) => {
          this.o.logger.warn("a catch-up cursor could not be saved", {
            channel,
            error: e instanceof Error ? e.message : String(e),
          });
        });
      }
    });
    return this.flushing;
  }

  /** Catches up on each channel in turn; a channel that fails is logged and the others go on. */
  async run(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      try {
        await this.channel(channel);
      } catch (e) {
        this.o.logger.warn("could not catch up on a channel", {
          channel,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    await this.flush();
  }

  private async channel(channel: string): Promise<void> {
    const cursor = await this.cursorOf(channel);
    if (cursor === undefined) {
      // Linked since the last run, or never seen a message: start from now.
      const now = snowflakeAt((this.o.now ?? Date.now)());
      this.cursors.set(channel, now);
      await this.o.state.set(`cursor:${channel}`, now);
      return;
    }
    let after: string = cursor;
    let fed = 0;
    while (fed < this.o.limit) {
      const limit = Math.min(PAGE, this.o.limit - fed);
      const query = new URLSearchParams({ after, limit: String(limit) });
      const page: unknown = await this.o.failures.run(
        { action: "catching up on the channel's messages", channel, permission: "Read Message History" },
        () => this.o.rest.get(Routes.channelMessages(channel), { query }),
      );
      const messages = (Array.isArray(page) ? page : [])
        .filter((m): m is Record<string, unknown> & { id: string } => isRecord(m) && isSnowflake(m.id))
        .filter((m) => compareSnowflakes(m.id, after) > 0)
        .sort((a, b) => compareSnowflakes(a.id, b.id));
      for (const m of messages) {
        await this.o.feed({ ...m, channel_id: channel });
        fed++;
      }
      const last = messages.at(-1);
      if (last === undefined) break;
      this.advance(channel, last.id);
      after = last.id;
      if (messages.length < limit) break;
    }
    if (fed >= this.o.limit) {
      this.o.logger.warn("catch-up stopped at its limit; older messages were relayed, newer ones were not", {
        channel,
        limit: this.o.limit,
      });
    }
    if (fed > 0) this.o.logger.info("caught up on a channel", { channel, messages: fed });
  }

  stop(): Promise<void> {
    return this.flush();
  }
}
