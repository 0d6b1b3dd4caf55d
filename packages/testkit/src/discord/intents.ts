/**
 * Gateway intents: which dispatches a session asked for, and what the
 * MESSAGE_CONTENT, GUILD_MEMBERS and GUILD_PRESENCES intents change in the
 * payloads (Discord blanks message content for bots without MESSAGE_CONTENT,
 * except in DMs, in the bot's own messages and in messages that mention it).
 */
import { GatewayIntentBits } from "discord-api-types/v10";

/** A dispatch as the fake produces it, before it is shaped for one session. */
export interface Dispatch {
  readonly t: string;
  readonly d: unknown;
  /** The guild the event happened in; absent for DMs and user-level events. */
  readonly guildId?: string;
  /** The channel, for events that a ViewChannel denial hides. */
  readonly channelId?: string;
}

/** Every intent bit Discord knows; IDENTIFY with any other bit is closed with 4013. */
export const KNOWN_INTENTS: number = Object.values(GatewayIntentBits)
  .filter((v): v is number => typeof v === "number")
  .reduce((all, bit) => all | bit, 0);

const { Guilds, GuildMembers, GuildExpressions, GuildWebhooks, GuildPresences, MessageContent } = GatewayIntentBits;
const { GuildMessages, GuildMessageReactions, GuildMessageTyping } = GatewayIntentBits;
const { DirectMessages, DirectMessageReactions, DirectMessageTyping } = GatewayIntentBits;

/** Intent needed in a guild, and in a DM, per event; events not listed are always sent. */
const NEEDS: Readonly<Record<string, readonly [guild: number, dm: number]>> = {
  GUILD_CREATE: [Guilds, Guilds],
  GUILD_UPDATE: [Guilds, Guilds],
  GUILD_DELETE: [Guilds, Guilds],
  GUILD_ROLE_CREATE: [Guilds, Guilds],
  GUILD_ROLE_UPDATE: [Guilds, Guilds],
  GUILD_ROLE_DELETE: [Guilds, Guilds],
  CHANNEL_CREATE: [Guilds, Guilds],
  CHANNEL_UPDATE: [Guilds, Guilds],
  CHANNEL_DELETE: [Guilds, Guilds],
  THREAD_CREATE: [Guilds, Guilds],
  THREAD_UPDATE: [Guilds, Guilds],
  THREAD_DELETE: [Guilds, Guilds],
  THREAD_LIST_SYNC: [Guilds, Guilds],
  GUILD_MEMBER_ADD: [GuildMembers, GuildMembers],
  GUILD_MEMBER_UPDATE: [GuildMembers, GuildMembers],
  GUILD_MEMBER_REMOVE: [GuildMembers, GuildMembers],
  THREAD_MEMBERS_UPDATE: [GuildMembers, GuildMembers],
  GUILD_EMOJIS_UPDATE: [GuildExpressions, GuildExpressions],
  GUILD_STICKERS_UPDATE: [GuildExpressions, GuildExpressions],
  WEBHOOKS_UPDATE: [GuildWebhooks, GuildWebhooks],
  PRESENCE_UPDATE: [GuildPresences, GuildPresences],
  MESSAGE_CREATE: [GuildMessages, DirectMessages],
  MESSAGE_UPDATE: [GuildMessages, DirectMessages],
  MESSAGE_DELETE: [GuildMessages, DirectMessages],
  MESSAGE_DELETE_BULK: [GuildMessages, DirectMessages],
  MESSAGE_REACTION_ADD: [GuildMessageReactions, DirectMessageReactions],
  MESSAGE_REACTION_REMOVE: [GuildMessageReactions, DirectMessageReactions],
  MESSAGE_REACTION_REMOVE_ALL: [GuildMessageReactions, DirectMessageReactions],
  MESSAGE_REACTION_REMOVE_EMOJI: [GuildMessageReactions, DirectMessageReactions],
  TYPING_START: [GuildMessageTyping, DirectMessageTyping],
};

export function has(intents: number, bit: number): boolean {
  return (intents & bit) === bit;
}

/** Whether a session with these intents receives the event at all. */
export function wants(intents: number, dispatch: Dispatch): boolean {
  const need = NEEDS[dispatch.t];
  if (!need) return true;
  return has(intents, dispatch.guildId ? need[0] : need[1]);
}

type Obj = Record<string, unknown>;

/**
 * The payload a session with these intents sees. Message events lose their
 * content without MESSAGE_CONTENT (unless exempt); GUILD_CREATE loses the
 * member list without GUILD_MEMBERS (all but the bot), the presences without
 * GUILD_PRESENCES, and offline members above the large threshold.
 */
export function shapeFor(intents: number, dispatch: Dispatch, botId: string, largeThreshold: number): unknown {
  if (dispatch.t === "MESSAGE_CREATE" || dispatch.t === "MESSAGE_UPDATE") {
    return withoutContentUnlessAllowed(intents, dispatch.d as Obj, botId, !dispatch.guildId);
  }
  if (dispatch.t === "GUILD_CREATE") {
    const g = dispatch.d as Obj;
    const presences = has(intents, GuildPresences) ? ((g.presences as Obj[] | undefined) ?? []) : [];
    const online = new Set(presences.map((p) => (p.user as Obj | undefined)?.id));
    const large = Number(g.member_count ?? 0) > largeThreshold;
    const members = ((g.members as Obj[] | undefined) ?? []).filter((m) => {
      const id = (m.user as Obj | undefined)?.id;
      if (id === botId) return true;
      if (!has(intents, GuildMembers)) return false;
      return !large || online.has(id);
    });
    return { ...g, members, presences, large };
  }
  return dispatch.d;
}

function withoutContentUnlessAllowed(intents: number, m: Obj, botId: string, dm: boolean): Obj {
  if (has(intents, MessageContent) || dm) return m;
  if ((m.author as Obj | undefined)?.id === botId) return m;
  if (((m.mentions as Obj[] | undefined) ?? []).some((u) => u.id === botId)) return m;
  const blank: Obj = { ...m, content: "", embeds: [], attachments: [], components: [] };
  delete blank.poll;
  if (blank.referenced_message && typeof blank.referenced_message === "object") {
    blank.referenced_message = withoutContentUnlessAllowed(intents, blank.referenced_message as Obj, botId, dm);
  }
  return blank;
}
