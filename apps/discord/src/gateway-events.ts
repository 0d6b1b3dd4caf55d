/**
 * Discord -> engine: each gateway dispatch the bridge cares about becomes a
 * `ConnectorHost` call. Payloads are read defensively (the gateway is input
 * like any other): a field that is missing or of the wrong type makes the
 * event skipped with a debug line, never a crash. Messages of the bridge's
 * own webhooks and bot are handed over as echoes (`isBridge`), which the
 * engine drops.
 */
import type { ConnectorHost, Logger, RemoteMessage, RemotePresence, RemoteUser } from "@parley/bridge";
import { isRecord } from "@parley/bridge";
import type { CDN } from "discord.js";
import type { DmChannels } from "./dm-channels.ts";
import type { GuildDirectory } from "./guild-directory.ts";
import { contentOf, type IncomingContext, isConversation } from "./incoming-message.ts";
import { personFromPayload, presenceOf, remoteUserOf } from "./members.ts";
import type { PresentMembers } from "./present-members.ts";
import { isSnowflake } from "./snowflake.ts";
import type { ChannelWebhooks } from "./webhooks.ts";

export interface GatewayEventsOptions {
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly cdn: CDN;
  readonly directory: GuildDirectory;
  readonly webhooks: ChannelWebhooks;
  readonly dms: DmChannels;
  readonly rehostAttachments: boolean;
  /** The bot's user id, once logged in. */
  readonly botId: () => string | undefined;
  /** Who of each guild is present, for channels linked later. */
  readonly present?: PresentMembers;
}

type Payload = Record<string, unknown>;

export class GatewayEvents {
  private readonly o: GatewayEventsOptions;
  private readonly incoming: IncomingContext;

  constructor(o: GatewayEventsOptions) {
    this.o = o;
    this.incoming = { cdn: o.cdn, directory: o.directory, rehostAttachments: o.rehostAttachments };
  }

  /** Handles one dispatch; resolves when the engine took it. Unknown events are ignored. */
  async handle(type: string, d: unknown): Promise<void> {
    if (!isRecord(d)) {
      if (RELAYED_EVENTS.has(type)) this.skip(type, "the payload is not an object");
      return;
    }
    switch (type) {
      case "MESSAGE_CREATE":
        return this.message(d);
      case "MESSAGE_UPDATE":
        return this.messageUpdate(d);
      case "MESSAGE_DELETE":
        return this.messageDelete(d, d.id);
      case "MESSAGE_DELETE_BULK":
        if (!Array.isArray(d.ids)) return this.skip(type, "no ids");
        for (const id of d.ids) await this.messageDelete(d, id);
        return;
      case "MESSAGE_REACTION_ADD":
      case "MESSAGE_REACTION_REMOVE":
        return this.reaction(d, type === "MESSAGE_REACTION_ADD" ? "add" : "remove");
      case "TYPING_START":
        return this.typingStart(d);
      case "PRESENCE_UPDATE":
        return this.presenceUpdate(d);
      case "GUILD_CREATE":
        return this.guildCreate(d);
      case "GUILD_MEMBER_ADD":
        return this.memberAdd(d);
      case "GUILD_MEMBER_UPDATE":
        return this.memberUpdate(d);
      case "GUILD_MEMBER_REMOVE":
        return this.memberRemove(d);
      case "THREAD_CREATE":
      case "THREAD_UPDATE":
        this.learnChannel(d);
        return;
      case "THREAD_LIST_SYNC":
        if (Array.isArray(d.threads)) for (const t of d.threads) if (isRecord(t)) this.learnChannel(t);
        return;
      default:
        return;
    }
  }

  private skip(event: string, why: string): void {
    this.o.logger.debug("a gateway event was skipped", { event, why });
  }

  private isLinked(channel: string): boolean {
    return this.o.host.roomsOf(channel).length > 0;
  }

  private learnChannel(c: Payload): void {
    if (typeof c.id !== "string" || typeof c.type !== "number") return;
    this.o.directory.learnChannel({
      id: c.id,
      type: c.type,
      ...(typeof c.guild_id === "string" && { guildId: c.guild_id }),
      ...(typeof c.parent_id === "string" && { parentId: c.parent_id }),
      ...(typeof c.name === "string" && { name: c.name }),
    });
  }

  /** Who wrote a message: the bridge (our webhook or bot), another webhook, or a person. */
  private authorOf(d: Payload, guildId: string | undefined): RemoteUser | undefined {
    const author = isRecord(d.author) ? d.author : undefined;
    if (!author || typeof author.id !== "string") return undefined;
    const name = typeof author.username === "string" && author.username !== "" ? author.username : author.id;
    if (typeof d.webhook_id === "string") {
      if (this.o.webhooks.isOwn(d.webhook_id)) return { id: author.id, displayName: name, isBridge: true };
      // Another integration's webhook: one puppet per webhook, named as the message says.
      const p = personFromPayload(author);
      return p ? remoteUserOf(this.o.cdn, p) : undefined;
    }
    if (author.id === this.o.botId()) return { id: author.id, displayName: name, isBridge: true };
    const p = personFromPayload(author, d.member, guildId);
    if (!p) return undefined;
    // Messages fetched by catch-up carry no member object: the cache knows the guild nickname.
    const known = d.member === undefined && guildId !== undefined ? this.o.directory.person(p.id, guildId) : undefined;
    return remoteUserOf(this.o.cdn, known ?? p);
  }

  /** A new message from the gateway: in a linked channel or thread, or a DM to the bot. */
  private async message(d: Payload): Promise<void> {
    if (!isSnowflake(d.id) || typeof d.channel_id !== "string") return this.skip("MESSAGE_CREATE", "no id or channel");
    const guildId = typeof d.guild_id === "string" ? d.guild_id : this.o.directory.guildOf(d.channel_id);
    if (guildId === undefined) return this.direct(d, d.channel_id);
    const m = await this.remoteOf(d);
    if (m !== undefined) await this.o.host.message(m);
  }

  /**
   * A message of a linked channel or of one of its threads, live or listed
   * for catch-up (never a DM), as the engine takes it; undefined for what is
   * not relayed (a system message, one without an author, an unlinked
   * channel's).
   */
  async remoteOf(d: Payload): Promise<RemoteMessage | undefined> {
    if (!isSnowflake(d.id) || typeof d.channel_id !== "string") {
      this.skip("MESSAGE_CREATE", "no id or channel");
      return undefined;
    }
    const guildId = typeof d.guild_id === "string" ? d.guild_id : this.o.directory.guildOf(d.channel_id);
    const place = await this.o.directory.placeOf(d.channel_id);
    if (!this.isLinked(place.channel) || !isConversation(d.type)) return undefined;
    const id = d.id;
    const author = this.authorOf(d, guildId);
    if (!author) {
      this.skip("MESSAGE_CREATE", "no author");
      return undefined;
    }
    const content = author.isBridge ? undefined : contentOf(d, guildId, this.incoming);
    if (!author.isBridge && !content) return undefined;
    const timestamp = typeof d.timestamp === "string" ? Date.parse(d.timestamp) : Number.NaN;
    return {
      channel: place.channel,
      id,
      author,
      text: content?.text ?? { blocks: [] },
      ...(Number.isFinite(timestamp) && { timestamp }),
      ...(content?.replyTo !== undefined && { replyTo: content.replyTo }),
      ...(content?.replyQuote !== undefined && { replyQuote: content.replyQuote }),
      ...(place.thread !== undefined && { thread: place.thread }),
      ...(content && content.attachments.length > 0 && { attachments: content.attachments }),
    };
  }

  /** A DM to the bot: the engine routes it to the XMPP user who wrote to this Discord user (or has it answered). */
  private async direct(d: Payload, channelId: string): Promise<void> {
    const author = isRecord(d.author) ? d.author : undefined;
    if (!author || typeof author.id !== "string" || typeof d.id !== "string") return;
    this.o.dms.learnChannel(channelId);
    if (author.id === this.o.botId() || author.bot === true || !isConversation(d.type)) return;
    const person = personFromPayload(author);
    const content = contentOf(d, undefined, this.incoming);
    if (!person || !content) return;
    const known = this.o.directory.personAnywhere(person.id);
    const timestamp = typeof d.timestamp === "string" ? Date.parse(d.timestamp) : Number.NaN;
    await this.o.host.message({
      channel: channelId,
      id: d.id,
      author: remoteUserOf(this.o.cdn, known ?? person),
      text: content.text,
      direct: true,
      ...(Number.isFinite(timestamp) && { timestamp }),
      ...(content.replyTo !== undefined && { replyTo: content.replyTo }),
      ...(content.replyQuote !== undefined && { replyQuote: content.replyQuote }),
      ...(content.attachments.length > 0 && { attachments: content.attachments }),
    });
  }

  private async messageUpdate(d: Payload): Promise<void> {
    // Updates without an edit time are Discord's own (link previews resolved, a pin): not edits.
    if (!isSnowflake(d.id) || typeof d.channel_id !== "string" || typeof d.content !== "string") return;
    if (typeof d.edited_timestamp !== "string") return;
    const guildId = typeof d.guild_id === "string" ? d.guild_id : this.o.directory.guildOf(d.channel_id);
    const place = guildId === undefined ? { channel: d.channel_id } : await this.o.directory.placeOf(d.channel_id);
    if (guildId !== undefined && !this.isLinked(place.channel)) return;
    const author = this.authorOf(d, guildId);
    if (!author) return this.skip("MESSAGE_UPDATE", "no author");
    const content = author.isBridge ? undefined : contentOf(d, guildId, this.incoming);
    const timestamp = Date.parse(d.edited_timestamp);
    await this.o.host.edit({
      channel: place.channel,
      id: d.id,
      author,
      text: content?.text ?? { blocks: [] },
      ...(Number.isFinite(timestamp) && { timestamp }),
    });
  }

  private async messageDelete(d: Payload, id: unknown): Promise<void> {
    if (typeof id !== "string" || typeof d.channel_id !== "string") return this.skip("MESSAGE_DELETE", "no id");
    const guildId = typeof d.guild_id === "string" ? d.guild_id : this.o.directory.guildOf(d.channel_id);
    const place = guildId === undefined ? { channel: d.channel_id } : await this.o.directory.placeOf(d.channel_id);
    if (guildId !== undefined && !this.isLinked(place.channel)) return;
    await this.o.host.delete({ channel: place.channel, id });
  }

  private async reaction(d: Payload, action: "add" | "remove"): Promise<void> {
    const { user_id: userId, channel_id: channelId, message_id: messageId } = d;
    if (typeof userId !== "string" || typeof channelId !== "string" || typeof messageId !== "string") {
      return this.skip("MESSAGE_REACTION", "no user, channel or message");
    }
    const emoji = reactionEmoji(d.emoji);
    if (emoji === undefined) return this.skip("MESSAGE_REACTION", "an emoji without a name");
    const guildId = typeof d.guild_id === "string" ? d.guild_id : undefined;
    const place = guildId === undefined ? { channel: channelId } : await this.o.directory.placeOf(channelId);
    if (guildId !== undefined && !this.isLinked(place.channel)) return;
    const user = await this.userOf(userId, d.member, guildId);
    if (!user) return this.skip("MESSAGE_REACTION", "unknown user");
    await this.o.host.reaction({ channel: place.channel, id: messageId, user, emoji, action });
  }

  /** A user by id, from the event's member object, the caches, or Discord; the bot itself as the bridge. */
  private async userOf(userId: string, member: unknown, guildId: string | undefined): Promise<RemoteUser | undefined> {
    if (userId === this.o.botId()) return { id: userId, displayName: "bridge", isBridge: true };
    const fromEvent = isRecord(member) ? personFromPayload(member.user, member, guildId) : undefined;
    const p = fromEvent ?? (await this.o.directory.fetchPerson(userId, guildId));
    return p ? remoteUserOf(this.o.cdn, p) : undefined;
  }

  private async typingStart(d: Payload): Promise<void> {
    if (typeof d.channel_id !== "string" || typeof d.user_id !== "string" || typeof d.guild_id !== "string") return;
    const place = await this.o.directory.placeOf(d.channel_id);
    if (!this.isLinked(place.channel)) return;
    const user = await this.userOf(d.user_id, d.member, d.guild_id);
    if (!user || user.isBridge) return;
    await this.o.host.typing({ channel: place.channel, user, state: "composing" });
  }

  private async presenceUpdate(d: Payload): Promise<void> {
    const u = isRecord(d.user) ? d.user : undefined;
    if (!u || typeof u.id !== "string" || u.id === this.o.botId()) return;
    const guildId = typeof d.guild_id === "string" ? d.guild_id : undefined;
    const p =
      typeof u.username === "string"
        ? (this.o.directory.person(u.id, guildId) ?? personFromPayload(u, undefined, guildId))
        : await this.o.directory.fetchPerson(u.id, guildId);
    if (!p || p.bot) return;
    await this.reportPresence(remoteUserOf(this.o.cdn, p), presenceOf(d), guildId);
  }

  /**
   * A member's status, told for each linked channel of the guild they can
   * read (the engine seats them in its rooms while they are not offline), or
   * alone when the guild has no such channel (direct chats, rooms they spoke in).
   */
  private async reportPresence(user: RemoteUser, presence: RemotePresence, guildId: string | undefined): Promise<void> {
    if (guildId !== undefined) this.o.present?.set(guildId, user.id, presence);
    const channels =
      guildId === undefined
        ? []
        : this.linkedChannelsOf(guildId).filter((c) => this.o.directory.canView(c, user.id) !== false);
    if (channels.length === 0) {
      await this.o.host.presence(user, presence);
      return;
    }
    for (const channel of channels) await this.o.host.memberPresence(channel, user, presence);
  }

  /** A guild becomes available: its threads are learnt and its present members seated in its linked channels' rooms. */
  private async guildCreate(d: Payload): Promise<void> {
    if (typeof d.id !== "string") return;
    const guildId = d.id;
    if (Array.isArray(d.threads)) {
      for (const t of d.threads) if (isRecord(t)) this.learnChannel({ guild_id: guildId, ...t });
    }
    if (!Array.isArray(d.presences)) return;
    const members = new Map<string, Payload>();
    if (Array.isArray(d.members)) {
      for (const m of d.members)
        if (isRecord(m) && isRecord(m.user) && typeof m.user.id === "string") members.set(m.user.id, m);
    }
    for (const presence of d.presences) {
      if (!isRecord(presence) || !isRecord(presence.user) || typeof presence.user.id !== "string") continue;
      const member = members.get(presence.user.id);
      const p = member
        ? personFromPayload(member.user, member, guildId)
        : this.o.directory.person(presence.user.id, guildId);
      if (!p || p.bot || p.id === this.o.botId()) continue;
      const status = presenceOf(presence);
      if (status.status === "offline") continue;
      await this.reportPresence(remoteUserOf(this.o.cdn, p), status, guildId);
    }
  }

  /** Linked channels of a guild (what a member joining or leaving the guild joins or leaves). */
  private linkedChannelsOf(guildId: string): string[] {
    return this.o.host.linkedChannels().filter((c) => this.o.directory.guildOf(c) === guildId);
  }

  private async memberAdd(d: Payload): Promise<void> {
    if (typeof d.guild_id !== "string") return;
    const p = personFromPayload(d.user, d, d.guild_id);
    if (!p || p.id === this.o.botId()) return;
    const user = remoteUserOf(this.o.cdn, p);
    for (const channel of this.linkedChannelsOf(d.guild_id)) await this.o.host.membership(channel, user, "join");
  }

  private async memberRemove(d: Payload): Promise<void> {
    if (typeof d.guild_id !== "string") return;
    const p = personFromPayload(d.user, undefined, d.guild_id);
    if (!p || p.id === this.o.botId()) return;
    // Still in the caches as the event arrives: the puppet leaves under the name it had.
    const user = remoteUserOf(this.o.cdn, this.o.directory.person(p.id, d.guild_id) ?? p);
    this.o.present?.forget(d.guild_id, p.id);
    for (const channel of this.linkedChannelsOf(d.guild_id)) await this.o.host.membership(channel, user, "leave");
  }

  private async memberUpdate(d: Payload): Promise<void> {
    if (typeof d.guild_id !== "string") return;
    const p = personFromPayload(d.user, d, d.guild_id);
    if (!p || p.id === this.o.botId()) return;
    await this.o.host.profile(remoteUserOf(this.o.cdn, p));
  }
}

/** Gateway events the connector reads; the rest are discord.js's business. */
export const RELAYED_EVENTS: ReadonlySet<string> = new Set([
  "MESSAGE_CREATE",
  "MESSAGE_UPDATE",
  "MESSAGE_DELETE",
  "MESSAGE_DELETE_BULK",
  "MESSAGE_REACTION_ADD",
  "MESSAGE_REACTION_REMOVE",
  "TYPING_START",
  "PRESENCE_UPDATE",
  "GUILD_CREATE",
  "GUILD_MEMBER_ADD",
  "GUILD_MEMBER_UPDATE",
  "GUILD_MEMBER_REMOVE",
  "THREAD_CREATE",
  "THREAD_UPDATE",
  "THREAD_LIST_SYNC",
]);

/** A reaction's emoji as the engine takes it: Unicode as is, a custom one as `:name:`. */
export function reactionEmoji(emoji: unknown): string | undefined {
  if (!isRecord(emoji) || typeof emoji.name !== "string" || emoji.name === "") return undefined;
  return typeof emoji.id === "string" ? `:${emoji.name}:` : emoji.name;
}
