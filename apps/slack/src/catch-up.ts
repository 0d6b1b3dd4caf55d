/**
 * Slack's history for the engine's catch-up (`Connector.history`): what was
 * said in a linked channel after a cursor, read with conversations.history
 * and, for the threads that may have new replies, conversations.replies
 * (Slack's channel history lists a thread's first message, not its
 * replies), in the order it was said; and the last messages up to a cursor,
 * with their edit stamps, tombstones and reactions, for the engine to find
 * the edits, deletions and reactions made meanwhile. Slack pages history
 * newest first, so one answer holds everything after the cursor (up to the
 * bound). The engine keeps the cursors, bounds the catch-up by age and
 * count, and hands over what is found; a thread's replies move their
 * channel's cursor, and changes to older replies are not looked for.
 */
import type {
  HistoryMessage,
  HistoryOptions,
  HistoryPage,
  HistoryReaction,
  HistoryRequest,
  Logger,
  RemoteMessage,
  RemoteUser,
} from "@parley/bridge";
import { setBounded } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { ActiveThreads } from "./active-threads.ts";
import { reactionEmoji } from "./format/index.ts";
import type { SlackMessage, SlackReaction } from "./incoming-events.ts";
import type { SlackFailures } from "./slack-failures.ts";
import { compareTs, isSlackTs, tsMillis, tsMillisExact, tsOf } from "./slack-ts.ts";

const PAGE = 200;
/** The `page` of an answer cut short at the bound: there is more after it, for the next catch-up. */
const MORE = "more";

/** How Slack's ts order and date; a thread's replies come in its channel's history. */
export const SLACK_HISTORY: HistoryOptions = {
  compare: compareTs,
  isId: isSlackTs,
  timeOf: tsMillis,
  idAt: tsOf,
  settings: { maxAge: "connectors.slack.catchUpMaxAgeHours", limit: "connectors.slack.catchUpLimit" },
};

/** A page of conversations.history or conversations.replies. */
interface Listing {
  readonly messages?: readonly unknown[];
  readonly has_more?: boolean;
  readonly response_metadata?: { readonly next_cursor?: string };
}

export interface SlackHistoryOptions {
  readonly client: webApi.WebClient;
  readonly failures: SlackFailures;
  readonly logger: Logger;
  /** The threads of each channel that had replies lately. */
  readonly threads: ActiveThreads;
  /** A listed message as the engine takes it (undefined: not relayed), in `channel`. */
  readonly toRemote: (m: SlackMessage & { readonly channel: string }) => Promise<RemoteMessage | undefined>;
  readonly user: (id: string) => Promise<RemoteUser>;
  /** The bot's user id, once known: its own reactions are left out. */
  readonly botUser: () => string | undefined;
}

/**
 * Listings cut short by a refusal (a rate limit), kept to go on from where
 * they stopped when the engine asks for the same page again: a channel with
 * 10,000 new messages takes 50 calls, more than conversations.history's
 * minimum allowance of a minute, and starting over each time would never
 * end. A few at a time (one per channel being caught up, at most this many).
 */
const UNFINISHED_LISTINGS = 16;

/** A listing under way: what it read, whether it left any out, and the cursor of the next call. */
interface Unfinished {
  readonly out: SlackMessage[];
  readonly cut: boolean;
  readonly cursor: string;
}

/** What a listing read, up to its limit; `cut` when it left messages out. */
interface Listed {
  readonly messages: SlackMessage[];
  readonly cut: boolean;
}

export class SlackHistory {
  private readonly o: SlackHistoryOptions;
  private readonly unfinished = new Map<string, Unfinished>();

  constructor(o: SlackHistoryOptions) {
    this.o = o;
  }

  async page(r: HistoryRequest): Promise<HistoryPage> {
    const channel = r.channel;
    if (r.upTo !== undefined) {
      const upTo = r.upTo;
      const answer = await this.o.failures.run({ action: "catching up a channel's changes", channel }, () =>
        this.o.client.conversations.history({ channel, latest: upTo, inclusive: true, limit: r.limit }),
      );
      return { messages: await this.listed(channel, (answer.messages ?? []) as SlackMessage[]) };
    }
    if (r.after === undefined) {
      const answer = await this.o.failures.run({ action: "reading a channel's latest message", channel }, () =>
        this.o.client.conversations.history({ channel, limit: 1 }),
      );
      const ts = (answer.messages as SlackMessage[] | undefined)?.[0]?.ts;
      return { messages: [], cursor: isSlackTs(ts) ? ts : tsOf(Date.now()) };
    }
    if (r.page !== undefined) return { messages: [] };
    const after = r.after;
    const found = new Map<string, SlackMessage>();
    const threads = new Set(await this.o.threads.of(channel));
    const listing = `history:${channel}:${after}`;
    // conversations.history lists newest first: the oldest after the cursor are the last it gives.
    const history = await this.pages(
      "catching up a channel's history",
      listing,
      channel,
      r.limit,
      "newest first",
      (cursor) =>
        this.o.client.conversations.history({ channel, oldest: after, inclusive: false, limit: PAGE, ...cursor }),
    );
    for (const m of history.messages) {
      if (!isSlackTs(m.ts)) continue;
      found.set(m.ts, m);
      if ((m.reply_count ?? 0) > 0 && isSlackTs(m.latest_reply) && compareTs(m.latest_reply, after) > 0)
        threads.add(m.ts);
    }
    for (const root of threads) {
      const listing = `replies:${channel}:${root}:${after}`;
      const replies = await this.pages("catching up a thread", listing, channel, r.limit, "oldest first", (cursor) =>
        this.o.client.conversations.replies({
          channel,
          ts: root,
          oldest: after,
          inclusive: false,
          limit: PAGE,
          ...cursor,
        }),
      ).catch((e: unknown): Listed => {
        // A thread deleted meanwhile: nothing to catch up there.
        this.o.logger.debug("a thread could not be caught up", { channel, thread: root, error: String(e) });
        return { messages: [], cut: false };
      });
      for (const m of replies.messages) if (isSlackTs(m.ts) && m.ts !== root) found.set(m.ts, m);
    }
    const ordered = [...found.values()].sort((a, b) => compareTs(a.ts as string, b.ts as string));
    const messages = await this.listed(channel, ordered.slice(0, r.limit));
    return { messages, ...((ordered.length > r.limit || history.cut) && { next: MORE }) };
  }

  /**
   * The `limit` oldest messages of a listing. One listed oldest first stops
   * once it holds them; one listed newest first is read to its end (its
   * oldest come last), keeping only the last `limit` read. A listing a
   * refusal cut short goes on from its last cursor when it is read again
   * (`key` names it).
   */
  private async pages(
    action: string,
    key: string,
    channel: string,
    limit: number,
    order: "newest first" | "oldest first",
    read: (cursor: { cursor?: string }) => Promise<Listing>,
  ): Promise<Listed> {
    const resumed = this.unfinished.get(key);
    this.unfinished.delete(key);
    let out: SlackMessage[] = resumed?.out ?? [];
    let cut = resumed?.cut ?? false;
    let cursor: string | undefined = resumed?.cursor;
    do {
      const next = cursor;
      let answer: Listing;
      try {
        answer = await this.o.failures.run({ action, channel }, () => read(next !== undefined ? { cursor: next } : {}));
      } catch (e) {
        if (next !== undefined) setBounded(this.unfinished, key, { out, cut, cursor: next }, UNFINISHED_LISTINGS);
        throw e;
      }
      for (const m of (answer.messages ?? []) as SlackMessage[]) out.push(m);
      if (order === "newest first" && out.length > limit) {
        out = out.slice(out.length - limit);
        cut = true;
      }
      cursor = answer.has_more === true ? answer.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor !== undefined && (order === "newest first" || out.length < limit));
    return { messages: out, cut: cut || (order === "oldest first" && cursor !== undefined) };
  }

  /** Listed messages as the engine takes them, oldest first. */
  private async listed(channel: string, listed: readonly SlackMessage[]): Promise<HistoryMessage[]> {
    const out: HistoryMessage[] = [];
    const sorted = listed
      .filter((m): m is SlackMessage & { ts: string } => isSlackTs(m.ts))
      .sort((a, b) => compareTs(a.ts, b.ts));
    for (const m of sorted) {
      const gone = m.subtype === "tombstone";
      const message = gone ? undefined : await this.o.toRemote({ ...m, channel });
      if (message?.thread !== undefined) this.o.threads.noted(channel, message.thread);
      out.push({
        id: m.ts,
        ...(message !== undefined && { message }),
        ...(isSlackTs(m.edited?.ts) && { edited: tsMillisExact(m.edited.ts) }),
        ...(gone && { gone: true }),
        reactions: await this.reactions(m.reactions),
      });
    }
    return out;
  }

  /** A message's reactions with their users (the bot's left out); `complete` false when Slack listed fewer users than reacted. */
  private async reactions(reactions: readonly SlackReaction[] | undefined): Promise<HistoryReaction[]> {
    if (!Array.isArray(reactions)) return [];
    const bot = this.o.botUser();
    const out: HistoryReaction[] = [];
    for (const r of reactions) {
      if (typeof r.name !== "string" || !Array.isArray(r.users)) continue;
      const ids = (r.users as readonly unknown[]).filter((u): u is string => typeof u === "string");
      const users: RemoteUser[] = [];
      for (const id of ids) if (id !== bot) users.push(await this.o.user(id));
      out.push({
        emoji: reactionEmoji(r.name),
        users,
        complete: typeof r.count !== "number" || ids.length >= r.count,
      });
    }
    return out;
  }
}
