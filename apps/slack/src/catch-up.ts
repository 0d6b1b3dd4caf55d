/**
 * What was said in linked channels while the bridge was away: read with
 * conversations.history (and conversations.replies for threads) from each
 * channel's cursor, bounded by age and count, and handed to the engine in
 * the order it was said, once (the same path as live messages, so a
 * message both caught up and delivered live goes once). The first start in
 * a channel only sets its cursor: a bridge does not replay a channel's past.
 */
import type { Logger } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { ChannelCursors } from "./channel-cursors.ts";
import type { SlackMessage } from "./incoming-events.ts";
import type { SlackFailures } from "./slack-failures.ts";
import { compareTs, isSlackTs, tsOf } from "./slack-ts.ts";

const PAGE = 200;

export interface CatchUpOptions {
  readonly client: webApi.WebClient;
  readonly cursors: ChannelCursors;
  readonly failures: SlackFailures;
  readonly logger: Logger;
  readonly limit: number;
  readonly maxAgeMs: number;
  readonly feed: (m: SlackMessage & { readonly channel: string }) => Promise<void>;
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
    for (const m of ordered) {
      if (this.stopped) return;
      await this.o.feed({ ...m, channel });
    }
    await this.o.settled();
    const last = ordered[ordered.length - 1]?.ts as string;
    const active = ordered.filter((m) => isSlackTs(m.thread_ts)).map((m) => m.thread_ts as string);
    await this.o.cursors.advance(channel, last, active);
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
