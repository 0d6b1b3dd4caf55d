/**
 * Discord people as the engine sees them: one puppet per Discord user, named
 * the way the guild shows them (guild nickname, else global display name,
 * else username), with their avatar from the CDN, and their status and
 * custom status as XMPP presence.
 */
import type { RemotePresence, RemoteStatus, RemoteUser } from "@parley/bridge";
import { isRecord } from "@parley/bridge";
import type { CDN } from "discord.js";

/** A Discord user as a gateway payload or a cache gives them, reduced to what a puppet needs. */
export interface DiscordPerson {
  readonly id: string;
  readonly username: string;
  readonly globalName?: string | null;
  readonly avatar?: string | null;
  readonly bot?: boolean;
  /** Guild-specific nickname and avatar, when known. */
  readonly nick?: string | null;
  readonly memberAvatar?: string | null;
  readonly guildId?: string;
}

/** Guild nickname, else global display name, else username; never empty. */
export function displayNameOf(p: DiscordPerson): string {
  for (const name of [p.nick, p.globalName, p.username]) {
    if (typeof name === "string" && name.trim() !== "") return name.trim();
  }
  return p.id;
}

/** The member's guild avatar, else their own; undefined for the default avatar. PNG, since every XMPP client shows it. */
export function avatarUrlOf(cdn: CDN, p: DiscordPerson): string | undefined {
  const options = { extension: "png", size: 256, forceStatic: true } as const;
  if (p.memberAvatar && p.guildId !== undefined) {
    return cdn.guildMemberAvatar(p.guildId, p.id, p.memberAvatar, options);
  }
  if (p.avatar) return cdn.avatar(p.id, p.avatar, options);
  return undefined;
}

export function remoteUserOf(cdn: CDN, p: DiscordPerson, isBridge = false): RemoteUser {
  const avatarUrl = avatarUrlOf(cdn, p);
  return {
    id: p.id,
    displayName: displayNameOf(p),
    ...(avatarUrl !== undefined && { avatarUrl }),
    ...(isBridge && { isBridge: true }),
  };
}

/** A raw `user` object (gateway or REST) with an optional `member`, as a DiscordPerson; undefined when malformed. */
export function personFromPayload(user: unknown, member?: unknown, guildId?: string): DiscordPerson | undefined {
  if (!isRecord(user) || typeof user.id !== "string") return undefined;
  const m = isRecord(member) ? member : undefined;
  return {
    id: user.id,
    username: typeof user.username === "string" ? user.username : user.id,
    globalName: stringOrNull(user.global_name),
    avatar: stringOrNull(user.avatar),
    bot: user.bot === true,
    ...(m && { nick: stringOrNull(m.nick), memberAvatar: stringOrNull(m.avatar) }),
    ...(guildId !== undefined && { guildId }),
  };
}

const STATUSES: Readonly<Record<string, RemoteStatus>> = {
  online: "online",
  idle: "idle",
  dnd: "dnd",
  offline: "offline",
  invisible: "offline",
};

/** A PRESENCE_UPDATE (or a GUILD_CREATE presence) as XMPP-ready presence; the custom status is activity type 4's `state`. */
export function presenceOf(payload: { status?: unknown; activities?: unknown }): RemotePresence {
  const status = (typeof payload.status === "string" && STATUSES[payload.status]) || "offline";
  let message: string | undefined;
  if (Array.isArray(payload.activities)) {
    for (const a of payload.activities) {
      if (isRecord(a) && a.type === 4 && typeof a.state === "string" && a.state.trim() !== "") {
        message = a.state.trim();
        break;
      }
    }
  }
  return { status, ...(message !== undefined && { message }) };
}

function stringOrNull(v: unknown): string | null | undefined {
  return typeof v === "string" ? v : v === null ? null : undefined;
}
