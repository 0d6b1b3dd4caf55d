/**
 * What an XMPP message becomes on Discord: Discord markdown from the shared
 * AST, with mentions of Discord users' puppets turned back into `<@id>` (and
 * only those allowed to ping: XMPP users cannot @everyone), a quoted line for
 * a reply (webhooks cannot send a real Discord reply), links to files that
 * could not be uploaded. A room message comes from the engine cut to fit
 * (`DISCORD_TEXT_LIMIT`); so does a direct message from the bot, cut to fit
 * 2,000 characters under its sender mark (`directTextLength`).
 */
import type { MentionTarget, RichText } from "@parley/bridge";
import { toDiscordMarkdown } from "./markdown/index.ts";
import { isSnowflake } from "./snowflake.ts";

export const DISCORD_MESSAGE_LIMIT = 2000;
/**
 * Room the first part of a message leaves for the reply quote it may start
 * with (`replyQuoteLines`): a name and a 100-character excerpt, both escaped,
 * and a jump link of three ids.
 */
export const QUOTE_ROOM = 450;
/** The markdown a room post's text may take: Discord's 2,000 (the first part of a message less QUOTE_ROOM). */
export const DISCORD_TEXT_LIMIT = DISCORD_MESSAGE_LIMIT;
/** Files Discord takes in one message. */
export const DISCORD_MAX_FILES = 10;
/** The web client's message links; every client opens them as a jump to the message. */
export const DISCORD_WEB = "https://discord.com";

export interface ReplyQuote {
  /** Where the answered message is: its guild (undefined in DMs), channel (or thread) and id. */
  readonly guildId?: string;
  readonly channelId: string;
  readonly messageId: string;
  readonly authorName?: string;
  readonly excerpt?: string;
}

export interface ComposedMessage {
  /** The post's content, at most 2,000 characters. */
  readonly content: string;
  /** Users mentioned: the only ones the message may ping. */
  readonly users: string[];
  /** The reply quote lines the content starts with, kept so an edit can put them back. */
  readonly quote?: string;
}

export interface ComposedDirect {
  /** The message under its sender mark, at most 2,000 characters. */
  readonly content: string;
  /** Users mentioned: the only ones the message may ping. */
  readonly users: string[];
}

/** Backslash-escapes what Discord markdown would read as markup in a name or an excerpt. */
export function escapeMarkdown(s: string): string {
  return s.replace(/([\\*_~`|>#[\]()<])/g, "\\$1").replace(/@(everyone|here)/g, "@\u200b$1");
}

export function jumpLink(q: Pick<ReplyQuote, "guildId" | "channelId" | "messageId">): string {
  return `${DISCORD_WEB}/channels/${q.guildId ?? "@me"}/${q.channelId}/${q.messageId}`;
}

/** The quote a reply starts with: who is answered and what they said, and a jump link to it. */
export function replyQuoteLines(q: ReplyQuote): string {
  const who =
    q.authorName !== undefined && q.authorName.trim() !== "" ? `**@${escapeMarkdown(q.authorName)}**` : "**↪**";
  const what = q.excerpt !== undefined && q.excerpt.trim() !== "" ? `: ${escapeMarkdown(q.excerpt.trim())}` : "";
  return `> ${who}${what}\n> ${jumpLink(q)}`;
}

/** How long a text is on Discord: the characters of its markdown, as the engine measures parts. */
export function discordTextLength(text: RichText): number {
  return discordMarkdownOf(text).markdown.trim().length;
}

/** The Discord markdown of a document, and the Discord users it mentions. */
export function discordMarkdownOf(text: RichText, network = "discord"): { markdown: string; users: string[] } {
  const users = new Set<string>();
  const markdown = toDiscordMarkdown(text, {
    mentionOf: (target: MentionTarget) => {
      if (target.network !== network || !isSnowflake(target.remoteId)) return undefined;
      switch (target.kind ?? "user") {
        case "user":
          users.add(target.remoteId);
          return `<@${target.remoteId}>`;
        case "role":
          return `<@&${target.remoteId}>`;
        case "channel":
          return `<#${target.remoteId}>`;
        default:
          return undefined;
      }
    },
  });
  return { markdown, users: [...users].slice(0, 100) };
}

/** A room post: the text (which the engine cut to fit), after a reply quote, with links to files that go as links. */
export function composeMessage(o: {
  readonly text: RichText;
  /** Reply quote lines (`replyQuoteLines`) to start the message with. */
  readonly quote?: string;
  /** Files that go as links (too large, or not downloadable). */
  readonly links?: readonly string[];
  /** Whether files go with the message: then an empty text is fine. */
  readonly hasFiles?: boolean;
  readonly network?: string;
}): ComposedMessage {
  const { markdown, users } = discordMarkdownOf(o.text, o.network);
  const quote = o.quote;
  const body = [quote ?? "", markdown.trim(), ...(o.links ?? []).map((l) => `<${l}>`)]
    .filter((x) => x !== "")
    .join("\n");
  // Discord refuses an empty message; and past 2,000 characters only many long links can take it (the text
  // fits with its quote): the end is cut rather than the post refused.
  const content = body === "" && !o.hasFiles ? "\u200b" : cutTo(body, DISCORD_MESSAGE_LIMIT);
  return { content, users, ...(quote !== undefined && { quote }) };
}

/** `s` cut to `max` UTF-16 units with an ellipsis, never inside a surrogate pair. */
function cutTo(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, "")}…`;
}

/**
 * A direct message from the bot under the mark of its XMPP author, one
 * Discord message (the engine cut the text to fit, `directTextLength`); links
 * to files that could not be uploaded go after the text (past 2,000
 * characters the end is cut rather than the message refused).
 */
export function composeDirect(o: {
  readonly text: RichText;
  /** The "**nick** (jid): " mark every message carries. */
  readonly prefix: string;
  readonly links?: readonly string[];
  readonly network?: string;
}): ComposedDirect {
  const { markdown, users } = discordMarkdownOf(o.text, o.network);
  const links = (o.links ?? []).map((l) => `<${l}>`);
  return { content: cutTo(markedContent(o.prefix, markdown, links), DISCORD_MESSAGE_LIMIT), users };
}

/**
 * How long a direct message's text is under the mark `prefix`, as Discord
 * counts it: what the engine cuts a DM by (`Connector.directLimits`).
 */
export function directTextLength(prefix: string, network?: string): (text: RichText) => number {
  return (text) => markedContent(prefix, discordMarkdownOf(text, network).markdown, []).length;
}

/** Whatever Discord may show as a line break is one here. */
function lines(s: string): string {
  return s.replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n");
}

/**
 * A DM from the bot carries one XMPP user's words under a mark saying who
 * wrote them, and the words must not be able to pass as a second mark (a line
 * `**bob** (bob@host): ...` in the text). A text of one line follows the mark
 * on its line; a longer one goes under the mark with every line quoted, so no
 * line of it stands where a mark stands. Every part of a DM the engine cut
 * carries the mark again.
 */
function markedContent(prefix: string, markdown: string, links: readonly string[]): string {
  const body = lines([markdown.trim(), ...links].filter((x) => x !== "").join("\n"));
  if (!body.includes("\n") && prefix.length + body.length <= DISCORD_MESSAGE_LIMIT) return joinPrefix(prefix, body);
  return `${prefix.trimEnd()}\n${body
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n")}`;
}

/** "**nick** (jid): text", on its own line when the text starts with a block (quote, list, code, heading). */
function joinPrefix(prefix: string, body: string): string {
  if (body === "") return prefix.trimEnd();
  return /^(>|```|#|[-*+] |\d+[.)] )/.test(body) ? `${prefix.trimEnd()}\n${body}` : `${prefix}${body}`;
}

/** The DM prefix that says which XMPP user wrote. */
export function directPrefix(nick: string, jid: string): string {
  return `**${escapeMarkdown(nick)}** (${escapeMarkdown(jid)}): `;
}
