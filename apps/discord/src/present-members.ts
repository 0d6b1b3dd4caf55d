/**
 * Who of each guild is not offline, as GUILD_CREATE and PRESENCE_UPDATE said:
 * what a channel linked at runtime seats in its room. discord.js keeps no
 * presences (its PresenceManager is limited to 0 to keep memory flat), so the
 * connector keeps this much: a status per present member, at most
 * MAX_PRESENT_MEMBERS over all guilds (the least recently heard of dropped).
 */
import { type RemotePresence, setBounded } from "@parley/bridge";

const MAX_PRESENT_MEMBERS = 100_000;

export class PresentMembers {
  /** `${guildId} ${userId}` -> their presence, oldest news first. */
  private readonly byMember = new Map<string, RemotePresence>();

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.byMember.size;
  }

  /** Records a member's status; an offline member is forgotten. */
  set(guildId: string, userId: string, presence: RemotePresence): void {
    const key = `${guildId} ${userId}`;
    if (presence.status === "offline") this.byMember.delete(key);
    else setBounded(this.byMember, key, presence, MAX_PRESENT_MEMBERS);
  }

  /** The member left the guild. */
  forget(guildId: string, userId: string): void {
    this.byMember.delete(`${guildId} ${userId}`);
  }

  /** The present members of a guild, with their presence. */
  in(guildId: string): Array<{ userId: string; presence: RemotePresence }> {
    const prefix = `${guildId} `;
    const present: Array<{ userId: string; presence: RemotePresence }> = [];
    for (const [key, presence] of this.byMember) {
      if (key.startsWith(prefix)) present.push({ userId: key.slice(prefix.length), presence });
    }
    return present;
  }
}
