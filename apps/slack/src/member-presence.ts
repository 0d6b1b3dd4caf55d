/**
 * Members of linked channels, present in their rooms as Slack shows them:
 * at start (and when a channel is linked) each member's presence is asked
 * with users.getPresence and reported through `memberPresence`; then
 * presence is polled, since the Events API sends no presence changes.
 * users.getPresence is a Tier 3 method (about 50 calls a minute), so calls
 * are spaced out: one every `gapMs`, whatever the number of members.
 * `active` is online and `away` idle; the status text goes along.
 */
import type { ConnectorHost, Logger, RemotePresence } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { SlackDirectory } from "./directory.ts";
import type { SlackFailures } from "./slack-failures.ts";

/** At most this many members of one channel are asked about (a big channel's others are seated when they speak). */
const MAX_MEMBERS_PER_CHANNEL = 500;

export interface MemberPresenceOptions {
  readonly client: webApi.WebClient;
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly directory: SlackDirectory;
  readonly failures: SlackFailures;
  readonly intervalMs: number;
  /** Between two users.getPresence calls (default 1,300 ms: about 46 a minute). */
  readonly gapMs?: number;
}

export class MemberPresence {
  private readonly o: MemberPresenceOptions;
  /** Member -> last presence reported, for the members of linked channels. */
  private readonly last = new Map<string, RemotePresence["status"]>();
  private stopped = false;
  /** Sleeps in progress (the poll's and a linked channel's): `stop` ends them all. */
  private readonly sleeping = new Set<() => void>();

  constructor(o: MemberPresenceOptions) {
    this.o = o;
  }

  get size(): number {
    return this.last.size;
  }

  /** Seats the present members of `channels`, then keeps polling until `stop`. */
  async start(channels: readonly string[]): Promise<void> {
    for (const channel of channels) await this.channel(channel);
    void this.poll();
  }

  /** The members of one channel, asked and reported. */
  async channel(channel: string): Promise<void> {
    let members: string[];
    try {
      members = await this.members(channel);
    } catch (e) {
      this.o.logger.warn("the members of a Slack channel could not be listed; they are seated when they speak", {
        channel,
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    for (const id of members) {
      if (this.stopped) return;
      const user = await this.o.directory.user(id);
      if (user.isBridge) continue;
      const presence = await this.presenceOf(id);
      if (presence === undefined) continue;
      this.last.set(id, presence.status);
      await this.o.host.memberPresence(channel, user, presence);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const wake of this.sleeping) wake();
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.o.intervalMs);
      for (const id of [...this.last.keys()]) {
        if (this.stopped) return;
        const presence = await this.presenceOf(id);
        if (presence === undefined || presence.status === this.last.get(id)) continue;
        this.last.set(id, presence.status);
        await this.o.host.presence(await this.o.directory.user(id), presence).catch((e: unknown) => {
          this.o.logger.warn("a presence change could not be handed over", { error: String(e) });
        });
      }
    }
  }

  private async members(channel: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.o.failures.run({ action: "listing a channel's members", channel }, () =>
        this.o.client.conversations.members({ channel, limit: 200, ...(cursor !== undefined && { cursor }) }),
      );
      for (const id of r.members ?? []) out.push(id);
      cursor = r.response_metadata?.next_cursor || undefined;
    } while (cursor !== undefined && out.length < MAX_MEMBERS_PER_CHANNEL);
    return out.slice(0, MAX_MEMBERS_PER_CHANNEL);
  }

  /** The user's presence, after the gap Slack's rate limit asks for; undefined when Slack will not say. */
  private async presenceOf(id: string): Promise<RemotePresence | undefined> {
    await this.sleep(this.o.gapMs ?? 1300);
    if (this.stopped) return undefined;
    try {
      const r = await this.o.failures.run({ action: "asking a member's presence" }, () =>
        this.o.client.users.getPresence({ user: id }),
      );
      const message = this.o.directory.statusText(id);
      const status = r.presence === "active" ? "online" : "idle";
      return { status, ...(message !== undefined && { message }) };
    } catch (e) {
      this.o.logger.debug("a member's presence could not be asked", { user: id, error: String(e) });
      return undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }
}
