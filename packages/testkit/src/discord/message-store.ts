/**
 * What was said: messages per channel (including DMs and threads), their
 * reactions, and threads. Both the scenario API and
 * the REST routes change messages through here, so a message looks the same
 * whoever posted it, and each change is dispatched the way Discord does.
 */
import type {
  APIChannel,
  APIEmbed,
  APIMessage,
  APIMessageReference,
  APIReaction,
  APIStickerItem,
  APIThreadChannel,
  APIUser,
  ChannelFlags,
  UserFlags,
} from "discord-api-types/v10";
import { ChannelType, MessageFlags, MessageType, StickerFormatType } from "discord-api-types/v10";
import type { AssetStore } from "./assets.ts";
import type { AttachmentStore, NewAttachment } from "./attachment-store.ts";
import { type Directory, isThread, ScenarioError } from "./directory.ts";
import type { Dispatch } from "./intents.ts";
import { type AllowedMentions, allowedMentions, parseMentions } from "./mentions.ts";
import { imageHash, tinyPng } from "./png.ts";
import { type ReactionEmoji, reactionKey } from "./reaction-emoji.ts";
import { compareSnowflakes, type SnowflakeSource } from "./snowflake.ts";
import type { WebhookStore } from "./webhook-store.ts";

/** Who a message is from: a user (or the bot), or a webhook with its per-message overrides. */
export type MessageAuthor =
  | { readonly kind: "user"; readonly id: string }
  | { readonly kind: "webhook"; readonly webhookId: string; readonly username?: string; readonly avatarUrl?: string };

export interface NewMessage {
  readonly content?: string;
  readonly embeds?: readonly APIEmbed[];
  readonly attachments?: readonly NewAttachment[];
  readonly stickerNames?: readonly string[];
  readonly stickerIds?: readonly string[];
  /** A message in the same channel (or the channel the reference names). */
  readonly replyTo?: { readonly messageId: string; readonly channelId?: string };
  readonly nonce?: string | number;
  /** With a nonce: a second create with the same nonce from the same author returns the first message. */
  readonly enforceNonce?: boolean;
  readonly allowedMentions?: AllowedMentions | null;
  readonly tts?: boolean;
  readonly flags?: number;
  readonly type?: MessageType;
  /** Forced id: a forum post's starter message has its thread's id. */
  readonly id?: string;
  readonly messageReference?: APIMessageReference;
}

export interface MessageEdit {
  readonly content?: string | null;
  readonly embeds?: readonly APIEmbed[] | null;
  /** Ids of existing attachments to keep; undefined keeps them all. */
  readonly keepAttachments?: readonly string[];
  readonly newAttachments?: readonly NewAttachment[];
  readonly allowedMentions?: AllowedMentions | null;
  readonly flags?: number | null;
}

interface ReactionEntry {
  readonly key: string;
  readonly emoji: { id: string | null; name: string; animated?: boolean };
  readonly users: string[];
}

/** Thrown when a reply points at a message that is not there; the REST layer turns it into Discord's 50035. */
export class UnknownReplyError extends Error {}

export class MessageStore {
  private readonly ids: SnowflakeSource;
  private readonly dir: Directory;
  private readonly assets: AssetStore;
  private readonly emit: (d: Dispatch) => void;
  private readonly byChannel = new Map<string, Map<string, APIMessage>>();
  private readonly reactions = new Map<string, ReactionEntry[]>();
  private readonly webhooks: WebhookStore;
  private readonly attachments: AttachmentStore;
  private readonly stickers = new Map<string, string>();
  /** `channel:author:nonce` -> message id and when, for enforce_nonce (Discord remembers nonces for minutes). */
  private readonly nonces = new Map<string, { id: string; at: number }>();

  constructor(o: {
    ids: SnowflakeSource;
    dir: Directory;
    assets: AssetStore;
    webhooks: WebhookStore;
    attachments: AttachmentStore;
    emit: (d: Dispatch) => void;
  }) {
    this.ids = o.ids;
    this.dir = o.dir;
    this.assets = o.assets;
    this.webhooks = o.webhooks;
    this.attachments = o.attachments;
    this.emit = o.emit;
  }

  // --- reading -----------------------------------------------------------

  get(channelId: string, id: string): APIMessage | undefined {
    const m = this.byChannel.get(channelId)?.get(id);
    return m ? this.view(m) : undefined;
  }

  list(channelId: string): APIMessage[] {
    return [...(this.byChannel.get(channelId)?.values() ?? [])].map((m) => this.view(m));
  }

  /** GET /channels/{id}/messages: newest first, `limit` of them around, before or after an id. */
  page(channelId: string, q: { around?: string; before?: string; after?: string; limit: number }): APIMessage[] {
    const all = [...(this.byChannel.get(channelId)?.values() ?? [])];
    let picked: APIMessage[];
    if (q.after) {
      const after = q.after;
      picked = all.filter((m) => compareSnowflakes(m.id, after) > 0).slice(0, q.limit);
    } else if (q.around) {
      const around = q.around;
      const older = all.filter((m) => compareSnowflakes(m.id, around) < 0);
      const newer = all.filter((m) => compareSnowflakes(m.id, around) >= 0);
      const half = Math.floor(q.limit / 2);
      picked = [
        ...older.slice(Math.max(0, older.length - half)),
        ...newer.slice(0, q.limit - Math.min(half, older.length)),
      ];
    } else {
      const before = q.before;
      const older = before ? all.filter((m) => compareSnowflakes(m.id, before) < 0) : all;
      picked = older.slice(Math.max(0, older.length - q.limit));
    }
    return picked.reverse().map((m) => this.view(m));
  }

  reactionsOn(channelId: string, messageId: string): Array<{ emoji: string; users: string[] }> {
    this.require(channelId, messageId);
    return (this.reactions.get(messageId) ?? []).map((r) => ({ emoji: r.key, users: [...r.users] }));
  }

  reactionUsers(channelId: string, messageId: string, key: string): APIUser[] {
    this.require(channelId, messageId);
    const entry = (this.reactions.get(messageId) ?? []).find((r) => r.key === key);
    return (entry?.users ?? []).map((u) => this.dir.user(u)).filter((u): u is APIUser => u !== undefined);
  }

  hasReaction(messageId: string, key: string): boolean {
    return (this.reactions.get(messageId) ?? []).some((r) => r.key === key);
  }

  // --- writing -----------------------------------------------------------

  create(channelId: string, author: MessageAuthor, input: NewMessage): APIMessage {
    const channel = this.dir.requireChannel(channelId);
    const guildId = this.dir.guildOf(channelId);
    const authorUser = this.authorObject(author);
    if (author.kind === "user" && guildId && !this.dir.isMember(guildId, author.id)) {
      throw new ScenarioError(`user ${author.id} is not a member of the guild of channel ${channelId}`);
    }
    let reference: APIMessageReference | undefined = input.messageReference;
    let repliedAuthor: string | undefined;
    if (input.replyTo) {
      const refChannel = input.replyTo.channelId ?? channelId;
      const target = this.byChannel.get(refChannel)?.get(input.replyTo.messageId);
      if (!target) throw new UnknownReplyError(`no message ${input.replyTo.messageId} in channel ${refChannel}`);
      reference = { type: 0, message_id: target.id, channel_id: refChannel, ...(guildId ? { guild_id: guildId } : {}) };
      repliedAuthor = target.webhook_id ? undefined : target.author.id;
    }
    const nonceKey = input.nonce === undefined ? undefined : `${channelId}:${authorUser.id}:${input.nonce}`;
    if (nonceKey && input.enforceNonce) {
      const seen = this.nonces.get(nonceKey);
      const earlier = seen && Date.now() - seen.at < 120_000 ? this.byChannel.get(channelId)?.get(seen.id) : undefined;
      if (earlier) return { ...this.view(earlier), nonce: input.nonce };
    }
    const id = input.id ?? this.ids.next();
    if (nonceKey) this.nonces.set(nonceKey, { id, at: Date.now() });
    const content = input.content ?? "";
    const mentions = allowedMentions(parseMentions(content), input.allowedMentions, repliedAuthor);
    const message: APIMessage = {
      id,
      type: input.type ?? (input.replyTo ? MessageType.Reply : MessageType.Default),
      channel_id: channelId,
      author: authorUser,
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: input.tts ?? false,
      mention_everyone: mentions.everyone,
      mentions: mentions.users.map((u) => this.dir.user(u)).filter((u): u is APIUser => u !== undefined),
      mention_roles: guildId ? mentions.roles.filter((r) => this.dir.roles(guildId).some((x) => x.id === r)) : [],
      attachments: (input.attachments ?? []).map((a) => this.attachments.store(channelId, a)),
      embeds: (input.embeds ?? []).map((e) => ({ type: "rich", ...e }) as APIEmbed),
      pinned: false,
      flags: input.flags ?? 0,
      components: [],
    };
    const mentionChannels = mentions.channels
      .map((c) => this.dir.channel(c))
      .filter((c): c is APIChannel => c !== undefined && "guild_id" in c && typeof c.guild_id === "string");
    if (mentionChannels.length > 0) {
      message.mention_channels = mentionChannels.map((c) => ({
        id: c.id,
        guild_id: (c as { guild_id: string }).guild_id,
        type: c.type,
        name: c.name ?? "",
      }));
    }
    const stickers = this.stickerItems(input);
    if (stickers.length > 0) message.sticker_items = stickers;
    if (reference) message.message_reference = reference;
    if (author.kind === "webhook") {
      message.webhook_id = author.webhookId;
      const hook = this.webhooks.get(author.webhookId);
      if (hook?.application_id) message.application_id = hook.application_id;
    }
    this.channelMessages(channelId).set(id, message);
    this.touchChannel(channel, id);
    const view = this.view(message);
    const out = input.nonce === undefined ? view : { ...view, nonce: input.nonce };
    this.emit({ t: "MESSAGE_CREATE", d: this.gatewayMessage(out), ...this.scope(channelId) });
    return out;
  }

  edit(channelId: string, messageId: string, e: MessageEdit): APIMessage {
    const m = this.require(channelId, messageId);
    if (e.content !== undefined) {
      m.content = e.content ?? "";
      const replied = m.message_reference?.message_id;
      const repliedAuthor = replied
        ? this.byChannel.get(m.message_reference?.channel_id ?? channelId)?.get(replied)?.author.id
        : undefined;
      const mentions = allowedMentions(parseMentions(m.content), e.allowedMentions, repliedAuthor);
      m.mentions = mentions.users.map((u) => this.dir.user(u)).filter((u): u is APIUser => u !== undefined);
      m.mention_everyone = mentions.everyone;
      const guildId = this.dir.guildOf(channelId);
      m.mention_roles = guildId ? mentions.roles.filter((r) => this.dir.roles(guildId).some((x) => x.id === r)) : [];
    }
    if (e.embeds !== undefined) m.embeds = (e.embeds ?? []).map((x) => ({ type: "rich", ...x }) as APIEmbed);
    if (e.flags !== undefined && e.flags !== null) m.flags = e.flags;
    if (e.keepAttachments !== undefined) {
      const keep = new Set(e.keepAttachments);
      m.attachments = m.attachments.filter((a) => keep.has(a.id));
    }
    if (e.newAttachments?.length) {
      m.attachments = [...m.attachments, ...e.newAttachments.map((a) => this.attachments.store(channelId, a))];
    }
    m.edited_timestamp = new Date().toISOString();
    const view = this.view(m);
    this.emit({ t: "MESSAGE_UPDATE", d: this.gatewayMessage(view), ...this.scope(channelId) });
    return view;
  }

  remove(channelId: string, messageId: string): void {
    this.require(channelId, messageId);
    this.byChannel.get(channelId)?.delete(messageId);
    this.reactions.delete(messageId);
    const guildId = this.dir.guildOf(channelId);
    this.emit({
      t: "MESSAGE_DELETE",
      d: { id: messageId, channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}) },
      ...this.scope(channelId),
    });
  }

  /** Adds or removes one user's reaction; a no-op (no dispatch) when nothing changes, as on Discord. */
  react(channelId: string, messageId: string, userId: string, emoji: ReactionEmoji, action: "add" | "remove"): void {
    const m = this.require(channelId, messageId);
    this.dir.requireUser(userId);
    const key = reactionKey(emoji);
    const list = this.reactions.get(messageId) ?? [];
    let entry = list.find((r) => r.key === key);
    if (action === "add") {
      if (entry?.users.includes(userId)) return;
      if (!entry) {
        entry = {
          key,
          emoji:
            emoji.kind === "unicode"
              ? { id: null, name: emoji.name }
              : { id: emoji.id, name: emoji.name, ...(emoji.animated ? { animated: true } : {}) },
          users: [],
        };
        list.push(entry);
        this.reactions.set(messageId, list);
      }
      entry.users.push(userId);
    } else {
      if (!entry?.users.includes(userId)) return;
      entry.users.splice(entry.users.indexOf(userId), 1);
      if (entry.users.length === 0) list.splice(list.indexOf(entry), 1);
    }
    const guildId = this.dir.guildOf(channelId);
    const base = {
      user_id: userId,
      channel_id: channelId,
      message_id: messageId,
      ...(guildId ? { guild_id: guildId } : {}),
      emoji: entry.emoji,
      burst: false,
      type: 0,
    };
    const d =
      action === "add"
        ? {
            ...base,
            ...(guildId && this.dir.isMember(guildId, userId)
              ? { member: this.dir.memberObject(guildId, userId) }
              : {}),
            message_author_id: m.author.id,
            burst_colors: [],
          }
        : base;
    this.emit({
      t: action === "add" ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE",
      d,
      ...this.scope(channelId),
    });
  }

  /** DELETE .../reactions and .../reactions/{emoji}: everyone's reactions, or everyone's with one emoji. */
  clearReactions(channelId: string, messageId: string, key?: string): void {
    this.require(channelId, messageId);
    const list = this.reactions.get(messageId) ?? [];
    const guildId = this.dir.guildOf(channelId);
    const where = { channel_id: channelId, message_id: messageId, ...(guildId ? { guild_id: guildId } : {}) };
    if (key === undefined) {
      this.reactions.delete(messageId);
      this.emit({ t: "MESSAGE_REACTION_REMOVE_ALL", d: where, ...this.scope(channelId) });
      return;
    }
    const entry = list.find((r) => r.key === key);
    if (!entry) return;
    list.splice(list.indexOf(entry), 1);
    this.emit({ t: "MESSAGE_REACTION_REMOVE_EMOJI", d: { ...where, emoji: entry.emoji }, ...this.scope(channelId) });
  }

  typing(channelId: string, userId: string): void {
    this.dir.requireChannel(channelId);
    this.dir.requireUser(userId);
    const guildId = this.dir.guildOf(channelId);
    this.emit({
      t: "TYPING_START",
      d: {
        channel_id: channelId,
        user_id: userId,
        timestamp: Math.floor(Date.now() / 1000),
        ...(guildId ? { guild_id: guildId } : {}),
        ...(guildId && this.dir.isMember(guildId, userId) ? { member: this.dir.memberObject(guildId, userId) } : {}),
      },
      ...this.scope(channelId),
    });
  }

  // --- threads -----------------------------------------------------------

  /**
   * A thread in a text, announcement or forum channel. From a message, the
   * thread takes the message's id and the message gains a `thread`; without
   * one, the parent gets a "thread created" system message; a forum post gets
   * its starter message, whose id is the thread's.
   */
  createThread(
    parentId: string,
    o: {
      name: string;
      by: string;
      fromMessage?: string;
      type?: ChannelType.PublicThread | ChannelType.PrivateThread | ChannelType.AnnouncementThread;
      autoArchiveDuration?: number;
      starter?: NewMessage;
      /** Who posts a forum post's starter message, when not `by` (a webhook). */
      starterAuthor?: MessageAuthor;
    },
  ): APIThreadChannel {
    const parent = this.dir.requireChannel(parentId);
    const guildId = this.dir.guildOf(parentId);
    if (!guildId || isThread(parent)) throw new ScenarioError(`channel ${parentId} cannot have threads`);
    const forum = parent.type === ChannelType.GuildForum;
    if (o.fromMessage) this.require(parentId, o.fromMessage);
    const id = o.fromMessage ?? this.ids.next();
    const now = new Date().toISOString();
    const type =
      o.type ??
      (parent.type === ChannelType.GuildAnnouncement ? ChannelType.AnnouncementThread : ChannelType.PublicThread);
    const thread: APIThreadChannel = {
      id,
      type,
      guild_id: guildId,
      parent_id: parentId,
      owner_id: o.by,
      name: o.name,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      flags: 0 as ChannelFlags,
      thread_metadata: {
        archived: false,
        auto_archive_duration: (o.autoArchiveDuration ?? 1440) as 60 | 1440 | 4320 | 10080,
        archive_timestamp: now,
        locked: false,
        create_timestamp: now,
        ...(type === ChannelType.PrivateThread ? { invitable: true } : {}),
      },
      ...(forum ? { applied_tags: [] } : {}),
    };
    this.dir.addThread(thread);
    const member = o.by === this.dir.bot.id ? { id, user_id: o.by, join_timestamp: now, flags: 0 } : undefined;
    this.emit({
      t: "THREAD_CREATE",
      d: { ...thread, newly_created: true, ...(member ? { member } : {}) },
      guildId,
      channelId: id,
    });
    if (forum) {
      this.create(id, o.starterAuthor ?? { kind: "user", id: o.by }, { content: o.name, ...o.starter, id });
    } else if (o.fromMessage) {
      const starter = this.require(parentId, o.fromMessage);
      starter.flags = (starter.flags ?? 0) | MessageFlags.HasThread;
      this.emit({ t: "MESSAGE_UPDATE", d: this.gatewayMessage(this.view(starter)), ...this.scope(parentId) });
    } else {
      this.create(
        parentId,
        { kind: "user", id: o.by },
        {
          content: o.name,
          type: MessageType.ThreadCreated,
          messageReference: { type: 0, channel_id: id, guild_id: guildId },
        },
      );
    }
    return thread;
  }

  // --- internals ---------------------------------------------------------

  /** The stored message itself (mutable), or a ScenarioError naming what is missing. */
  require(channelId: string, messageId: string): APIMessage {
    const m = this.byChannel.get(channelId)?.get(messageId);
    if (!m) throw new ScenarioError(`no message ${messageId} in channel ${channelId}`);
    return m;
  }

  private channelMessages(channelId: string): Map<string, APIMessage> {
    let map = this.byChannel.get(channelId);
    if (!map) {
      map = new Map();
      this.byChannel.set(channelId, map);
    }
    return map;
  }

  private touchChannel(channel: APIChannel, messageId: string): void {
    if ("last_message_id" in channel || channel.type === ChannelType.DM) {
      (channel as { last_message_id?: string | null }).last_message_id = messageId;
    }
    if (isThread(channel)) {
      channel.message_count = (channel.message_count ?? 0) + 1;
      channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
    }
  }

  private authorObject(author: MessageAuthor): APIUser {
    if (author.kind === "user") return this.dir.requireUser(author.id);
    const hook = this.webhooks.get(author.webhookId);
    if (!hook) throw new ScenarioError(`no webhook ${author.webhookId}`);
    let avatar = hook.avatar;
    if (author.avatarUrl) {
      // Discord fetches the image and serves its own copy; the fake makes one up per URL.
      avatar = imageHash(author.avatarUrl);
      this.assets.put(`avatars/${hook.id}/${avatar}`, { bytes: tinyPng(author.avatarUrl), contentType: "image/png" });
    }
    return {
      id: hook.id,
      username: author.username ?? hook.name ?? "Captain Hook",
      discriminator: "0000",
      global_name: null,
      avatar,
      bot: true,
      public_flags: 0 as UserFlags,
      flags: 0 as UserFlags,
      primary_guild: null,
    };
  }

  private stickerItems(input: NewMessage): APIStickerItem[] {
    const items: APIStickerItem[] = [];
    for (const name of input.stickerNames ?? []) {
      const id = this.ids.next();
      this.stickers.set(id, name);
      this.assets.putImage(`stickers/${id}`, `sticker-${id}`);
      items.push({ id, name, format_type: StickerFormatType.PNG });
    }
    for (const id of input.stickerIds ?? []) {
      const name = this.stickers.get(id);
      if (name !== undefined) items.push({ id, name, format_type: StickerFormatType.PNG });
    }
    return items;
  }

  hasSticker(id: string): boolean {
    return this.stickers.has(id);
  }

  /** A stored message as the API shows it: with reactions (`me` is the bot), the replied-to message, the thread. */
  private view(m: APIMessage, depth = 0): APIMessage {
    const out: APIMessage = { ...m };
    const list = this.reactions.get(m.id);
    if (list?.length) out.reactions = list.map((r) => this.reactionView(r));
    if (m.message_reference?.message_id && m.type === MessageType.Reply && depth === 0) {
      const ref = this.byChannel.get(m.message_reference.channel_id)?.get(m.message_reference.message_id);
      out.referenced_message = ref ? this.view(ref, depth + 1) : null;
    }
    if ((m.flags ?? 0) & MessageFlags.HasThread) {
      const thread = this.dir.channel(m.id);
      if (thread) out.thread = thread;
    }
    return out;
  }

  private reactionView(r: ReactionEntry): APIReaction {
    return {
      count: r.users.length,
      count_details: { burst: 0, normal: r.users.length },
      me: r.users.includes(this.dir.bot.id),
      me_burst: false,
      emoji: r.emoji,
      burst_colors: [],
    };
  }

  /** MESSAGE_CREATE/UPDATE data: the message plus guild_id, the author's member, members of the mentioned. */
  private gatewayMessage(m: APIMessage): unknown {
    const guildId = this.dir.guildOf(m.channel_id);
    const channel = this.dir.channel(m.channel_id);
    const memberOf = (userId: string) => {
      if (!guildId || !this.dir.isMember(guildId, userId)) return undefined;
      const { user: _user, ...member } = this.dir.memberObject(guildId, userId);
      return member;
    };
    const member = m.webhook_id ? undefined : memberOf(m.author.id);
    return {
      ...m,
      ...(guildId ? { guild_id: guildId } : {}),
      ...(member ? { member } : {}),
      ...(channel ? { channel_type: channel.type } : {}),
      mentions: m.mentions.map((u) => {
        const mm = memberOf(u.id);
        return mm ? { ...u, member: mm } : u;
      }),
    };
  }

  private scope(channelId: string): { guildId?: string; channelId: string } {
    const guildId = this.dir.guildOf(channelId);
    return guildId ? { guildId, channelId } : { channelId };
  }
}
