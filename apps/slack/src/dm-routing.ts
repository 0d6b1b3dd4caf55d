/**
 * Direct messages between XMPP users and Slack users go through the bot's
 * DM with the Slack user (conversations.open), one per Slack user, shared
 * by every XMPP user who writes to them. A Slack user's answer in a thread
 * goes to the XMPP user whose message started it; any other answer goes to
 * the XMPP user who wrote last. Kept in the connector's state, so answers
 * still find their way after a restart.
 */
import { type ConnectorState, setBounded } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { SlackFailures } from "./slack-failures.ts";

/** DM channels kept in memory. */
const MAX_CHANNELS = 10_000;

export class DmRouting {
  private readonly state: ConnectorState;
  private readonly client: webApi.WebClient;
  private readonly failures: SlackFailures;
  /** Slack user -> the bot's DM channel with them: at most MAX_CHANNELS, the least recently used dropped (the state has them all). */
  private readonly channels = new Map<string, string>();

  constructor(o: { state: ConnectorState; client: webApi.WebClient; failures: SlackFailures }) {
    this.state = o.state;
    this.client = o.client;
    this.failures = o.failures;
  }

  get size(): number {
    return this.channels.size;
  }

  /** The bot's DM channel with `userId`, opened once. */
  async channelOf(userId: string): Promise<string> {
    const known = this.channels.get(userId) ?? (await this.state.get(`dm:${userId}`));
    if (known !== undefined) {
      this.remember(userId, known);
      return known;
    }
    const r = await this.failures.run({ action: "opening a direct message" }, () =>
      this.client.conversations.open({ users: userId }),
    );
    const id = r.channel?.id;
    if (typeof id !== "string") throw new Error("conversations.open gave no channel");
    this.remember(userId, id);
    await this.state.set(`dm:${userId}`, id);
    return id;
  }

  private remember(userId: string, channel: string): void {
    setBounded(this.channels, userId, channel, MAX_CHANNELS);
  }

  /** `jid` is writing in DM `channel`: answers go to them from now on. */
  async writing(channel: string, jid: string): Promise<void> {
    await this.state.set(`dm-last:${channel}`, jid);
  }

  /** `jid` wrote message `ts` in DM `channel`: answers in its thread go to them. */
  async wrote(channel: string, ts: string, jid: string): Promise<void> {
    await this.state.set(`dm-msg:${channel}:${ts}`, jid, { expiresWithMessage: true });
  }

  /** The XMPP user a Slack user's message in DM `channel` is for, if any XMPP user wrote there. */
  async recipient(channel: string, threadTs: string | undefined): Promise<string | undefined> {
    if (threadTs !== undefined) {
      const byThread = await this.state.get(`dm-msg:${channel}:${threadTs}`);
      if (byThread !== undefined) return byThread;
    }
    return this.state.get(`dm-last:${channel}`);
  }
}
