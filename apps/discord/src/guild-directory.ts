/**
 * Names and places from discord.js's caches (filled from GUILD_CREATE and kept
 * current by the gateway), with a REST look-up where the cache has nothing:
 * who a user is in a guild, what a role or channel is called, which channel a
 * thread belongs to, and which guild emoji a `:name:` means.
 */

import { setBounded } from "@parley/bridge";
import { type Client, type GuildMember, PermissionFlagsBits, type User } from "discord.js";
import type { DiscordPerson } from "./members.ts";
import { isSnowflake } from "./snowflake.ts";

const THREAD_TYPES = new Set([10, 11, 12]);
/** Channels remembered beyond discord.js's cache; an older one is asked of Discord again when needed. */
const KNOWN_CHANNELS = 50_000;

export interface ChannelFacts {
  readonly id: string;
  readonly type: number;
  readonly guildId?: string;
  /** For a thread: the channel it is in. */
  readonly parentId?: string;
  readonly name?: string;
}

export class GuildDirectory {
  private readonly client: Client;
  /** Channel facts learnt from payloads and look-ups, for channels discord.js does not cache (archived threads); at most KNOWN_CHANNELS, oldest dropped. */
  private readonly known = new Map<string, ChannelFacts>();
  /** Guild -> when its emoji were last fetched: one per guild of the bot's. */
  private readonly emojiFetches = new Map<string, number>();

  constructor(client: Client) {
    this.client = client;
  }

  /** Remembers a channel seen in a payload (THREAD_CREATE, a REST answer). */
  learnChannel(c: ChannelFacts): void {
    setBounded(this.known, c.id, c, KNOWN_CHANNELS);
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.known.size + this.emojiFetches.size;
  }

  /** What is known of a channel without asking Discord. */
  channel(id: string): ChannelFacts | undefined {
    const c = this.client.channels.cache.get(id);
    if (c) {
      const facts: {
        id: string;
        type: number;
        guildId?: string;
        parentId?: string;
        name?: string;
      } = { id: c.id, type: c.type };
      if ("guildId" in c && typeof c.guildId === "string") facts.guildId = c.guildId;
      if ("parentId" in c && typeof c.parentId === "string") facts.parentId = c.parentId;
      if ("name" in c && typeof c.name === "string") facts.name = c.name;
      return facts;
    }
    return this.known.get(id);
  }

  /** The channel, asking Discord when no cache has it; undefined when it cannot be had. */
  async fetchChannel(id: string): Promise<ChannelFacts | undefined> {
    const cached = this.channel(id);
    if (cached || !isSnowflake(id)) return cached;
    try {
      await this.client.channels.fetch(id);
    } catch {
      return undefined; // gone or hidden from the bot: callers treat an unknown channel as such
    }
    return this.channel(id);
  }

  isThreadType(type: number): boolean {
    return THREAD_TYPES.has(type);
  }

  /** Where a channel's messages go in the engine: a thread's parent, else the channel itself. */
  async placeOf(channelId: string): Promise<{ channel: string; thread?: string; guildId?: string }> {
    const c = await this.fetchChannel(channelId);
    if (c && this.isThreadType(c.type) && c.parentId !== undefined) {
      return { channel: c.parentId, thread: c.id, ...(c.guildId !== undefined && { guildId: c.guildId }) };
    }
    return { channel: channelId, ...(c?.guildId !== undefined && { guildId: c.guildId }) };
  }

  /** The guild a channel is in, when known without asking. */
  guildOf(channelId: string): string | undefined {
    return this.channel(channelId)?.guildId;
  }

  /**
   * Whether a guild member can read a channel (View Channel, with the
   * channel's overwrites); undefined when the caches cannot tell (the member
   * or the channel is not cached).
   */
  canView(channelId: string, userId: string): boolean | undefined {
    const channel = this.client.channels.cache.get(channelId);
    if (!channel || channel.isDMBased()) return undefined;
    const member = channel.guild.members.cache.get(userId);
    if (!member) return undefined;
    return channel.permissionsFor(member)?.has(PermissionFlagsBits.ViewChannel);
  }

  /** "#general (123)" or the id alone. */
  channelLabel(id: string): string {
    const name = this.channel(id)?.name;
    return name !== undefined ? `#${name} (${id})` : id;
  }

  channelName(id: string): string | undefined {
    return this.channel(id)?.name;
  }

  roleName(guildId: string | undefined, roleId: string): string | undefined {
    if (guildId === undefined) return undefined;
    return this.client.guilds.cache.get(guildId)?.roles.cache.get(roleId)?.name;
  }

  /** A person from the caches: the guild member when `guildId` is given and known, else the user. */
  person(userId: string, guildId?: string): DiscordPerson | undefined {
    if (guildId !== undefined) {
      const member = this.client.guilds.cache.get(guildId)?.members.cache.get(userId);
      if (member) return personOfMember(member, guildId);
    }
    const user = this.client.users.cache.get(userId);
    return user ? personOfUser(user) : undefined;
  }

  /**
   * A person as one of the bot's guilds knows them (a guild nickname), for
   * places without a guild (DMs): one puppet keeps one name, instead of
   * switching between the nickname and the display name.
   */
  personAnywhere(userId: string): DiscordPerson | undefined {
    for (const [guildId, guild] of this.client.guilds.cache) {
      const member = guild.members.cache.get(userId);
      if (member) return personOfMember(member, guildId);
    }
    return this.person(userId);
  }

  /** Like `person`, asking Discord when the caches have nothing; undefined for an unknown user. */
  async fetchPerson(userId: string, guildId?: string): Promise<DiscordPerson | undefined> {
    const cached = this.person(userId, guildId);
    if ((cached && (cached.guildId !== undefined || guildId === undefined)) || !isSnowflake(userId)) return cached;
    if (guildId !== undefined) {
      try {
        const member = await this.client.guilds.cache.get(guildId)?.members.fetch(userId);
        if (member) return personOfMember(member, guildId);
      } catch {
        // not a member (any more): the user alone will do
      }
    }
    if (cached) return cached;
    try {
      return personOfUser(await this.client.users.fetch(userId));
    } catch {
      return undefined; // an unknown user: named by id, as when Discord never told
    }
  }

  /** A guild emoji by name, for reactions written as `:name:` on the XMPP side; asks Discord when the cache has none. */
  async emojiNamed(guildId: string | undefined, name: string): Promise<{ id: string; name: string } | undefined> {
    if (guildId === undefined) return undefined;
    const guild = this.client.guilds.cache.get(guildId);
    if (!guild) return undefined;
    const find = () => {
      const emojis = guild.emojis.cache;
      const e = emojis.find((x) => x.name === name) ?? emojis.find((x) => x.name?.toLowerCase() === name.toLowerCase());
      return e?.name ? { id: e.id, name: e.name } : undefined;
    };
    const cached = find();
    if (cached) return cached;
    // At most one look-up per guild a minute: an unknown name must not cost a request per reaction.
    const last = this.emojiFetches.get(guildId) ?? 0;
    if (Date.now() - last < 60_000) return undefined;
    this.emojiFetches.set(guildId, Date.now());
    try {
      await guild.emojis.fetch();
    } catch {
      return undefined; // the emoji stays unnamed; asked again a minute later at most
    }
    return find();
  }
}

function personOfUser(u: User): DiscordPerson {
  return { id: u.id, username: u.username, globalName: u.globalName, avatar: u.avatar, bot: u.bot };
}

function personOfMember(m: GuildMember, guildId: string): DiscordPerson {
  return { ...personOfUser(m.user), nick: m.nickname, memberAvatar: m.avatar, guildId };
}
