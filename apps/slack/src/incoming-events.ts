/**
 * Slack's events as the engine's calls: messages (new, changed, deleted,
 * thread replies, shared files), reactions, channel membership and profile
 * changes. One event at a time, in the order Slack sent them (the
 * connector's chain calls `handle`); each is handed over once (see
 * HandledOnce). The engine keeps the catch-up cursors and what was relayed
 * lately from what it is handed.
 */
import type { ConnectorHost, Logger, RemoteAttachment, RemoteMessage, RemoteUser, RichText } from "@parley/bridge";
import { isRecord } from "@parley/bridge";
import type { SlackDirectory, SlackUserObject } from "./directory.ts";
import { fromMrkdwn, fromRichTextBlocks, mentionedIds, reactionEmoji } from "./format/index.ts";
import { type HandledOnce, messageKey } from "./handled-once.ts";
import { isSlackTs, tsMillis, tsMillisExact } from "./slack-ts.ts";

/** The fields of a Slack file object the bridge reads. */
export interface SlackFile {
  readonly id?: string;
  readonly name?: string;
  readonly title?: string;
  readonly mimetype?: string;
  readonly size?: number;
  readonly mode?: string;
  readonly url_private?: string;
  readonly url_private_download?: string;
}

/** A message as events and conversations.history give it. */
export interface SlackMessage {
  readonly type?: string;
  readonly subtype?: string;
  readonly channel?: string;
  readonly channel_type?: string;
  readonly user?: string;
  readonly bot_id?: string;
  readonly username?: string;
  readonly bot_profile?: { readonly name?: string; readonly icons?: { readonly image_72?: string } };
  readonly text?: string;
  readonly blocks?: unknown;
  readonly ts?: string;
  readonly thread_ts?: string;
  readonly files?: readonly SlackFile[];
  readonly message?: SlackMessage;
  readonly previous_message?: SlackMessage;
  readonly deleted_ts?: string;
  readonly reply_count?: number;
  readonly latest_reply?: string;
  /** Who edited it last, and when (conversations.history and message_changed's message). */
  readonly edited?: { readonly user?: string; readonly ts?: string };
  readonly reactions?: readonly SlackReaction[];
}

/** A message's reaction as conversations.history lists it: `users` may be cut short of `count`. */
export interface SlackReaction {
  readonly name?: string;
  readonly users?: readonly string[];
  readonly count?: number;
}

/** Subtypes that are messages people said; the others (joins, topic changes...) are not relayed as text. */
const SAID = new Set([undefined, "file_share", "thread_broadcast", "me_message", "bot_message"]);

export interface IncomingEventsOptions {
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly directory: SlackDirectory;
  readonly once: HandledOnce;
  readonly botToken: string;
  /**
   * The Web API's base URL (https://slack.com/api/ by default): the bot token
   * goes with a file's download only to its origin or to `files.` under its
   * host (https://files.slack.com), never to a host a payload names.
   */
  readonly apiUrl?: string;
  /** A message was handed over in a linked channel (in `thread`, when it is a reply). */
  readonly handed: (channel: string, ts: string, thread: string | undefined) => void;
  /** A member (not the bot) joined or left a linked channel, after the engine was told (presence polling follows). */
  readonly membershipChanged?: (channel: string, user: string, kind: "join" | "leave") => void;
  /** A user's account was deactivated or reactivated (user_change with `deleted` changed). */
  readonly accountChanged?: (user: string, kind: "deactivated" | "reactivated") => void;
}

export class IncomingEvents {
  private readonly o: IncomingEventsOptions;
  private readonly fileOrigins: ReadonlySet<string>;

  constructor(o: IncomingEventsOptions) {
    this.o = o;
    this.fileOrigins = slackFileOrigins(o.apiUrl ?? "https://slack.com/api/");
  }

  /** One event from the Events API; `eventId` (the envelope's) makes a redelivery a no-op. */
  async handle(event: Record<string, unknown>, eventId: string | undefined): Promise<void> {
    const type = event.type;
    if (type === "message") {
      await this.messageEvent(event as SlackMessage, eventId);
      return;
    }
    const run = async (hand: () => Promise<void>) => {
      if (eventId === undefined) await hand();
      else await this.o.once.once(`ev:${eventId}`, hand);
    };
    switch (type) {
      case "reaction_added":
      case "reaction_removed":
        await run(() => this.reaction(event, type === "reaction_added" ? "add" : "remove"));
        return;
      case "member_joined_channel":
      case "member_left_channel":
        await run(() => this.membership(event, type === "member_joined_channel" ? "join" : "leave"));
        return;
      case "user_change":
      case "user_profile_changed":
        await run(async () => {
          const user = isRecord(event.user) ? (event.user as SlackUserObject) : undefined;
          const id = typeof user?.id === "string" ? user.id : undefined;
          const wasDeleted = id !== undefined && this.o.directory.isDeleted(id);
          const remote = user ? this.o.directory.remember(user) : undefined;
          if (!remote || remote.isBridge || id === undefined) return;
          await this.o.host.profile(remote);
          // A deactivated account is offline everywhere (its puppet leaves the rooms); reactivated, it is asked again.
          if (user?.deleted === true && !wasDeleted) {
            this.o.accountChanged?.(id, "deactivated");
            await this.o.host.presence(remote, { status: "offline" });
          } else if (user?.deleted === false && wasDeleted) this.o.accountChanged?.(id, "reactivated");
        });
        return;
      case "subteam_created":
      case "subteam_updated":
        if (isRecord(event.subteam)) this.o.directory.rememberUsergroup(event.subteam);
        return;
      default:
        this.o.logger.debug("a Slack event the bridge does not relay", { type: String(type) });
    }
  }

  private isRelayed(channel: string | undefined): channel is string {
    return channel !== undefined && (this.o.host.linkedChannels().includes(channel) || isDmChannel(channel));
  }

  private async messageEvent(m: SlackMessage, eventId: string | undefined): Promise<void> {
    const channel = m.channel;
    if (!this.isRelayed(channel)) return;
    switch (m.subtype) {
      case "message_changed": {
        const now = m.message;
        if (!now || !isSlackTs(now.ts)) return;
        // The first message of a thread deleted while it has replies stays as a tombstone: a deletion.
        if (now.subtype === "tombstone") {
          if (!m.previous_message || !this.isOwn(m.previous_message)) await this.deletion(channel, now.ts);
          return;
        }
        if (this.isOwn(now) || !changed(now, m.previous_message)) return;
        await this.edit(channel, now, eventId);
        return;
      }
      case "message_deleted": {
        const ts = m.deleted_ts ?? m.previous_message?.ts;
        if (!isSlackTs(ts) || (m.previous_message && this.isOwn(m.previous_message))) return;
        await this.deletion(channel, ts);
        return;
      }
      default:
        if (SAID.has(m.subtype)) await this.message({ ...m, channel });
    }
  }

  /**
   * A message edited on Slack: handed over once per edit (by its
   * `edited.ts`, which also dates it, so the engine knows the edit again
   * whichever way it comes, and drops one older than the edit it relayed).
   */
  async edit(channel: string, now: SlackMessage, eventId?: string): Promise<void> {
    const ts = now.ts;
    if (!isSlackTs(ts) || this.isOwn(now)) return;
    const stamp = isSlackTs(now.edited?.ts) ? now.edited.ts : undefined;
    const key =
      stamp !== undefined ? `edit:${channel}:${ts}:${stamp}` : `ev:${eventId ?? `${channel}:${ts}:${now.text ?? ""}`}`;
    await this.o.once.once(key, async () => {
      const author = await this.authorOf(now);
      await this.o.host.edit({
        channel,
        id: ts,
        author,
        text: await this.textOf(now),
        timestamp: stamp !== undefined ? tsMillisExact(stamp) : Date.now(),
      });
    });
  }

  /** A message deleted on Slack (or left as a tombstone): handed over once. */
  async deletion(channel: string, ts: string): Promise<void> {
    await this.o.once.once(`del:${channel}:${ts}`, () => this.o.host.delete({ channel, id: ts }));
  }

  /**
   * A message said on Slack: handed over once (by its channel and ts), as a
   * direct message when it is in a DM with the bot.
   */
  async message(m: SlackMessage & { readonly channel: string }): Promise<void> {
    const ts = m.ts;
    if (!isSlackTs(ts) || this.isOwn(m)) return;
    const channel = m.channel;
    const thread = isSlackTs(m.thread_ts) && m.thread_ts !== ts ? m.thread_ts : undefined;
    const handed = await this.o.once.once(messageKey(channel, ts), async () => {
      const base = await this.remoteOf(m);
      if (base === undefined) return;
      // A direct message: the engine routes it (an answer in a thread to whoever started it, else the last writer).
      await this.o.host.message(isDmChannel(channel) ? { ...base, direct: true } : base);
    });
    if (handed && !isDmChannel(channel)) this.o.handed(channel, ts, thread);
  }

  /**
   * A message said on Slack (live, or listed by a catch-up) as the engine
   * takes it, dated by its ts (the engine marks old ones as delayed);
   * undefined for the bridge's own and for what is not said by someone (a
   * join, a topic change).
   */
  async remoteOf(m: SlackMessage & { readonly channel: string }): Promise<RemoteMessage | undefined> {
    const ts = m.ts;
    if (!isSlackTs(ts) || this.isOwn(m) || !SAID.has(m.subtype)) return undefined;
    const author = await this.authorOf(m);
    if (author.isBridge) return undefined;
    const thread = isSlackTs(m.thread_ts) && m.thread_ts !== ts ? m.thread_ts : undefined;
    const attachments = this.attachmentsOf(m.files);
    return {
      channel: m.channel,
      id: ts,
      author,
      text: await this.textOf(m),
      ...(thread !== undefined && { thread, replyTo: thread }),
      ...(attachments.length > 0 && { attachments }),
      timestamp: tsMillis(ts),
    };
  }

  /** Messages the bridge posted (its bot user, or its bot id) are echoes: never relayed. */
  private isOwn(m: SlackMessage): boolean {
    const bot = this.o.directory.bot;
    if (!bot) return false;
    return m.user === bot.userId || (m.bot_id !== undefined && m.bot_id === bot.botId);
  }

  private async authorOf(m: SlackMessage): Promise<RemoteUser> {
    if (typeof m.user === "string") return this.o.directory.user(m.user);
    // An integration's message: named as it posted itself.
    const id = m.bot_id ?? "unknown-bot";
    const name = m.username ?? m.bot_profile?.name ?? id;
    const avatarUrl = m.bot_profile?.icons?.image_72;
    return { id, displayName: name, ...(avatarUrl !== undefined && { avatarUrl }) };
  }

  /** The message's rich text: its rich_text blocks when it has them, else its mrkdwn text. */
  private async textOf(m: SlackMessage): Promise<RichText> {
    const ids = mentionedIds(m.text, m.blocks);
    await this.o.directory.prefetch(ids.users, ids.channels, ids.usergroups);
    const ctx = {
      user: (id: string) => this.o.directory.cachedName(id),
      channel: (id: string) => this.o.directory.cachedChannel(id),
      usergroup: (id: string) => this.o.directory.cachedUsergroup(id),
    };
    return fromRichTextBlocks(m.blocks, ctx) ?? fromMrkdwn(m.text ?? "", ctx);
  }

  /**
   * Files on Slack's file host are private to the workspace: the engine downloads them with the
   * bot token and re-hosts them. A file elsewhere (an external file, such as a shared Google Doc,
   * or a URL no real Slack payload names) is relayed as its link: not fetched, no token.
   */
  private attachmentsOf(files: readonly SlackFile[] | undefined): RemoteAttachment[] {
    if (!Array.isArray(files)) return [];
    const out: RemoteAttachment[] = [];
    for (const f of files) {
      // One entry of the wrong shape (null, a number) leaves the message's other files and its text to relay.
      if (!isRecord(f)) continue;
      const url = f.url_private_download ?? f.url_private;
      if (typeof url !== "string" || f.mode === "tombstone" || f.mode === "hidden_by_limit") continue;
      out.push({
        url,
        ...(typeof f.name === "string" && { filename: f.name }),
        ...(typeof f.mimetype === "string" && { contentType: f.mimetype }),
        ...(typeof f.size === "number" && { size: f.size }),
        ...(this.fileOrigins.has(originOf(url))
          ? { ephemeral: true, headers: { Authorization: `Bearer ${this.o.botToken}` } }
          : { ephemeral: false }),
      });
    }
    return out;
  }

  private async reaction(event: Record<string, unknown>, action: "add" | "remove"): Promise<void> {
    const item = isRecord(event.item) ? event.item : {};
    const channel = typeof item.channel === "string" ? item.channel : undefined;
    if (item.type !== "message" || !this.isRelayed(channel) || !isSlackTs(item.ts) || typeof event.user !== "string")
      return;
    if (typeof event.reaction !== "string") return;
    await this.reactionBy(channel, item.ts, event.user, event.reaction, action);
  }

  /** A user's reaction (Slack's name for it) added to or removed from a message. */
  async reactionBy(channel: string, ts: string, userId: string, name: string, action: "add" | "remove"): Promise<void> {
    const user = await this.o.directory.user(userId);
    if (!user.isBridge) await this.o.host.reaction({ channel, id: ts, user, emoji: reactionEmoji(name), action });
  }

  private async membership(event: Record<string, unknown>, kind: "join" | "leave"): Promise<void> {
    const channel = typeof event.channel === "string" ? event.channel : undefined;
    if (channel === undefined || !this.o.host.linkedChannels().includes(channel) || typeof event.user !== "string")
      return;
    const user = await this.o.directory.user(event.user);
    if (user.isBridge) return;
    await this.o.host.membership(channel, user, kind);
    this.o.membershipChanged?.(channel, event.user, kind);
  }
}

/** Where Slack serves files for a Web API at `apiUrl`: its origin, and `files.` under its host. */
export function slackFileOrigins(apiUrl: string): ReadonlySet<string> {
  const api = new URL(apiUrl);
  return new Set([api.origin, `${api.protocol}//files.${api.host}`]);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return ""; // not a URL: no origin, so not one of Slack's
  }
}

/** DM channels' ids start with D. */
export function isDmChannel(channel: string): boolean {
  return channel.startsWith("D");
}

/** Whether a message_changed changed what people read (not only its thread's reply count or an unfurl). */
function changed(now: SlackMessage, before: SlackMessage | undefined): boolean {
  if (!before) return true;
  return now.text !== before.text || JSON.stringify(now.blocks ?? null) !== JSON.stringify(before.blocks ?? null);
}
