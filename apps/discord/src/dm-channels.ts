/**
 * The bot's DM channels with Discord users: Discord has one between the bot
 * and each user, opened on the first message and known by its id. Which XMPP
 * user a Discord user's DM goes to is the engine's business (the one who
 * wrote to them last); a DM from someone nobody wrote to first gets one
 * polite answer here (at most once an hour per user) and goes nowhere.
 */

import { addBounded, isRecord, type Logger, setBounded } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { ApiFailures } from "./permissions.ts";

export const POLITE_ANSWER =
  "Hello! I am a bridge to XMPP. I can only pass on your messages to someone on XMPP who has written to you " +
  "through me first, and nobody has yet, so this message was not delivered.";

const POLITE_EVERY_MS = 60 * 60 * 1000;

export interface DmChannelsOptions {
  readonly rest: REST;
  readonly failures: ApiFailures;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Entries each map below keeps, newest first: one per Discord user in a DM
 * with the bridge. Past it the oldest are forgotten: a DM channel is opened again (Discord answers with the same one),
 * a DM channel not recognised as one unless its message says so, and a
 * polite answer may come once more within the hour.
 */
export const DM_MEMORY = 10_000;

export class DmChannels {
  private readonly o: DmChannelsOptions;
  /** Discord user -> their DM channel with the bot, opened or being opened (bounded by DM_MEMORY). */
  private readonly channels = new Map<string, Promise<string>>();
  /** DM channels seen (bounded by DM_MEMORY). */
  private readonly dmChannels = new Set<string>();
  /** Discord user -> when the bridge last answered that their DM reached nobody (bounded by DM_MEMORY). */
  private readonly answered = new Map<string, number>();

  constructor(o: DmChannelsOptions) {
    this.o = o;
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.channels.size + this.dmChannels.size + this.answered.size;
  }

  /** Whether `channelId` is a DM channel the bridge has seen. */
  isDmChannel(channelId: string): boolean {
    return this.dmChannels.has(channelId);
  }

  learnChannel(channelId: string): void {
    addBounded(this.dmChannels, channelId, DM_MEMORY);
  }

  /** The DM channel between the bot and a user, opened once per process. */
  channelFor(userId: string): Promise<string> {
    let pending = this.channels.get(userId);
    if (!pending) {
      pending = this.open(userId);
      setBounded(this.channels, userId, pending, DM_MEMORY);
      // The failure reaches the callers through `pending`; this only forgets it, so the next call tries again.
      pending.catch(() => this.channels.delete(userId));
    }
    return pending;
  }

  private async open(userId: string): Promise<string> {
    const answer = await this.o.failures.run({ action: "opening a DM channel with a Discord user" }, () =>
      this.o.rest.post(Routes.userChannels(), { body: { recipient_id: userId } }),
    );
    if (!isRecord(answer) || typeof answer.id !== "string") throw new Error("Discord answered without a channel id");
    addBounded(this.dmChannels, answer.id, DM_MEMORY);
    return answer.id;
  }

  /** Tells a Discord user, at most once an hour, that their DM reached nobody. */
  async answerUnroutable(channelId: string, userId: string): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    const last = this.answered.get(userId);
    if (last !== undefined && now - last < POLITE_EVERY_MS) return;
    setBounded(this.answered, userId, now, DM_MEMORY);
    this.o.logger.info("a Discord DM from a user nobody on XMPP wrote to was not relayed", { user: userId });
    await this.o.failures
      .run({ action: "answering a DM" }, () =>
        this.o.rest.post(Routes.channelMessages(channelId), {
          body: { content: POLITE_ANSWER, allowed_mentions: { parse: [] } },
        }),
      )
      .catch((e: unknown) =>
        this.o.logger.warn("could not answer a Discord DM", { error: e instanceof Error ? e.message : String(e) }),
      );
  }
}
