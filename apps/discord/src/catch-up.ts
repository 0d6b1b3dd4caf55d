/**
 * Discord's history, page by page, for the engine's catch-up
 * (`Connector.history`): the messages of a channel or thread after a
 * snowflake, oldest first; the last messages up to one (Discord marks those
 * edited since with their edit time); and a channel's threads. The engine
 * keeps the cursors (`cursor:<channel or thread>`), bounds the catch-up and
 * hands the messages over; the connector asks for a catch-up after a fresh
 * gateway session (not after a RESUME, where Discord replays what was missed
 * itself).
 *
 * Threads come from the guild's active thread list, the only list Discord
 * gives per guild, and are caught up as channels of their own: a thread
 * archived while the bridge was away is not caught up (archived threads are
 * listed per channel, page by page, and a thread usually archives after days
 * of silence, long after its last message).
 */
import type {
  HistoryMessage,
  HistoryOptions,
  HistoryPage,
  HistoryRequest,
  HistoryThread,
  Logger,
  RemoteMessage,
} from "@parley/bridge";
import { isRecord } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { GuildDirectory } from "./guild-directory.ts";
import type { ApiFailures } from "./permissions.ts";
import { compareSnowflakes, isSnowflake, snowflakeAt, timeOfSnowflake } from "./snowflake.ts";

/** Messages per page (Discord's most). */
const PAGE = 100;
/** Public, private and announcement threads. */
const THREAD_TYPES = new Set([10, 11, 12]);
const PRIVATE_THREAD = 12;

/** How Discord's ids order and date; threads are channels of their own. */
export const DISCORD_HISTORY: HistoryOptions = {
  compare: compareSnowflakes,
  isId: isSnowflake,
  timeOf: timeOfSnowflake,
  idAt: snowflakeAt,
  threadsAsChannels: true,
  settings: { maxAge: "connectors.discord.catchUpMaxAgeHours", limit: "connectors.discord.catchUpLimit" },
};

type Listed = Record<string, unknown> & { id: string };

export interface DiscordHistoryOptions {
  readonly rest: REST;
  readonly failures: ApiFailures;
  readonly logger: Logger;
  /** The guild of a linked channel (whose active threads to list), and where listed threads are learnt. */
  readonly directory: Pick<GuildDirectory, "fetchChannel" | "learnChannel">;
  /** A message as Discord lists it (with `channel_id`, and `guild_id` in threads), as the engine takes it. */
  readonly toRemote: (message: Record<string, unknown>) => Promise<RemoteMessage | undefined>;
  readonly now?: () => number;
}

export class DiscordHistory {
  private readonly o: DiscordHistoryOptions;
  /** The guild of each thread listed, for its messages (Discord lists them without it). */
  private readonly threadGuilds = new Map<string, string>();

  constructor(o: DiscordHistoryOptions) {
    this.o = o;
  }

  async page(r: HistoryRequest): Promise<HistoryPage> {
    if (r.upTo !== undefined) {
      const before = (BigInt(r.upTo) + 1n).toString();
      return { messages: await this.listed(r.channel, { before, limit: String(Math.min(PAGE, r.limit)) }) };
    }
    // A channel without a cursor starts from now.
    if (r.after === undefined) return { messages: [], cursor: snowflakeAt((this.o.now ?? Date.now)()) };
    const limit = Math.min(PAGE, r.limit);
    const messages = await this.listed(r.channel, { after: r.page ?? r.after, limit: String(limit) });
    const last = messages.at(-1);
    return { messages, ...(messages.length >= limit && last !== undefined && { next: last.id }) };
  }

  /** A page of a channel's (or thread's) messages as Discord lists them for `query`, oldest first. */
  private async listed(channel: string, query: Readonly<Record<string, string>>): Promise<HistoryMessage[]> {
    const page: unknown = await this.o.failures.run(
      { action: "catching up on the channel's messages", channel, permission: "Read Message History" },
      () => this.o.rest.get(Routes.channelMessages(channel), { query: new URLSearchParams(query) }),
    );
    const guild = this.threadGuilds.get(channel);
    const sorted = (Array.isArray(page) ? page : [])
      .filter((m): m is Listed => isRecord(m) && isSnowflake(m.id))
      .sort((a, b) => compareSnowflakes(a.id, b.id));
    const out: HistoryMessage[] = [];
    for (const m of sorted) {
      const message = await this.o.toRemote({
        ...m,
        ...(guild !== undefined && { guild_id: guild }),
        channel_id: channel,
      });
      const edited = typeof m.edited_timestamp === "string" ? Date.parse(m.edited_timestamp) : Number.NaN;
      out.push({
        id: m.id,
        ...(message !== undefined && { message }),
        ...(Number.isFinite(edited) && { edited }),
      });
    }
    return out;
  }

  /** The active threads of each linked channel; each guild's list is asked for once. */
  async threads(channels: readonly string[]): Promise<Map<string, HistoryThread[]>> {
    const lists = new Map<string, Promise<ActiveThread[]>>();
    const out = new Map<string, HistoryThread[]>();
    this.threadGuilds.clear();
    for (const channel of channels) {
      let guildId: string | undefined;
      try {
        guildId = (await this.o.directory.fetchChannel(channel))?.guildId;
      } catch (e) {
        this.o.logger.warn("could not look up a channel's guild to catch up on its threads", {
          channel,
          error: messageOf(e),
        });
        continue;
      }
      if (guildId === undefined) {
        this.o.logger.debug("a channel's guild is unknown; its threads are not caught up", { channel });
        continue;
      }
      let list = lists.get(guildId);
      if (!list) {
        list = this.activeThreads(guildId);
        lists.set(guildId, list);
      }
      out.set(
        channel,
        (await list)
          .filter((t) => t.parentId === channel)
          .map((t) => ({
            id: t.id,
            // A thread started after the channel's cursor is caught up from its first message (its own id).
            after: (BigInt(t.id) - 1n).toString(),
            ...(t.lastMessageId !== undefined && { latest: t.lastMessageId }),
          })),
      );
    }
    return out;
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
      this.threadGuilds.set(t.id, guildId);
      threads.push({
        id: t.id,
        parentId: t.parent_id,
        ...(isSnowflake(t.last_message_id) && { lastMessageId: t.last_message_id }),
      });
    }
    return threads.sort((a, b) => compareSnowflakes(a.id, b.id));
  }
}

/** An active thread of a linked channel, as Discord listed it. */
interface ActiveThread {
  readonly id: string;
  readonly parentId: string;
  /** Discord's id of the thread's newest message, when it gave one. */
  readonly lastMessageId?: string;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
