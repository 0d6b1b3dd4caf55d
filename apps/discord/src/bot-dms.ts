/**
 * An XMPP user's 1:1 chat with a puppet, as a DM from the bot to the Discord
 * user: the bot has only one DM channel with each user, so every message says
 * who wrote it (`**nick** (jid): text`) and the Discord user's answers go to
 * the XMPP user who wrote last (the engine routes them). Edits keep the sender mark.
 */
import { createHash } from "node:crypto";
import {
  isRecord,
  type Logger,
  type OutgoingAttachment,
  PermanentError,
  type RichText,
  type XmppSender,
} from "@parley/bridge";
import type { RawFile, REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { DmChannels } from "./dm-channels.ts";
import type { MessageBook, SentRecord } from "./message-book.ts";
import { messagesAfter, PAGE } from "./messages-after.ts";
import { composeDirect, directPrefix } from "./outgoing-message.ts";
import { ApiFailures } from "./permissions.ts";
import { isSnowflake, snowflakeAt } from "./snowflake.ts";

const UNKNOWN_MESSAGE = 10008;

export interface BotDmsOptions {
  readonly rest: REST;
  readonly dms: DmChannels;
  readonly book: MessageBook;
  readonly failures: ApiFailures;
  /** Downloads the files to upload (the rest become links). */
  readonly files: (attachments: readonly OutgoingAttachment[]) => Promise<{ files: RawFile[]; links: string[] }>;
  /** The bot's user id, once the gateway said it. */
  readonly botId: () => string | undefined;
  readonly logger: Logger;
}

/** What is sent as a DM (`DirectRequest`). */
export interface DirectSend {
  readonly userId: string;
  readonly sender: XmppSender;
  readonly text: RichText;
  readonly attachments: readonly OutgoingAttachment[];
  /** The engine's delivery key: the nonce of each part comes from it. */
  readonly key: string;
}

interface PreparedDm {
  readonly channel: string;
  readonly files: RawFile[];
  readonly prefix: string;
  readonly composed: { readonly parts: readonly string[] };
}

/** Our clock and Discord's may disagree: the search starts this much before the first attempt. */
const CLOCK_SLACK_MS = 10_000;
/** Pages of the DM channel looked at, at most (the DM is among the first after its time). */
const MAX_PAGES = 10;
/** Discord takes a nonce of 25 characters at most. */
const NONCE_LENGTH = 25;

/** The nonce of part `part` of delivery `key`: the same for every attempt, another for any other message. */
export function nonceOf(key: string, part: number): string {
  return createHash("sha256").update(`${key}\u0000${part}`).digest("base64url").slice(0, NONCE_LENGTH);
}

/** Whether a listed message's attachments have exactly these file names (sorted). */
function sameNames(attachments: unknown, names: readonly string[]): boolean {
  const listed = (Array.isArray(attachments) ? attachments : [])
    .map((a: unknown) => (isRecord(a) && typeof a.filename === "string" ? a.filename : ""))
    .sort();
  return listed.length === names.length && listed.every((n, i) => n === names[i]);
}

export class BotDms {
  private readonly o: BotDmsOptions;

  constructor(o: BotDmsOptions) {
    this.o = o;
  }

  async send(m: DirectSend): Promise<{ channel: string; id: string }> {
    const dm = await this.prepare(m);
    return this.postParts(dm, m.key, []);
  }

  /**
   * The DM an earlier `send` of the same `key` made although its answer was
   * lost (`Connector.findDirectPosted`), beyond the few minutes Discord keeps
   * a nonce: the DM channel's messages since `since` are read for the bot's
   * message with the same text (and the same files' names) that the bridge
   * does not know as another delivery's; the parts of a long message not found
   * after it are sent now. Undefined when the channel does not have it.
   */
  async findPosted(m: DirectSend, since: number): Promise<{ channel: string; id: string } | undefined> {
    const botId = this.o.botId();
    if (!isSnowflake(m.userId) || botId === undefined) return undefined;
    const dm = await this.prepare(m);
    const parts = dm.composed.parts;
    const names = dm.files.map((f) => f.name).sort();
    const found: string[] = [];
    let after = snowflakeAt(Math.max(0, since - CLOCK_SLACK_MS));
    for (let page = 0; page < MAX_PAGES && found.length < parts.length; page++) {
      const listed = await messagesAfter(this.o, dm.channel, after, "looking for a DM whose answer was lost");
      for (const msg of listed) {
        const content = parts[found.length];
        if (content === undefined) break;
        const author = isRecord(msg.author) ? msg.author : undefined;
        if (author?.id !== botId || typeof msg.content !== "string" || msg.content.trim() !== content.trim()) continue;
        if (found.length === 0 && !sameNames(msg.attachments, names)) continue;
        const sent = await this.o.book.sent(msg.id);
        if (sent !== undefined && sent.key !== m.key) continue; // the same text sent by another delivery
        found.push(msg.id);
      }
      const last = listed.at(-1);
      if (last === undefined || listed.length < PAGE) break;
      after = last.id;
    }
    if (found.length === 0) return undefined;
    this.o.logger.info("a DM whose answer was lost is on Discord already; not sending it again", {
      channel: dm.channel,
      id: found[0],
      parts: `${found.length} of ${parts.length}`,
    });
    return this.postParts(dm, m.key, found);
  }

  /** The DM channel, the files and the text in parts. */
  private async prepare(m: DirectSend): Promise<PreparedDm> {
    if (!isSnowflake(m.userId)) throw new PermanentError("the puppet's id is not a Discord user id");
    const channel = await this.o.dms.channelFor(m.userId);
    const { files, links } = await this.o.files(m.attachments);
    const prefix = directPrefix(m.sender.nick, m.sender.jid);
    const composed = composeDirect({ text: m.text, prefix, links, hasFiles: files.length > 0 });
    return { channel, files, prefix, composed };
  }

  /**
   * Sends the parts after the `done` ones (their ids), each with a nonce of
   * the delivery key and the part (`enforce_nonce`: sent again within minutes,
   * Discord answers with the message it made), and records the message.
   */
  private async postParts(
    dm: PreparedDm,
    key: string,
    done: readonly string[],
  ): Promise<{ channel: string; id: string }> {
    const { channel, files, prefix, composed } = dm;
    const ids = [...done];
    for (const [i, content] of composed.parts.entries()) {
      if (i < done.length) continue;
      const withFiles = i === 0 && files.length > 0;
      const posted = await this.o.failures
        .run({ action: "sending a DM on Discord" }, () =>
          this.o.rest.post(Routes.channelMessages(channel), {
            body: {
              content,
              allowed_mentions: { parse: [] },
              nonce: nonceOf(key, i),
              enforce_nonce: true,
              ...(withFiles && { attachments: files.map((f, k) => ({ id: String(k), filename: f.name })) }),
            },
            ...(withFiles && { files }),
          }),
        )
        .catch((e: unknown) => {
          // Sending again would repeat the parts already sent: what was sent stands.
          if (ids.length === 0) throw e;
          return undefined;
        });
      if (!isRecord(posted) || typeof posted.id !== "string") break;
      ids.push(posted.id);
    }
    const [first, ...rest] = ids;
    if (first === undefined) throw new PermanentError("Discord answered a DM without a message id");
    await this.o.book.rememberSent(first, { dm: true, prefix, key, ...(rest.length > 0 && { parts: rest }) });
    return { channel, id: first };
  }

  /** Whether a message is one of the bot's DMs (by what the bridge remembers, or its channel). */
  isDm(channel: string, sent: SentRecord | undefined): boolean {
    return sent?.dm === true || (!sent && this.o.dms.isDmChannel(channel));
  }

  /** An edit keeps to the message's parts: text beyond them is cut rather than posted out of place. */
  async edit(
    o: { channel: string; id: string; sender: XmppSender; text: RichText },
    sent: SentRecord | undefined,
  ): Promise<void> {
    const prefix = sent?.prefix ?? directPrefix(o.sender.nick, o.sender.jid);
    const composed = composeDirect({ text: o.text, prefix });
    for (const [i, id] of [o.id, ...(sent?.parts ?? [])].entries()) {
      const content = composed.parts[i] ?? "\u200b";
      await this.o.failures.run({ action: "editing a DM on Discord" }, () =>
        this.o.rest.patch(Routes.channelMessage(o.channel, id), { body: { content, allowed_mentions: { parse: [] } } }),
      );
    }
  }

  async delete(channel: string, id: string, sent: SentRecord | undefined): Promise<void> {
    for (const part of [id, ...(sent?.parts ?? [])]) {
      await this.o.failures
        .run({ action: "deleting a DM on Discord" }, () => this.o.rest.delete(Routes.channelMessage(channel, part)))
        .catch((e: unknown) => {
          if (ApiFailures.codeOf(e) !== UNKNOWN_MESSAGE) throw e;
        });
    }
  }
}
