/**
 * Who and where: users, guilds with their roles, emoji, members and channels,
 * presences, DM channels, and the permissions a scenario took from the bot.
 * Every change is announced as the gateway dispatch Discord would send.
 */
import type {
  APIChannel,
  APIEmoji,
  APIGuild,
  APIGuildMember,
  APIOverwrite,
  APIRole,
  APIThreadChannel,
  APIUser,
  ChannelFlags,
  GatewayActivity,
  GatewayGuildCreateDispatchData,
  GatewayPresenceUpdate,
  GuildMemberFlags,
  PresenceUpdateReceiveStatus,
  RoleFlags,
  UserFlags,
} from "discord-api-types/v10";
import {
  ActivityType,
  ChannelType,
  ForumLayoutType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  Locale,
  OverwriteType,
  PresenceUpdateStatus,
} from "discord-api-types/v10";
import type { AssetStore } from "./assets.ts";
import type { Dispatch } from "./intents.ts";
import { BOT_PERMISSIONS, DENIABLE_PERMISSIONS, type DeniablePermission, EVERYONE_PERMISSIONS } from "./permissions.ts";
import type { SnowflakeSource } from "./snowflake.ts";

export type PresenceStatus = "online" | "idle" | "dnd" | "offline";

/** A member as stored; the API object is built from it and the user. */
interface MemberRecord {
  nick: string | null;
  roles: string[];
  readonly joinedAt: string;
}

interface GuildRecord {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly createdAt: string;
  readonly roles: Map<string, APIRole>;
  readonly emojis: Map<string, APIEmoji>;
  readonly members: Map<string, MemberRecord>;
  readonly channelIds: string[];
}

export interface NewMember {
  readonly username: string;
  readonly globalName?: string;
  readonly nick?: string;
  readonly avatar?: boolean;
  readonly bot?: boolean;
  readonly roles?: string[];
}

/** A thrown error for scenario calls that name things the fake does not have. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScenarioError";
  }
}

export class Directory {
  readonly bot: APIUser;
  private readonly ids: SnowflakeSource;
  private readonly assets: AssetStore;
  private readonly emit: (d: Dispatch) => void;
  private readonly users = new Map<string, APIUser>();
  private readonly guilds = new Map<string, GuildRecord>();
  private readonly channels = new Map<string, APIChannel>();
  private readonly presences = new Map<string, { status: PresenceStatus; customStatus?: string; since: number }>();
  private readonly dms = new Map<string, string>();
  /** Permission bits taken from the bot, per channel (threads inherit their parent's). */
  private readonly denied = new Map<string, bigint>();
  private appOwner: APIUser | undefined;

  constructor(o: { ids: SnowflakeSource; assets: AssetStore; emit: (d: Dispatch) => void; botName: string }) {
    this.ids = o.ids;
    this.assets = o.assets;
    this.emit = o.emit;
    const id = this.ids.next();
    this.bot = {
      id,
      username: o.botName,
      discriminator: "0",
      global_name: null,
      avatar: this.assets.newAvatar(id, `bot-${id}`),
      bot: true,
      verified: true,
      mfa_enabled: false,
      flags: 0 as UserFlags,
      public_flags: 0 as UserFlags,
      primary_guild: null,
    };
    this.users.set(id, this.bot);
  }

  // --- users -------------------------------------------------------------

  user(id: string): APIUser | undefined {
    return this.users.get(id);
  }

  /**
   * The human who owns the bot's application, made on first use: the
   * application object must name an owner, but nothing else in a scenario
   * involves one.
   */
  applicationOwner(): APIUser {
    this.appOwner ??= this.newUser("app-owner");
    return this.appOwner;
  }

  requireUser(id: string): APIUser {
    const u = this.users.get(id);
    if (!u) throw new ScenarioError(`no user ${id} in the fake Discord`);
    return u;
  }

  // --- guilds ------------------------------------------------------------

  createGuild(name: string): APIGuild {
    const id = this.ids.next();
    // The owner is a user of its own, not the bot: an owner bypasses channel overwrites.
    const owner = this.newUser(`${name.toLowerCase().replace(/\W+/g, "") || "guild"}-owner`);
    const everyone = role(id, "@everyone", 0, EVERYONE_PERMISSIONS);
    const botRole = { ...role(this.ids.next(), this.bot.username, 1, BOT_PERMISSIONS), managed: true };
    botRole.tags = { bot_id: this.bot.id };
    const g: GuildRecord = {
      id,
      name,
      ownerId: owner.id,
      createdAt: new Date().toISOString(),
      roles: new Map([
        [everyone.id, everyone],
        [botRole.id, botRole],
      ]),
      emojis: new Map(),
      members: new Map([[this.bot.id, { nick: null, roles: [botRole.id], joinedAt: new Date().toISOString() }]]),
      channelIds: [],
    };
    this.guilds.set(id, g);
    this.emit({ t: "GUILD_CREATE", d: this.guildCreatePayload(id), guildId: id });
    return this.guildObject(id);
  }

  guildIds(): string[] {
    return [...this.guilds.keys()];
  }

  hasGuild(id: string): boolean {
    return this.guilds.has(id);
  }

  private requireGuild(id: string): GuildRecord {
    const g = this.guilds.get(id);
    if (!g) throw new ScenarioError(`no guild ${id} in the fake Discord`);
    return g;
  }

  /** The REST guild object (GET /guilds/{id}). */
  guildObject(id: string, withCounts = false): SpecGuild {
    const g = this.requireGuild(id);
    const guild: SpecGuild = {
      id: g.id,
      name: g.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: g.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: GuildVerificationLevel.None,
      default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
      explicit_content_filter: GuildExplicitContentFilter.Disabled,
      roles: [...g.roles.values()],
      emojis: [...g.emojis.values()],
      features: [],
      mfa_level: GuildMFALevel.None,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: GuildPremiumTier.None,
      premium_subscription_count: 0,
      preferred_locale: Locale.EnglishUS,
      public_updates_channel_id: null,
      nsfw_level: GuildNSFWLevel.Default,
      stickers: [],
      premium_progress_bar_enabled: false,
      hub_type: null,
      safety_alerts_channel_id: null,
      incidents_data: null,
      max_members: 500000,
      max_presences: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      region: "deprecated",
      widget_enabled: false,
      widget_channel_id: null,
      home_header: null,
      nsfw: false,
    };
    if (withCounts) {
      guild.approximate_member_count = g.members.size;
      guild.approximate_presence_count = [...g.members.keys()].filter((u) => this.statusOf(u) !== "offline").length;
    }
    return guild;
  }

  /** Everything a GUILD_CREATE carries; the gateway trims it to each session's intents. */
  guildCreatePayload(id: string): GatewayGuildCreateDispatchData {
    const g = this.requireGuild(id);
    const channels = g.channelIds.map((c) => this.channels.get(c)).filter((c) => c !== undefined);
    return {
      ...this.guildObject(id),
      joined_at: g.members.get(this.bot.id)?.joinedAt ?? g.createdAt,
      large: false,
      unavailable: false,
      member_count: g.members.size,
      voice_states: [],
      members: [...g.members.keys()].map((u) => this.memberObject(id, u)),
      channels: channels.filter((c) => !isThread(c)) as GatewayGuildCreateDispatchData["channels"],
      threads: channels.filter(isThread) as GatewayGuildCreateDispatchData["threads"],
      presences: [...g.members.keys()]
        .map((u) => this.presenceObject(id, u))
        .filter((p) => p.status !== PresenceUpdateStatus.Offline),
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  roles(guildId: string): APIRole[] {
    return [...this.requireGuild(guildId).roles.values()];
  }

  emojis(guildId: string): APIEmoji[] {
    return [...this.requireGuild(guildId).emojis.values()];
  }

  createRole(guildId: string, o: { name: string; permissions?: bigint }): APIRole {
    const g = this.requireGuild(guildId);
    const r = role(this.ids.next(), o.name, g.roles.size, o.permissions ?? 0n);
    g.roles.set(r.id, r);
    this.emit({ t: "GUILD_ROLE_CREATE", d: { guild_id: guildId, role: r }, guildId });
    return r;
  }

  createEmoji(guildId: string, o: { name: string; animated?: boolean }): APIEmoji {
    const g = this.requireGuild(guildId);
    const id = this.ids.next();
    const e: APIEmoji = {
      id,
      name: o.name,
      roles: [],
      require_colons: true,
      managed: false,
      animated: o.animated ?? false,
      available: true,
    };
    g.emojis.set(id, e);
    this.assets.putImage(`emojis/${id}`, `emoji-${id}`);
    this.emit({ t: "GUILD_EMOJIS_UPDATE", d: { guild_id: guildId, emojis: [...g.emojis.values()] }, guildId });
    return e;
  }

  /** A custom emoji of any guild, by id. */
  emoji(id: string): APIEmoji | undefined {
    for (const g of this.guilds.values()) {
      const e = g.emojis.get(id);
      if (e) return e;
    }
    return undefined;
  }

  // --- members -----------------------------------------------------------

  addMember(guildId: string, o: NewMember): APIGuildMember & { user: APIUser } {
    const g = this.requireGuild(guildId);
    for (const r of o.roles ?? []) {
      if (!g.roles.has(r)) throw new ScenarioError(`no role ${r} in guild ${guildId}`);
    }
    // Usernames are unique on Discord: the same name joins the existing user to this guild.
    let user = [...this.users.values()].find((u) => u.username === o.username && u.id !== this.bot.id);
    if (!user) {
      user = this.newUser(o.username, { globalName: o.globalName, avatar: o.avatar, bot: o.bot });
    }
    if (g.members.has(user.id)) throw new ScenarioError(`${o.username} is already a member of guild ${guildId}`);
    g.members.set(user.id, { nick: o.nick ?? null, roles: [...(o.roles ?? [])], joinedAt: new Date().toISOString() });
    const member = this.memberObject(guildId, user.id);
    this.emit({ t: "GUILD_MEMBER_ADD", d: { ...member, guild_id: guildId }, guildId });
    return member;
  }

  updateMember(
    guildId: string,
    userId: string,
    o: { nick?: string | null; globalName?: string | null; avatar?: boolean },
  ): void {
    const g = this.requireGuild(guildId);
    const m = g.members.get(userId);
    if (!m) throw new ScenarioError(`user ${userId} is not a member of guild ${guildId}`);
    const user = this.requireUser(userId);
    if (o.nick !== undefined) m.nick = o.nick;
    const userChanged = o.globalName !== undefined || o.avatar !== undefined;
    if (o.globalName !== undefined) user.global_name = o.globalName;
    if (o.avatar !== undefined) {
      user.avatar = o.avatar ? this.assets.newAvatar(userId, `${userId}-${this.ids.next()}`) : null;
    }
    // A profile change reaches the bot as a member update in every guild they share.
    const where = userChanged ? this.guildsOf(userId) : [guildId];
    for (const gid of where) {
      this.emit({ t: "GUILD_MEMBER_UPDATE", d: { ...this.memberObject(gid, userId), guild_id: gid }, guildId: gid });
    }
  }

  removeMember(guildId: string, userId: string): void {
    const g = this.requireGuild(guildId);
    if (!g.members.delete(userId)) throw new ScenarioError(`user ${userId} is not a member of guild ${guildId}`);
    const user = this.requireUser(userId);
    this.emit({ t: "GUILD_MEMBER_REMOVE", d: { guild_id: guildId, user }, guildId });
  }

  isMember(guildId: string, userId: string): boolean {
    return this.guilds.get(guildId)?.members.has(userId) ?? false;
  }

  /** Member ids of a guild, ordered by user id (the order GET /guilds/{id}/members pages in). */
  memberIds(guildId: string): string[] {
    return [...this.requireGuild(guildId).members.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  }

  guildsOf(userId: string): string[] {
    return [...this.guilds.values()].filter((g) => g.members.has(userId)).map((g) => g.id);
  }

  memberObject(guildId: string, userId: string): APIGuildMember & { user: APIUser } {
    const g = this.requireGuild(guildId);
    const m = g.members.get(userId);
    if (!m) throw new ScenarioError(`user ${userId} is not a member of guild ${guildId}`);
    return {
      user: this.requireUser(userId),
      nick: m.nick,
      avatar: null,
      banner: null,
      roles: [...m.roles],
      joined_at: m.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
      pending: false,
      communication_disabled_until: null,
    };
  }

  // --- presence ----------------------------------------------------------

  setPresence(userId: string, o: { status: PresenceStatus; customStatus?: string }): void {
    this.requireUser(userId);
    this.presences.set(userId, { status: o.status, customStatus: o.customStatus, since: Date.now() });
    for (const gid of this.guildsOf(userId)) {
      this.emit({ t: "PRESENCE_UPDATE", d: this.presenceObject(gid, userId), guildId: gid });
    }
  }

  statusOf(userId: string): PresenceStatus {
    return this.presences.get(userId)?.status ?? (userId === this.bot.id ? "online" : "offline");
  }

  presenceObject(guildId: string, userId: string): GatewayPresenceUpdate {
    const p = this.presences.get(userId);
    const status = this.statusOf(userId);
    const activities: GatewayActivity[] =
      p?.customStatus && status !== "offline"
        ? [
            {
              id: "custom",
              name: "Custom Status",
              type: ActivityType.Custom,
              state: p.customStatus,
              created_at: p.since,
            },
          ]
        : [];
    return {
      user: { id: userId },
      guild_id: guildId,
      status: status as PresenceUpdateReceiveStatus,
      activities,
      client_status: status === "offline" ? {} : { desktop: status as PresenceUpdateReceiveStatus },
    };
  }

  // --- channels ----------------------------------------------------------

  createChannel(guildId: string, o: { name: string; type?: "text" | "announcement" | "forum" }): APIChannel {
    const g = this.requireGuild(guildId);
    const id = this.ids.next();
    const base = {
      id,
      guild_id: guildId,
      name: o.name,
      position: g.channelIds.length,
      permission_overwrites: [] as APIOverwrite[],
      parent_id: null,
      nsfw: false,
      flags: 0,
    };
    let channel: APIChannel;
    if (o.type === "forum") {
      channel = {
        ...base,
        type: ChannelType.GuildForum,
        topic: null,
        last_message_id: null,
        rate_limit_per_user: 0,
        available_tags: [],
        default_reaction_emoji: null,
        default_sort_order: null,
        default_forum_layout: ForumLayoutType.NotSet,
      };
    } else {
      const type = o.type === "announcement" ? ChannelType.GuildAnnouncement : ChannelType.GuildText;
      channel = { ...base, type, topic: null, last_message_id: null, rate_limit_per_user: 0, last_pin_timestamp: null };
    }
    this.channels.set(id, channel);
    g.channelIds.push(id);
    this.emit({ t: "CHANNEL_CREATE", d: channel, guildId, channelId: id });
    return channel;
  }

  /** Registers a thread made by the message store; it is listed with its guild's threads. */
  addThread(thread: APIThreadChannel): void {
    this.channels.set(thread.id, thread);
    if (thread.guild_id) this.guilds.get(thread.guild_id)?.channelIds.push(thread.id);
  }

  channel(id: string): APIChannel | undefined {
    return this.channels.get(id);
  }

  requireChannel(id: string): APIChannel {
    const c = this.channels.get(id);
    if (!c) throw new ScenarioError(`no channel ${id} in the fake Discord`);
    return c;
  }

  guildOf(channelId: string): string | undefined {
    const c = this.channels.get(channelId);
    return c && "guild_id" in c ? (c.guild_id ?? undefined) : undefined;
  }

  guildChannels(guildId: string): APIChannel[] {
    return this.requireGuild(guildId)
      .channelIds.map((c) => this.channels.get(c))
      .filter((c): c is APIChannel => c !== undefined && !isThread(c));
  }

  threadsOf(guildId: string): APIThreadChannel[] {
    return this.requireGuild(guildId)
      .channelIds.map((c) => this.channels.get(c))
      .filter((c): c is APIThreadChannel => c !== undefined && isThread(c));
  }

  /** The DM channel between the bot and the user, made on first use. */
  openDm(userId: string): APIChannel {
    const user = this.requireUser(userId);
    const existing = this.dms.get(userId);
    if (existing) return this.requireChannel(existing);
    const id = this.ids.next();
    const dm: APIChannel = {
      id,
      type: ChannelType.DM,
      name: null,
      last_message_id: null,
      recipients: [user],
      flags: 0 as ChannelFlags,
    };
    this.channels.set(id, dm);
    this.dms.set(userId, id);
    return dm;
  }

  dmChannelOf(userId: string): string | undefined {
    return this.dms.get(userId);
  }

  /** The user on the other side of a DM channel. */
  dmRecipient(channelId: string): string | undefined {
    for (const [user, channel] of this.dms) if (channel === channelId) return user;
    return undefined;
  }

  // --- permissions -------------------------------------------------------

  /**
   * Takes a permission from the bot in one channel: a member overwrite, as a
   * server admin would add, announced with CHANNEL_UPDATE so discord.js's
   * `permissionsFor` agrees with what the REST routes answer.
   */
  deny(channelId: string, permission: DeniablePermission): void {
    const c = this.requireChannel(channelId);
    const bit = DENIABLE_PERMISSIONS[permission];
    const bits = (this.denied.get(channelId) ?? 0n) | bit;
    this.denied.set(channelId, bits);
    if ("permission_overwrites" in c && !isThread(c)) {
      const others = (c.permission_overwrites ?? []).filter((o) => o.id !== this.bot.id);
      c.permission_overwrites = [
        ...others,
        { id: this.bot.id, type: OverwriteType.Member, allow: "0", deny: bits.toString() },
      ];
      const guildId = this.guildOf(channelId);
      this.emit({ t: "CHANNEL_UPDATE", d: c, ...(guildId ? { guildId } : {}), channelId });
    }
  }

  /**
   * Whether the bot lacks the permission in this channel. Threads inherit
   * their parent's permissions, except that posting in a thread is its own
   * permission (SendMessagesInThreads): a SendMessages denial on the parent
   * does not silence its threads, one on the thread itself does.
   */
  lacks(channelId: string, permission: DeniablePermission): boolean {
    const bit = DENIABLE_PERMISSIONS[permission];
    if (((this.denied.get(channelId) ?? 0n) & bit) !== 0n) return true;
    const c = this.channels.get(channelId);
    const parent = c && isThread(c) && permission !== "SendMessages" ? c.parent_id : undefined;
    return parent ? this.lacks(parent, permission) : false;
  }

  // --- internals ---------------------------------------------------------

  private newUser(username: string, o: { globalName?: string; avatar?: boolean; bot?: boolean } = {}): APIUser {
    const id = this.ids.next();
    const user: APIUser = {
      id,
      username,
      discriminator: "0",
      global_name: o.globalName ?? null,
      avatar: o.avatar ? this.assets.newAvatar(id, `${id}-avatar`) : null,
      public_flags: 0 as UserFlags,
      flags: 0 as UserFlags,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      primary_guild: null,
    };
    if (o.bot) user.bot = true;
    this.users.set(id, user);
    return user;
  }
}

/**
 * A guild as the OpenAPI description requires it: discord-api-types leaves
 * out `home_header` and the older `nsfw` flag, which the spec marks required.
 */
export type SpecGuild = APIGuild & { home_header: string | null; nsfw: boolean };

export function isThread(c: APIChannel): c is APIThreadChannel {
  return (
    c.type === ChannelType.PublicThread ||
    c.type === ChannelType.PrivateThread ||
    c.type === ChannelType.AnnouncementThread
  );
}

function role(id: string, name: string, position: number, permissions: bigint): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}
