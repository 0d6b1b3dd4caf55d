/**
 * XMPP users' reactions, made by the bot: Discord has no per-message identity
 * for webhook users to react with. Unicode emoji go as they are; `:name:` is
 * the guild's custom emoji of that name, and is skipped when there is none.
 * One bot reaction stands for every XMPP user who reacted with that emoji
 * (kept in the state as `reactors:<message>:<emoji>`), so it is taken back
 * only when the last of them takes theirs back.
 */
import type { ConnectorState, Logger, ReactRequest } from "@parley/bridge";
import { stringListOf } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { GuildDirectory } from "./guild-directory.ts";
import type { MessageBook } from "./message-book.ts";
import { type ApiCall, ApiFailures } from "./permissions.ts";

const UNKNOWN_MESSAGE = 10008;

export interface BotReactionsOptions {
  readonly rest: REST;
  readonly state: ConnectorState;
  readonly directory: GuildDirectory;
  readonly book: MessageBook;
  readonly failures: ApiFailures;
  readonly logger: Logger;
}

export class BotReactions {
  private readonly o: BotReactionsOptions;

  constructor(o: BotReactionsOptions) {
    this.o = o;
  }

  async react(r: ReactRequest): Promise<void> {
    const emoji = await this.routeEmoji(r.channel, r.emoji);
    if (emoji === undefined) {
      this.o.logger.debug("a reaction with no Discord emoji was skipped", { emoji: r.emoji.slice(0, 40) });
      return;
    }
    const key = `reactors:${r.id}:${r.emoji}`;
    const reactors = new Set(stringListOf(await this.o.state.get(key)));
    const before = reactors.size;
    if (r.action === "add") reactors.add(r.sender.jid);
    else reactors.delete(r.sender.jid);
    const where = (await this.o.book.threadOf(r.id, r.thread)) ?? r.channel;
    const route = Routes.channelMessageOwnReaction(where, r.id, emoji);
    const call: ApiCall = { action: "reacting on Discord", channel: r.channel, permission: "Add Reactions" };
    if (r.action === "add" && before === 0) await this.o.failures.run(call, () => this.o.rest.put(route));
    if (r.action === "remove" && before > 0 && reactors.size === 0) {
      await this.o.failures
        .run(call, () => this.o.rest.delete(route))
        .catch((e: unknown) => {
          if (ApiFailures.codeOf(e) !== UNKNOWN_MESSAGE) throw e;
        });
    }
    await this.o.state.set(key, JSON.stringify([...reactors]), { expiresWithMessage: true });
  }

  /** The emoji as the reaction route takes it (URL-encoded), or undefined when Discord has no such emoji. */
  private async routeEmoji(channel: string, emoji: string): Promise<string | undefined> {
    const custom = /^:([\w~-]{1,64}):$/.exec(emoji);
    if (custom?.[1] !== undefined) {
      const found = await this.o.directory.emojiNamed(this.o.directory.guildOf(channel), custom[1]);
      return found ? encodeURIComponent(`${found.name}:${found.id}`) : undefined;
    }
    // A Unicode emoji is a few code points at most; anything else is not an emoji Discord knows.
    if (emoji.trim() === "" || Array.from(emoji).length > 16 || /[\s:<>]/.test(emoji)) return undefined;
    return encodeURIComponent(emoji);
  }
}
