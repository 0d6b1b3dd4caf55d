/**
 * What was said in linked channels while the bridge was away: read with
 * conversations.history (and conversations.replies for threads) from each
 * channel's cursor, bounded by age and count, and handed to the engine in
 * the order it was said, once (the same path as live messages, so a
 * message both caught up and delivered live goes once). The first start in
 * a channel only sets its cursor: a bridge does not replay a channel's past.
 *
 * What changed meanwhile in the last `CHANGES_WINDOW` messages up to the
 * cursor is caught up first: the connector keeps the messages it relayed
 * there with their edit stamp and reactions (RecentRelayed), and one page
 * of history up to the cursor tells which are gone (absent, or a
 * tombstone), which were edited since (`edited.ts`), and which reactions
 * were added or removed; each is handed over like the live event, once.
 * A message caught up as new comes with the reactions it has now. Thread
 * replies are caught up as new messages only: changes to older replies
 * are not looked for.
 */
import { type ListedMessage, type Logger, type RecentRelayed, windowChanges } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { ChannelCursors } from "./channel-cursors.ts";
import type { SlackMessage, SlackReaction } from "./incoming-events.ts";
import type { SlackFailures } from "./slack-failures.ts";
import { compareTs, isSlackTs, tsOf } from "./slack-ts.ts";

const PAGE = 200;
/** How many of a channel's messages up to its cursor are looked at for changes made while the bridge was away. */
export const CHANGES_WINDOW = 50;

export interface CatchUpOptions {
  readonly client: webApi.WebClient;
  readonly cursors: ChannelCursors;
  readonly failures: SlackFailures;
  readonly logger: Logger;
  readonly limit: number;
  readonly maxAgeMs: number;
  readonly feed: (m: SlackMessage & { readonly channel: string }) => Promise<void>;
  /** What was relayed lately per channel (see RecentRelayed): the changes are found against it. */
  readonly recent: RecentRelayed;
  /** The bot's user id, once known: its own reactions are not relayed. */
  readonly botUser: () => string | undefined;
  /** Hands over a message edited meanwhile, a deletion, a reaction added or removed, like the live events. */
  readonly feedEdit: (channel: string, m: SlackMessage) => Promise<void>;
  readonly feedDelete: (channel: string, ts: string) => Promise<void>;
  readonly feedReaction: (
    channel: string,
    ts: string,
    user: string,
    name: string,
    action: "add" | "remove",
  ) => Promise<void>;
  /** Resolves once what was fed is on record in the engine. */
  readonly settled: () => Promise<void>;
}

export class CatchUp {
  private readonly o: CatchUpOptions;
  private stopped = false;

  constructor(o: CatchUpOptions) {
    this.o = o;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      if (this.stopped) return;
      try {
        await this.channel(channel);
      } catch (e) {
        this.o.logger.warn("catch-up of a Slack channel failed; the next start tries again", {
          channel,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  private async channel(channel: string): Promise<void> {
    const cursor = await this.o.cursors.cursor(channel);
    if (cursor === undefined) {
      const latest = await this.latest(channel);
      await this.o.cursors.advance(channel, latest ?? tsOf(Date.now()));
      return;
    }
    if (this.o.limit === 0) return;
    await this.changes(channel, cursor);
    const floor = tsOf(Date.now() - this.o.maxAgeMs);
    const oldest = compareTs(cursor, floor) > 0 ? cursor : floor;
    const found = new Map<string, SlackMessage>();
    const threads = new Set(await this.o.cursors.threads(channel));
    for (const m of await this.history(channel, oldest)) {
      if (!isSlackTs(m.ts)) continue;
      found.set(m.ts, m);
      if ((m.reply_count ?? 0) > 0 && isSlackTs(m.latest_reply) && compareTs(m.latest_reply, oldest) > 0)
        threads.add(m.ts);
    }
    for (const root of threads) {
      for (const r of await this.replies(channel, root, oldest))
        if (isSlackTs(r.ts) && r.ts !== root) found.set(r.ts, r);
    }
    const ordered = [...found.values()]
      .sort((a, b) => compareTs(a.ts as string, b.ts as string))
      .slice(0, this.o.limit);
    if (ordered.length === 0) return;
    this.o.logger.info("catching up a Slack channel", { channel, messages: ordered.length });
    const bot = this.o.botUser();
    for (const m of ordered) {
      if (this.stopped) return;
      await this.o.feed({ ...m, channel });
      // Reactions given meanwhile to a message said meanwhile: as they are now.
      for (const r of listedReactions(m.reactions))
        for (const user of r.users)
          if (user !== bot) await this.o.feedReaction(channel, m.ts as string, user, r.name, "add");
    }
    await this.o.settled();
    const last = ordered[ordered.length - 1]?.ts as string;
    const active = ordered.filter((m) => isSlackTs(m.thread_ts)).map((m) => m.thread_ts as string);
    await this.o.cursors.advance(channel, last, active);
  }

  /** The edits, deletions and reactions of the channel's relayed messages up to `cursor`, oldest first. */
  private async changes(channel: string, cursor: string): Promise<void> {
    const recorded = await this.o.recent.of(channel);
    if (recorded.length === 0) return;
    const limit = Math.min(CHANGES_WINDOW, this.o.limit);
    const r = await this.o.failures.run({ action: "catching up a channel's changes", channel }, () =>
      this.o.client.conversations.history({ channel, latest: cursor, inclusive: true, limit }),
    );
    const messages = ((r.messages ?? []) as SlackMessage[]).filter((m) => isSlackTs(m.ts));
    const byTs = new Map(messages.map((m) => [m.ts as string, m]));
    const bot = this.o.botUser();
    const changes = windowChanges(recorded, messages.map(listed), {
      upTo: cursor,
      compare: compareTs,
      full: messages.length >= limit,
      ignoreUser: (user) => user === bot,
    });
    for (const e of changes.edited) {
      const m = byTs.get(e.id);
      if (m && !this.stopped) await this.o.feedEdit(channel, m);
    }
    for (const ts of changes.deleted) if (!this.stopped) await this.o.feedDelete(channel, ts);
    for (const x of changes.reactions)
      if (!this.stopped) await this.o.feedReaction(channel, x.id, x.user, x.name, x.action);
    const n = changes.edited.length + changes.deleted.length + changes.reactions.length;
    if (n > 0)
      this.o.logger.info("caught up on a Slack channel's changes", {
        channel,
        edits: changes.edited.length,
        deletions: changes.deleted.length,
        reactions: changes.reactions.length,
      });
  }

  private async latest(channel: string): Promise<string | undefined> {
    const r = await this.o.failures.run({ action: "reading a channel's latest message", channel }, () =>
      this.o.client.conversations.history({ channel, limit: 1 }),
    );
    const ts = (r.messages as SlackMessage[] | undefined)?.[0]?.ts;
    return isSlackTs(ts) ? ts : undefined;
  }

  /** Top-level messages after `oldest`, oldest first, at most `limit` (newest are dropped past it: order first). */
  private async history(channel: string, oldest: string): Promise<SlackMessage[]> {
    const out: SlackMessage[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.o.failures.run({ action: "catching up a channel's history", channel }, () =>
        this.o.client.conversations.history({
          channel,
          oldest,
          inclusive: false,
          limit: PAGE,
          ...(cursor !== undefined && { cursor }),
        }),
      );
      for (const m of (r.messages ?? []) as SlackMessage[]) out.push(m);
      cursor = r.has_more === true ? r.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor !== undefined && out.length < this.o.limit && !this.stopped);
    return out;
  }

  private async replies(channel: string, ts: string, oldest: string): Promise<SlackMessage[]> {
    const out: SlackMessage[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.o.failures
        .run({ action: "catching up a thread", channel }, () =>
          this.o.client.conversations.replies({
            channel,
            ts,
            oldest,
            inclusive: false,
            limit: PAGE,
            ...(cursor !== undefined && { cursor }),
          }),
        )
        .catch((e: unknown) => {
          // A thread deleted meanwhile: nothing to catch up there.
          this.o.logger.debug("a thread could not be caught up", { channel, thread: ts, error: String(e) });
          return undefined;
        });
      if (!r) break;
      for (const m of (r.messages ?? []) as SlackMessage[]) out.push(m);
      cursor = r.has_more === true ? r.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor !== undefined && out.length < this.o.limit && !this.stopped);
    return out;
  }
}

/** A history item as the changes of a window are found against it. */
function listed(m: SlackMessage): ListedMessage {
  const reactions = listedReactions(m.reactions);
  return {
    id: m.ts as string,
    ...(isSlackTs(m.edited?.ts) && { edited: m.edited.ts }),
    ...(m.subtype === "tombstone" && { gone: true }),
    ...(reactions.length > 0 && { reactions }),
  };
}

/** A message's reactions with their users; `complete` false when Slack listed fewer users than reacted. */
function listedReactions(
  reactions: readonly SlackReaction[] | undefined,
): Array<{ name: string; users: string[]; complete: boolean }> {
  if (!Array.isArray(reactions)) return [];
  return reactions.flatMap((r) => {
    if (typeof r.name !== "string" || !Array.isArray(r.users)) return [];
    const users = (r.users as readonly unknown[]).filter((u): u is string => typeof u === "string");
    return [{ name: r.name, users, complete: typeof r.count !== "number" || users.length >= r.count }];
  });
}
