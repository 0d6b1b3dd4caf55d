/**
 * Webhooks cannot send a Discord reply (IncomingWebhookRequestPartial has no
 * message_reference), so an XMPP reply starts with a quote of the answered
 * message: who wrote it, its first words, and a jump link to it. What the
 * engine does not say (the excerpt, sometimes the author) is read from
 * Discord; a reply whose original cannot be read still gets its jump link.
 */
import { isRecord, type OutgoingMessage, toPlainText } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { GuildDirectory } from "./guild-directory.ts";
import { excerpt, textOfContent } from "./incoming-message.ts";
import { remoteUserOf } from "./members.ts";
import type { MessageBook } from "./message-book.ts";
import { replyQuoteLines } from "./outgoing-message.ts";

const EXCERPT_CHARS = 100;

export interface ReplyQuotesOptions {
  readonly rest: REST;
  readonly directory: GuildDirectory;
  readonly book: MessageBook;
}

export class ReplyQuotes {
  private readonly o: ReplyQuotesOptions;

  constructor(o: ReplyQuotesOptions) {
    this.o = o;
  }

  /** The quote lines for a reply in `channel` to `reply.id`. */
  async quote(channel: string, reply: NonNullable<OutgoingMessage["replyTo"]>): Promise<string> {
    const where = (await this.o.book.threadOf(reply.id, reply.thread)) ?? channel;
    let authorName = reply.authorName;
    let text = reply.excerpt;
    if (text === undefined || authorName === undefined) {
      const found = await this.read(where, reply.id);
      text ??= found?.text;
      authorName ??= found?.authorName;
    }
    const guildId = this.o.directory.guildOf(channel);
    return replyQuoteLines({
      ...(guildId !== undefined && { guildId }),
      channelId: where,
      messageId: reply.id,
      ...(authorName !== undefined && { authorName }),
      ...(text !== undefined && { excerpt: excerpt(text, EXCERPT_CHARS) }),
    });
  }

  /** The author and plain text of a message; undefined when it cannot be read. */
  private async read(channel: string, id: string): Promise<{ authorName: string; text: string } | undefined> {
    let m: unknown;
    try {
      m = await this.o.rest.get(Routes.channelMessage(channel, id));
    } catch {
      return undefined; // deleted, hidden from the bot or Discord down: the reply goes without its quote
    }
    if (!isRecord(m) || !isRecord(m.author) || typeof m.content !== "string") return undefined;
    const guildId = this.o.directory.guildOf(channel);
    const person =
      typeof m.author.id === "string" && typeof m.webhook_id !== "string"
        ? this.o.directory.person(m.author.id, guildId)
        : undefined;
    const authorName = person
      ? remoteUserOf(this.o.rest.cdn, person).displayName
      : typeof m.author.username === "string"
        ? m.author.username
        : "someone";
    // A reply the bridge posted starts with its own quote: the excerpt is what follows it.
    const own = m.content.replace(/^(?:> .*\n)+/, "");
    const doc = textOfContent(own, m, guildId, {
      cdn: this.o.rest.cdn,
      directory: this.o.directory,
      rehostAttachments: false,
    });
    return { authorName, text: toPlainText(doc) };
  }
}
