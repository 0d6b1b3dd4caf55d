/**
 * An XMPP user's 1:1 chat with a puppet, as a DM from the bot to the Discord
 * user: the bot has only one DM channel with each user, so every message says
 * who wrote it (`**nick** (jid): text`) and the Discord user's answers go to
 * the XMPP user who wrote last (see dm-routing.ts). Edits keep the sender mark.
 */
import { type OutgoingAttachment, PermanentError, type RichText, type XmppSender } from "@parley/bridge";
import type { RawFile, REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { DmRouting } from "./dm-routing.ts";
import { isRecord } from "./members.ts";
import type { MessageBook, SentRecord } from "./message-book.ts";
import { composeMessage, directPrefix } from "./outgoing-message.ts";
import { ApiFailures } from "./permissions.ts";
import { isSnowflake } from "./snowflake.ts";

const UNKNOWN_MESSAGE = 10008;

export interface BotDmsOptions {
  readonly rest: REST;
  readonly dms: DmRouting;
  readonly book: MessageBook;
  readonly failures: ApiFailures;
  /** Downloads the files to upload (the rest become links). */
  readonly files: (attachments: readonly OutgoingAttachment[]) => Promise<{ files: RawFile[]; links: string[] }>;
}

export class BotDms {
  private readonly o: BotDmsOptions;

  constructor(o: BotDmsOptions) {
    this.o = o;
  }

  async send(m: {
    userId: string;
    sender: XmppSender;
    text: RichText;
    attachments: readonly OutgoingAttachment[];
  }): Promise<{ channel: string; id: string }> {
    if (!isSnowflake(m.userId)) throw new PermanentError("the puppet's id is not a Discord user id");
    const channel = await this.o.dms.channelFor(m.userId);
    // Remembered first: the answer may come before the post returns.
    await this.o.dms.remember(m.userId, m.sender.jid);
    const { files, links } = await this.o.files(m.attachments);
    const prefix = directPrefix(m.sender.nick, m.sender.jid);
    const composed = composeMessage({ text: m.text, prefix, links, hasFiles: files.length > 0 });
    const ids: string[] = [];
    for (const [i, content] of composed.parts.entries()) {
      const withFiles = i === 0 && files.length > 0;
      const posted = await this.o.failures
        .run({ action: "sending a DM on Discord" }, () =>
          this.o.rest.post(Routes.channelMessages(channel), {
            body: {
              content,
              allowed_mentions: { parse: [] },
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
    await this.o.book.rememberSent(first, { dm: true, prefix, ...(rest.length > 0 && { parts: rest }) });
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
    const composed = composeMessage({ text: o.text, prefix });
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
