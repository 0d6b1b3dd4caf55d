/**
 * The engine's requests as Web API calls: XMPP users' messages posted with
 * chat.postMessage under their own name and avatar (`username`,
 * `icon_url`: the chat:write.customize scope), in the thread they answer
 * (`thread_ts`); corrections with chat.update, retractions with
 * chat.delete, reactions with reactions.add/remove by the bot, and direct
 * messages in the bot's DM with the Slack user, marked with the sender.
 * Every post carries the engine's delivery key in its metadata, so a post
 * whose answer was lost is found again (`findPosted`) instead of made twice.
 */
import {
  type ChannelLimits,
  type ConnectorState,
  type DeleteRequest,
  type DirectRequest,
  type DirectTarget,
  type EditRequest,
  type FindDirectRequest,
  type FindPostedRequest,
  type Logger,
  type MentionTarget,
  type OutgoingAttachment,
  type OutgoingMessage,
  PermanentError,
  type ReactRequest,
  type RichText,
  stringListOf,
  TransientError,
  type XmppSender,
} from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { DmChannels } from "./dm-channels.ts";
import { escapeEntities, slackNameOfEmoji, toMrkdwn } from "./format/index.ts";
import { uploadFiles, uploadKeyOf } from "./outgoing-files.ts";
import { type SlackFailures, slackErrorCode } from "./slack-failures.ts";
import { isSlackTs, tsOf } from "./slack-ts.ts";

/** The metadata event type of the bridge's posts; its payload's `key` is the engine's delivery key. */
export const RELAY_EVENT_TYPE = "parley_relay";
/** Our clock and Slack's may disagree: a look for a post starts this much before its first attempt. */
const CLOCK_SLACK_MS = 10_000;
/** Messages per page, and pages at most, read when looking for a post (it is among the first after its time). */
const LOOKUP_PAGE = 200;
const LOOKUP_PAGES = 10;

/** Slack cuts `username` at 80 characters. */
const MAX_USERNAME = 80;
/** chat.postMessage truncates text past 40,000 characters. */
export const SLACK_TEXT_LIMIT = 40_000;

/** What one post holds: 40,000 characters of mrkdwn; the engine cuts a longer room message into parts. */
const mrkdwnLength = (text: RichText) => toMrkdwn(text, { mentionOf: slackMention }).length;
export const SLACK_LIMITS: ChannelLimits = { maxTextLength: SLACK_TEXT_LIMIT, textLength: mrkdwnLength };

/** The same for a direct message, whose every part starts with the sender's mark (`directMark`). */
export function slackDirectLimits(o: DirectTarget): ChannelLimits {
  const mark = directMark(o.sender).length;
  return { maxTextLength: SLACK_TEXT_LIMIT, textLength: (text) => mark + mrkdwnLength(text) };
}

export interface SlackPostsOptions {
  readonly client: webApi.WebClient;
  readonly state: ConnectorState;
  readonly failures: SlackFailures;
  readonly dms: DmChannels;
  readonly logger: Logger;
  readonly allowPrivateAddresses: boolean;
}

/** How the mrkdwn writer spells a mention of something on Slack. */
export function slackMention(t: MentionTarget): string | undefined {
  if (t.network !== "slack" || t.remoteId === undefined || !/^[A-Za-z0-9]+$/.test(t.remoteId)) return undefined;
  switch (t.kind) {
    case "channel":
      return `<#${t.remoteId}>`;
    case "role":
      return `<!subteam^${t.remoteId}>`;
    case "everyone":
      return ["here", "channel", "everyone"].includes(t.remoteId) ? `<!${t.remoteId}>` : undefined;
    default:
      return `<@${t.remoteId}>`;
  }
}

export function mrkdwnOf(text: RichText): string {
  const s = toMrkdwn(text, { mentionOf: slackMention });
  return s.length > SLACK_TEXT_LIMIT ? `${s.slice(0, SLACK_TEXT_LIMIT - 1)}…` : s;
}

function usernameOf(sender: XmppSender): string {
  const nick = sender.nick.trim() === "" ? sender.jid : sender.nick.trim();
  return Array.from(nick).slice(0, MAX_USERNAME).join("");
}

/** A direct message names who wrote it: several XMPP users may write to one Slack user through the bot. */
function directMark(sender: XmppSender): string {
  return `*${escapeEntities(usernameOf(sender))}* (${escapeEntities(sender.jid)}): `;
}

export class SlackPosts {
  private readonly o: SlackPostsOptions;

  constructor(o: SlackPostsOptions) {
    this.o = o;
  }

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    // The engine names the thread (a root of this channel), and the same for every part of a message.
    const id = await this.post(m.channel, m.sender, mrkdwnOf(m.text), m.attachments, m.thread, m.key);
    return { id };
  }

  /**
   * The post of `m` an earlier attempt made although its answer was lost:
   * every post carries its delivery key in its metadata (`parley_relay`), so
   * the channel (or the thread it went to) is read from the first attempt on,
   * metadata included, for that key. The files that attempt had not shared
   * yet (the bridge died between the text and the uploads, or between two
   * uploads) are uploaded now, next to the post found: the channel ends with
   * the text and each file once.
   */
  async findPosted(q: FindPostedRequest): Promise<{ id: string } | undefined> {
    const m = q.message;
    const thread = m.thread;
    const ts = await this.findByKey(m.channel, thread, q.since, m.key);
    if (ts === undefined) return undefined;
    await this.shareFiles(m.channel, thread, ts, mrkdwnOf(m.text), m.attachments, m.key, true);
    return { id: ts };
  }

  /**
   * `findPosted` for a direct message: looked for in the bot's DM with the
   * Slack user, by its key; found, its missing files are uploaded.
   */
  async findDirectPosted(q: FindDirectRequest): Promise<{ channel: string; id: string } | undefined> {
    const o = q.direct;
    const channel = await this.o.dms.channelOf(o.userId);
    const ts = await this.findByKey(channel, undefined, q.since, o.key);
    if (ts === undefined) return undefined;
    await this.shareFiles(channel, undefined, ts, directMark(o.sender) + mrkdwnOf(o.text), o.attachments, o.key, true);
    return { channel, id: ts };
  }

  /** The ts of the bridge's post with delivery key `key` in `channel` (or `thread`), posted after `since`. */
  private async findByKey(
    channel: string,
    thread: string | undefined,
    since: number,
    key: string,
  ): Promise<string | undefined> {
    const oldest = tsOf(Math.max(0, since - CLOCK_SLACK_MS));
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const where = {
        channel,
        oldest,
        include_all_metadata: true,
        limit: LOOKUP_PAGE,
        ...(cursor !== undefined && { cursor }),
      };
      const r = await this.o.failures.run({ action: "looking for a post whose answer was lost", channel }, () =>
        thread !== undefined
          ? this.o.client.conversations.replies({ ...where, ts: thread })
          : this.o.client.conversations.history(where),
      );
      const found = (r.messages ?? []).find(
        (x) => x.metadata?.event_type === RELAY_EVENT_TYPE && keyOf(x.metadata.event_payload) === key,
      );
      if (found !== undefined && isSlackTs(found.ts)) {
        this.o.logger.info("a post whose answer was lost is on Slack already; not posting it again", {
          channel,
          ts: found.ts,
        });
        return found.ts;
      }
      cursor = r.response_metadata?.next_cursor;
      if (cursor === undefined || cursor === "") return undefined;
    }
    return undefined;
  }

  async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    const channel = await this.o.dms.channelOf(o.userId);
    const id = await this.post(
      channel,
      o.sender,
      directMark(o.sender) + mrkdwnOf(o.text),
      o.attachments,
      undefined,
      o.key,
    );
    return { channel, id };
  }

  async edit(o: EditRequest): Promise<void> {
    const mark = o.channel.startsWith("D") ? directMark(o.sender) : "";
    await this.o.failures.run({ action: "editing a message", channel: o.channel }, () =>
      this.o.client.chat.update({ channel: o.channel, ts: o.id, text: mark + mrkdwnOf(o.text) }),
    );
  }

  async delete(o: DeleteRequest): Promise<void> {
    try {
      await this.o.failures.run({ action: "deleting a message", channel: o.channel }, () =>
        this.o.client.chat.delete({ channel: o.channel, ts: o.id }),
      );
    } catch (e) {
      const code = slackErrorCode((e as Error).cause);
      if (code === "message_not_found") return; // gone already
      if (code === "cant_delete_message" && o.moderator)
        throw new PermanentError(
          "Slack lets a bot delete only the messages it posted: a Slack user's message moderated on XMPP stays on Slack",
          { cause: e },
        );
      throw e;
    }
  }

  /**
   * Reactions are the bot's: one per emoji and message, however many XMPP
   * users gave it. Who gave it is kept in the state, so the bot's reaction
   * goes only when the last of them takes theirs back.
   */
  async react(o: ReactRequest): Promise<void> {
    const name = slackNameOfEmoji(o.emoji);
    if (name === undefined) {
      this.o.logger.info("a reaction has no Slack emoji name; not relayed", { emoji: o.emoji });
      return;
    }
    const key = `react:${o.channel}:${o.id}:${name}`;
    const givers = new Set<string>(stringListOf(await this.o.state.get(key)));
    const before = givers.size;
    if (o.action === "add") givers.add(o.sender.jid);
    else givers.delete(o.sender.jid);
    if (before === 0 && givers.size > 0) await this.reaction("add", o.channel, o.id, name);
    if (before > 0 && givers.size === 0) await this.reaction("remove", o.channel, o.id, name);
    await this.o.state.set(key, JSON.stringify([...givers]), { expiresWithMessage: true });
  }

  private async reaction(action: "add" | "remove", channel: string, ts: string, name: string): Promise<void> {
    try {
      await this.o.failures.run(
        { action: action === "add" ? "adding a reaction" : "removing a reaction", channel },
        () =>
          action === "add"
            ? this.o.client.reactions.add({ channel, timestamp: ts, name })
            : this.o.client.reactions.remove({ channel, timestamp: ts, name }),
      );
    } catch (e) {
      const code = slackErrorCode((e as Error).cause);
      if (code === "already_reacted" || code === "no_reaction") return; // already as asked
      throw e;
    }
  }

  /**
   * Posts the text under the sender's name, then the files. Once the text
   * is posted the request has succeeded (a retry would post it twice): a
   * file that will not upload goes as a link added to the text.
   */
  private async post(
    channel: string,
    sender: XmppSender,
    text: string,
    attachments: readonly OutgoingAttachment[],
    thread: string | undefined,
    key: string,
  ): Promise<string> {
    const shown = text.trim() !== "" ? text : attachments.map((a) => escapeEntities(a.filename ?? "a file")).join(", ");
    const r = await this.o.failures.run({ action: "posting a message", channel }, () =>
      this.o.client.chat.postMessage({
        channel,
        text: shown === "" ? " " : shown,
        username: usernameOf(sender),
        ...(sender.avatarUrl !== undefined && { icon_url: sender.avatarUrl }),
        ...(thread !== undefined && { thread_ts: thread }),
        unfurl_media: true,
        // What `findPosted` knows the post by, should its answer be lost.
        metadata: { event_type: RELAY_EVENT_TYPE, event_payload: { key } },
      }),
    );
    const ts = r.ts;
    if (!isSlackTs(ts)) throw new PermanentError("chat.postMessage gave no ts");
    await this.shareFiles(channel, thread, ts, text, attachments, key, false);
    return ts;
  }

  /**
   * Uploads the files of the post `ts` (delivery key `key`) next to it; a
   * file that will not upload goes as a link added to the text. Each
   * upload's file id is on record before it is completed; `again` (the post
   * was found, its answer lost) skips the files an earlier attempt shared.
   */
  private async shareFiles(
    channel: string,
    thread: string | undefined,
    ts: string,
    text: string,
    attachments: readonly OutgoingAttachment[],
    key: string,
    again: boolean,
  ): Promise<void> {
    if (attachments.length === 0) return;
    const links = await uploadFiles(
      attachments,
      { channel, ...(thread !== undefined && { thread }) },
      {
        client: this.o.client,
        logger: this.o.logger,
        allowPrivateAddresses: this.o.allowPrivateAddresses,
      },
      {
        shared: async (index) => again && (await this.sharedIn(channel, uploadKeyOf(key, index))),
        started: (index, fileId) => this.o.state.set(uploadKeyOf(key, index), fileId, { expiresWithMessage: true }),
      },
    );
    if (links.length === 0) return;
    await this.o.client.chat
      .update({
        channel,
        ts,
        text: [text, ...links.map((l) => `<${escapeEntities(l)}>`)].filter((s) => s !== "").join("\n"),
      })
      .catch((e: unknown) =>
        this.o.logger.warn("the links of files that would not upload could not be added", { error: String(e) }),
      );
  }

  /** Whether the upload on record under `stateKey` was completed into `channel` (files.info lists it there). */
  private async sharedIn(channel: string, stateKey: string): Promise<boolean> {
    const fileId = await this.o.state.get(stateKey);
    if (fileId === undefined) return false; // never started, so never shared
    let file: Record<string, unknown> | undefined;
    try {
      const r = await this.o.client.files.info({ file: fileId });
      file = r.file as Record<string, unknown> | undefined;
    } catch (e) {
      // An upload never completed is no file yet.
      if (slackErrorCode(e) === "file_not_found") return false;
      const failure = this.o.failures.classify(e, {
        action: "looking for a file whose upload may have been lost",
        channel,
      });
      if (failure instanceof TransientError) throw failure;
      // Not knowing, uploading risks the file twice; not uploading would risk losing it.
      return false;
    }
    return file !== undefined && isSharedIn(file, channel);
  }
}

/** Whether a file object (files.info) says it was shared in `channel`. */
function isSharedIn(file: Record<string, unknown>, channel: string): boolean {
  for (const kind of ["channels", "groups", "ims"]) {
    const list = file[kind];
    if (Array.isArray(list) && list.includes(channel)) return true;
  }
  const shares = file.shares;
  if (shares === null || typeof shares !== "object") return false;
  return Object.values(shares as Record<string, unknown>).some(
    (bucket) => bucket !== null && typeof bucket === "object" && channel in (bucket as object),
  );
}

/** The delivery key in a post's metadata payload. */
function keyOf(payload: unknown): unknown {
  return payload !== null && typeof payload === "object" ? (payload as { key?: unknown }).key : undefined;
}
