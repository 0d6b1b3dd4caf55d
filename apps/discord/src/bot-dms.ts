/**
 * An XMPP user's 1:1 chat with a puppet, as a DM from the bot to the Discord
 * user: the bot has only one DM channel with each user, so every message says
 * who wrote it (`**nick** (jid): text`) and the Discord user's answers go to
 * the XMPP user who wrote last (the engine routes them). Edits keep the sender mark.
 *
 * The engine cuts a long DM into messages that fit under the mark
 * (`DiscordConnector.directLimits`), sends each with a key of its own and maps each, so this sends,
 * edits and deletes one message at a time; only the later parts of a DM an
 * earlier version split itself (`SentRecord.parts`) are still its to remove.
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
  /** The engine's delivery key (each part of a DM the engine split has its own): the nonce comes from it. */
  readonly key: string;
}

interface PreparedDm {
  readonly channel: string;
  readonly files: RawFile[];
  readonly prefix: string;
  readonly content: string;
}

/** Our clock and Discord's may disagree: the search starts this much before the first attempt. */
const CLOCK_SLACK_MS = 10_000;
/** Pages of the DM channel looked at, at most (the DM is among the first after its time). */
const MAX_PAGES = 10;
/** Discord takes a nonce of 25 characters at most. */
const NONCE_LENGTH = 25;

/**
 * The nonce of part `part` of delivery `key`: the same for every attempt, another for any other message.
 * The engine gives every part its own key now, so a DM is part 0 of its key (the first part's nonce is as before).
 */
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
    return this.post(dm, m.key);
  }

  /**
   * The DM an earlier `send` of the same `key` made although its answer was
   * lost (`Connector.findDirectPosted`), beyond the few minutes Discord keeps
   * a nonce: the DM channel's messages since `since` are read for the bot's
   * message with the same text (and the same files' names) that the bridge
   * does not know as another delivery's. Undefined when the channel does not
   * have it.
   */
  async findPosted(m: DirectSend, since: number): Promise<{ channel: string; id: string } | undefined> {
    const botId = this.o.botId();
    if (!isSnowflake(m.userId) || botId === undefined) return undefined;
    const dm = await this.prepare(m);
    const names = dm.files.map((f) => f.name).sort();
    let after = snowflakeAt(Math.max(0, since - CLOCK_SLACK_MS));
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await messagesAfter(this.o, dm.channel, after, "looking for a DM whose answer was lost");
      for (const msg of listed) {
        const author = isRecord(msg.author) ? msg.author : undefined;
        if (author?.id !== botId || typeof msg.content !== "string" || msg.content.trim() !== dm.content.trim())
          continue;
        if (!sameNames(msg.attachments, names)) continue;
        const sent = await this.o.book.sent(msg.id);
        if (sent !== undefined && sent.key !== m.key) continue; // the same text sent by another delivery
        this.o.logger.info("a DM whose answer was lost is on Discord already; not sending it again", {
          channel: dm.channel,
          id: msg.id,
        });
        await this.o.book.rememberSent(msg.id, { dm: true, prefix: dm.prefix, key: m.key });
        return { channel: dm.channel, id: msg.id };
      }
      const last = listed.at(-1);
      if (last === undefined || listed.length < PAGE) break;
      after = last.id;
    }
    return undefined;
  }

  /** The DM channel, the files and the content. */
  private async prepare(m: DirectSend): Promise<PreparedDm> {
    if (!isSnowflake(m.userId)) throw new PermanentError("the puppet's id is not a Discord user id");
    const channel = await this.o.dms.channelFor(m.userId);
    const { files, links } = await this.o.files(m.attachments);
    const prefix = directPrefix(m.sender.nick, m.sender.jid);
    const { content } = composeDirect({ text: m.text, prefix, links });
    return { channel, files, prefix, content };
  }

  /**
   * Sends the message with a nonce of the delivery key (`enforce_nonce`:
   * sent again within minutes, Discord answers with the message it made),
   * and records it.
   */
  private async post(dm: PreparedDm, key: string): Promise<{ channel: string; id: string }> {
    const { channel, files, prefix, content } = dm;
    const withFiles = files.length > 0;
    const posted = await this.o.failures.run({ action: "sending a DM on Discord" }, () =>
      this.o.rest.post(Routes.channelMessages(channel), {
        body: {
          content,
          allowed_mentions: { parse: [] },
          nonce: nonceOf(key, 0),
          enforce_nonce: true,
          ...(withFiles && { attachments: files.map((f, k) => ({ id: String(k), filename: f.name })) }),
        },
        ...(withFiles && { files }),
      }),
    );
    if (!isRecord(posted) || typeof posted.id !== "string") {
      throw new PermanentError("Discord answered a DM without a message id");
    }
    await this.o.book.rememberSent(posted.id, { dm: true, prefix, key });
    return { channel, id: posted.id };
  }

  /** Whether a message is one of the bot's DMs (by what the bridge remembers, or its channel). */
  isDm(channel: string, sent: SentRecord | undefined): boolean {
    return sent?.dm === true || (!sent && this.o.dms.isDmChannel(channel));
  }

  /**
   * Edits one message (the engine edits each part of a long DM). A DM an
   * earlier version split itself: the engine knows only its first part, and
   * sends what the new text needs after it; the old later parts go.
   */
  async edit(
    o: { channel: string; id: string; sender: XmppSender; text: RichText },
    sent: SentRecord | undefined,
  ): Promise<void> {
    const prefix = sent?.prefix ?? directPrefix(o.sender.nick, o.sender.jid);
    const { content } = composeDirect({ text: o.text, prefix });
    await this.o.failures.run({ action: "editing a DM on Discord" }, () =>
      this.o.rest.patch(Routes.channelMessage(o.channel, o.id), { body: { content, allowed_mentions: { parse: [] } } }),
    );
    const legacy = sent?.parts ?? [];
    if (sent === undefined || legacy.length === 0) return;
    await this.delete(o.channel, o.id, sent, legacy);
    await this.o.book.rememberSent(o.id, { ...sent, parts: [] });
  }

  /** Deletes one message, and the later parts of a DM an earlier version split itself (or only `which` of them). */
  async delete(channel: string, id: string, sent: SentRecord | undefined, which?: readonly string[]): Promise<void> {
    for (const part of which ?? [id, ...(sent?.parts ?? [])]) {
      await this.o.failures
        .run({ action: "deleting a DM on Discord" }, () => this.o.rest.delete(Routes.channelMessage(channel, part)))
        .catch((e: unknown) => {
          if (ApiFailures.codeOf(e) !== UNKNOWN_MESSAGE) throw e;
        });
    }
  }
}
