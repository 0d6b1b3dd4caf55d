/**
 * The bot's DM channels with Slack users (conversations.open), one per Slack
 * user, shared by every XMPP user who writes to them; kept in the connector's
 * state. Which XMPP user a Slack user's answer goes to is the engine's
 * business: an answer in a thread to the XMPP user whose message started it,
 * any other to the XMPP user who wrote last.
 */
import { type ConnectorState, setBounded } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { SlackFailures } from "./slack-failures.ts";

/** DM channels kept in memory. */
const MAX_CHANNELS = 10_000;

export class DmChannels {
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
}
