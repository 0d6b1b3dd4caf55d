/**
 * Catching up after the bridge was away. Per linked channel, and per thread
 * of one, the connector state keeps the id of the last Discord message handled
 * (`cursor:<channel or thread>`); after a fresh gateway session (not after a
 * RESUME, where Discord replays what was missed itself) the messages after
 * each cursor are fetched, oldest first, page by page, back as far as
 * `maxAgeMs` reaches (`limit` is only a safety bound), and handled like live
 * ones with their original timestamps. What lies beyond the age (a cursor
 * older than that) is not fetched, and the log and the admins are told
 * which range. A channel without a cursor starts from now: linking a channel
 * does not dump its history into the room. The engine drops what it relayed
 * already (by its delivery key), so an overlap is harmless; that is why
 * cursors are written behind, at most once a second, rather than once per
 * message, and only once the engine has on record what it was handed up to
 * them (`settled`).
 *
 * Edits and deletions made meanwhile to a channel's recent messages are
 * caught up too: the last `EDIT_WINDOW` messages up to the cursor are fetched
 * once; those Discord marks as edited are handled like live MESSAGE_UPDATEs
 * (an edit the bridge relayed already is dropped by the engine, by its edit
 * time and text), and those the bridge relayed (it keeps their ids per
 * channel, `recent:<channel>`) and Discord no longer lists like live
 * MESSAGE_DELETEs.
 *
 * Threads come from the guild's active thread list, the only list Discord
 * gives per guild: a thread archived while the bridge was away is not caught
 * up (archived threads are listed per channel, page by page, and a thread
 * usually archives after days of silence, long after its last message).
 */
import { type ConnectorState, type Logger, RecentRelayed, windowChanges } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { GuildDirectory } from "./guild-directory.ts";
import { isRecord } from "./members.ts";
import type { ApiFailures } from "./permissions.ts";
import { compareSnowflakes, DISCORD_EPOCH_MS, isSnowflake, snowflakeAt, timeOfSnowflake } from "./snowflake.ts";

const PAGE = 100;
/** How often (in pages) a long catch-up logs its progress. */
const PROGRESS_EVERY_PAGES = 20;
const DEFAULT_MAX_AGE_MS = 24 * 3_600_000;
/** How many of a channel's messages up to its cursor are looked at for edits made while the bridge was away. */
const EDIT_WINDOW = 50;
const FLUSH_EVERY_MS = 1000;
/** Public, private and announcement threads. */
const THREAD_TYPES = new Set([10, 11, 12]);
const PRIVATE_THREAD = 12;

export interface CatchUpOptions {
  readonly rest: REST;
  readonly state: ConnectorState;
  readonly failures: ApiFailures;
  readonly logger: Logger;
  /** The guild of a linked channel (whose active threads to list), and where listed threads are learnt. */
  readonly directory: Pick<GuildDirectory, "fetchChannel" | "learnChannel">;
  /** A safety bound: most messages fetched per channel, and per thread, per catch-up. */
  readonly limit: number;
  /** How far back a catch-up reaches (default 24 hours). */
  readonly maxAgeMs?: number;
  /** Resolves once what was handed to the engine so far is on record there (before cursors move past it). */
  readonly settled?: () => Promise<void>;
  /** Tells the bridge's admins what could not be caught up. */
  readonly notice?: (text: string) => Promise<void>;
  /** Handles one fetched message like a live MESSAGE_CREATE (advancing the cursor). */
  readonly feed: (message: Record<string, unknown>) => Promise<void>;
  /** Handles one fetched message, edited since it was posted, like a live MESSAGE_UPDATE. */
  readonly feedEdit: (message: Record<string, unknown>) => Promise<void>;
  /** Handles the deletion of a message (`{ id, channel_id }`) like a live MESSAGE_DELETE. */
  readonly feedDelete: (deletion: Record<string, unknown>) => Promise<void>;
  readonly now?: () => number;
}

/** An active thread of a linked channel, as Discord listed it. */
interface ActiveThread {
  readonly id: string;
  readonly parentId: string;
  readonly guildId: string;
  /** Discord's id of the thread's newest message, when it gave one. */
  readonly lastMessageId?: string;
}

/** What the live side tells catch-up: messages handled, Discord users' messages relayed, and deletions. */
export type CatchUpNotes = Pick<CatchUp, "advance" | "relayed" | "deleted">;

export class CatchUp {
  private readonly o: CatchUpOptions;
  /** Cursors advanced in memory and not written yet. */
  private readonly dirty = new Map<string, string>();
  private readonly cursors = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Per channel: the ids of the last messages of Discord users relayed (at most EDIT_WINDOW). */
  private readonly recent: RecentRelayed;

  constructor(o: CatchUpOptions) {
    this.o = o;
    this.recent = new RecentRelayed({
      state: o.state,
      logger: o.logger,
      size: EDIT_WINDOW,
      compare: compareSnowflakes,
      isId: isSnowflake,
      changed: () => this.schedule(),
    });
  }

  /** The cursor of a channel or thread, from memory or the state. */
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

  /**
   * A message of `channel` (a channel or a thread, by its own id) was handled:
   * the cursor moves to it if it is newer. Written within a second.
   */
  advance(channel: string, id: string): void {
    if (!isSnowflake(id)) return;
    const current = this.cursors.get(channel);
    if (current !== undefined && compareSnowflakes(current, id) >= 0) return;
    this.cursors.set(channel, id);
    this.dirty.set(channel, id);
    this.schedule();
  }

  /** A Discord user's message in `channel` was relayed: a deletion of it while the bridge is away is caught up. */
  relayed(channel: string, id: string): void {
    void this.recent.relayed(channel, { id });
  }

  /** A message of `channel` was deleted, live: nothing to catch up about it. */
  deleted(channel: string, id: string): void {
    void this.recent.deleted(channel, id);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Writes the cursors advanced, and the lists of relayed messages changed, since the last write. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.dirty];
    this.dirty.clear();
    const settled = this.o.settled;
    this.flushing = this.flushing.then(async () => {
      // A cursor moves past a message only once the engine has it on record: a crash then loses nothing.
      if (settled) {
        await settled().catch((e: unknown) =>
          this.o.logger.warn("could not wait for the engine's writes before moving the catch-up cursors", {
            error: messageOf(e),
          }),
        );
      }
      const writes = batch.map(([channel, id]) => ({ channel, key: `cursor:${channel}`, value: id }));
      await this.recent.flush();
      for (const w of writes) {
        await this.o.state.set(w.key, w.value).catch((e: unknown) => {
          this.o.logger.warn("a catch-up cursor could not be saved", {
            channel: w.channel,
            error: e instanceof Error ? e.message : String(e),
          });
        });
      }
    });
    return this.flushing;
  }

  /**
   * Catches up on each channel in turn, each followed by its active threads;
   * a channel or thread that fails is logged and the others go on.
   */
  async run(channels: readonly string[]): Promise<void> {
    const threadLists = new Map<string, Promise<ActiveThread[]>>();
    for (const channel of channels) {
      let from: string | undefined;
      try {
        const start = await this.startOf(channel);
        from = start.from;
        if (!start.fresh) {
          await this.changesUpTo(channel, from);
          await this.channel(channel, from);
        }
      } catch (e) {
        this.o.logger.warn("could not catch up on a channel", { channel, error: messageOf(e) });
      }
      // The channel's own messages failing (a permission, say) need not keep its threads back.
      if (from === undefined || this.o.limit <= 0) continue;
      for (const thread of await this.threadsOf(channel, threadLists)) {
        try {
          await this.thread(thread, from);
        } catch (e) {
          this.o.logger.warn("could not catch up on a thread", { channel, thread: thread.id, error: messageOf(e) });
        }
      }
    }
    await this.flush();
  }

  /** Where a channel's catch-up starts: its cursor, or now (`fresh`, written at once) when it has none. */
  private async startOf(channel: string): Promise<{ from: string; fresh: boolean }> {
    const cursor = await this.cursorOf(channel);
    if (cursor !== undefined) return { from: cursor, fresh: false };
    // Linked since the last run, or never seen a message: start from now.
    const now = snowflakeAt((this.o.now ?? Date.now)());
    this.cursors.set(channel, now);
    await this.o.state.set(`cursor:${channel}`, now);
    return { from: now, fresh: true };
  }

  private async channel(channel: string, from: string): Promise<void> {
    const fed = await this.fetchAfter(channel, await this.withinAge(channel, from), {});
    if (fed > 0) this.o.logger.info("caught up on a channel", { channel, messages: fed });
  }

  /**
   * Where a catch-up after `from` may start: `from`, or, when that is older
   * than the catch-up reaches, the oldest point it reaches (and the range
   * left out is told).
   */
  private async withinAge(channel: string, from: string, thread?: string): Promise<string> {
    const reach = (this.o.now ?? Date.now)() - (this.o.maxAgeMs ?? DEFAULT_MAX_AGE_MS);
    if (reach <= DISCORD_EPOCH_MS) return from; // reaches back before any message there can be
    const oldest = snowflakeAt(reach);
    if (compareSnowflakes(from, oldest) >= 0) return from;
    const range = {
      from: new Date(timeOfSnowflake(from)).toISOString(),
      to: new Date(timeOfSnowflake(oldest)).toISOString(),
    };
    this.o.logger.warn("part of a channel's history is older than the catch-up reaches and is not relayed", {
      channel,
      ...(thread !== undefined && { thread }),
      ...range,
    });
    const where = thread !== undefined ? `thread ${thread} of channel ${channel}` : `channel ${channel}`;
    await this.tell(
      `Discord messages in ${where} from ${range.from} to ${range.to} were not relayed: they are older than the catch-up reaches (connectors.discord.catchUpMaxAgeHours).`,
    );
    return oldest;
  }

  private async tell(text: string): Promise<void> {
    await this.o
      .notice?.(text)
      .catch((e: unknown) =>
        this.o.logger.warn("could not tell the admins what catch-up left out", { error: messageOf(e) }),
      );
  }

  /** The edits and deletions of a channel's last messages up to `cursor` (inclusive), oldest message first. */
  private async changesUpTo(channel: string, cursor: string): Promise<void> {
    const limit = Math.min(EDIT_WINDOW, this.o.limit);
    if (limit <= 0) return;
    const listed = await this.messages(channel, { before: (BigInt(cursor) + 1n).toString(), limit: String(limit) });
    for (const m of listed) {
      if (typeof m.edited_timestamp === "string") await this.o.feedEdit({ ...m, channel_id: channel });
    }
    // What the bridge relayed up to the cursor and Discord no longer lists was deleted. A full page covers only
    // back to its oldest message: anything older is not known either way.
    const { deleted: gone } = windowChanges(
      await this.recent.of(channel),
      listed.map((m) => ({ id: m.id })),
      { upTo: cursor, compare: compareSnowflakes, full: listed.length >= limit },
    );
    for (const id of gone) {
      await this.o.feedDelete({ id, channel_id: channel });
      this.deleted(channel, id);
    }
    if (gone.length > 0) this.o.logger.info("caught up on deletions in a channel", { channel, messages: gone.length });
  }

  /**
   * Catches up on a thread from its own cursor. Without one: a thread newer
   * than the parent's cursor was started while the bridge was away and is
   * caught up from its first message. An older one (seen live without a
   * message handled in it, its cursor write lost in a crash, or from before
   * threads had cursors) starts at the parent's cursor: snowflakes are
   * time-ordered and the bridge relayed the parent live up to that message,
   * so anything in the thread after it may have been posted while the bridge
   * was away, while starting later could lose it; what was relayed already
   * is dropped by the engine.
   */
  private async thread(t: ActiveThread, parentFrom: string): Promise<void> {
    const cursor = await this.cursorOf(t.id);
    const after = cursor ?? (compareSnowflakes(t.id, parentFrom) > 0 ? (BigInt(t.id) - 1n).toString() : parentFrom);
    // Discord tells each thread's newest message id: a quiet thread costs no request.
    if (t.lastMessageId !== undefined && compareSnowflakes(t.lastMessageId, after) <= 0) return;
    const start = await this.withinAge(t.parentId, after, t.id);
    const fed = await this.fetchAfter(t.id, start, { guild_id: t.guildId });
    if (fed > 0) this.o.logger.info("caught up on a thread", { channel: t.parentId, thread: t.id, messages: fed });
  }

  /** One page of a channel's (or thread's) messages as Discord lists them for `query`, oldest first. */
  private async messages(
    channel: string,
    query: Readonly<Record<string, string>>,
  ): Promise<Array<Record<string, unknown> & { id: string }>> {
    const page: unknown = await this.o.failures.run(
      { action: "catching up on the channel's messages", channel, permission: "Read Message History" },
      () => this.o.rest.get(Routes.channelMessages(channel), { query: new URLSearchParams(query) }),
    );
    return (Array.isArray(page) ? page : [])
      .filter((m): m is Record<string, unknown> & { id: string } => isRecord(m) && isSnowflake(m.id))
      .sort((a, b) => compareSnowflakes(a.id, b.id));
  }

  /** Feeds the messages of a channel or thread after `after`, oldest first, up to the limit; returns how many. */
  private async fetchAfter(channel: string, after: string, extra: Record<string, unknown>): Promise<number> {
    let fed = 0;
    let pages = 0;
    while (fed < this.o.limit) {
      if (++pages % PROGRESS_EVERY_PAGES === 0)
        this.o.logger.info("catching up on a channel", { channel, messages: fed });
      const limit = Math.min(PAGE, this.o.limit - fed);
      const since = after;
      const messages = (await this.messages(channel, { after: since, limit: String(limit) })).filter(
        (m) => compareSnowflakes(m.id, since) > 0,
      );
      for (const m of messages) {
        await this.o.feed({ ...m, ...extra, channel_id: channel });
        fed++;
      }
      const last = messages.at(-1);
      if (last === undefined) break;
      this.advance(channel, last.id);
      after = last.id;
      if (messages.length < limit) break;
    }
    if (fed >= this.o.limit) {
      this.o.logger.warn("catch-up stopped at its safety bound; older messages were relayed, newer ones were not", {
        channel,
        after,
        limit: this.o.limit,
      });
      await this.tell(
        `Discord messages in channel ${channel} after message ${after} were not relayed: the catch-up stopped at its safety bound of ${this.o.limit} messages (connectors.discord.catchUpLimit).`,
      );
    }
    return fed;
  }

  /** The active threads of a linked channel; the guild's list is asked for once per run. */
  private async threadsOf(channel: string, lists: Map<string, Promise<ActiveThread[]>>): Promise<ActiveThread[]> {
    let guildId: string | undefined;
    try {
      guildId = (await this.o.directory.fetchChannel(channel))?.guildId;
    } catch (e) {
      this.o.logger.warn("could not look up a channel's guild to catch up on its threads", {
        channel,
        error: messageOf(e),
      });
      return [];
    }
    if (guildId === undefined) {
      this.o.logger.debug("a channel's guild is unknown; its threads are not caught up", { channel });
      return [];
    }
    let list = lists.get(guildId);
    if (!list) {
      list = this.activeThreads(guildId);
      lists.set(guildId, list);
    }
    return (await list).filter((t) => t.parentId === channel);
  }

  /** A guild's active threads, oldest first and learnt by the directory; none (logged) when Discord refuses. */
  private async activeThreads(guildId: string): Promise<ActiveThread[]> {
    let answer: unknown;
    try {
      answer = await this.o.failures.run({ action: "listing the active threads for catch-up" }, () =>
        this.o.rest.get(Routes.guildActiveThreads(guildId)),
      );
    } catch (e) {
      this.o.logger.warn("could not list a guild's active threads; their messages are not caught up", {
        guild: guildId,
        error: messageOf(e),
      });
      return [];
    }
    const listed = isRecord(answer) && Array.isArray(answer.threads) ? answer.threads : [];
    // Discord lists the bot's own thread memberships alongside.
    const joined = new Set(
      (isRecord(answer) && Array.isArray(answer.members) ? answer.members : []).flatMap((m) =>
        isRecord(m) && typeof m.id === "string" ? [m.id] : [],
      ),
    );
    const threads: ActiveThread[] = [];
    for (const t of listed) {
      if (!isRecord(t) || !isSnowflake(t.id) || !isSnowflake(t.parent_id)) continue;
      if (typeof t.type !== "number" || !THREAD_TYPES.has(t.type)) continue;
      // Live, the bot hears a private thread only as a member: catching up on others would be refused.
      if (t.type === PRIVATE_THREAD && !joined.has(t.id)) continue;
      this.o.directory.learnChannel({
        id: t.id,
        type: t.type,
        guildId,
        parentId: t.parent_id,
        ...(typeof t.name === "string" && { name: t.name }),
      });
      threads.push({
        id: t.id,
        parentId: t.parent_id,
        guildId,
        ...(isSnowflake(t.last_message_id) && { lastMessageId: t.last_message_id }),
      });
    }
    return threads.sort((a, b) => compareSnowflakes(a.id, b.id));
  }

  stop(): Promise<void> {
    return this.flush();
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
