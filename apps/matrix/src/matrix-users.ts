/**
 * Matrix users as the engine sees them (`RemoteUser`): their display name in
 * the room, else their global profile, else their localpart; their avatar as
 * a signed proxy URL the engine can fetch. Events in a transaction carry only
 * the sender's ID, so names come from the membership events the homeserver
 * pushes (remembered here) and, the first time a user is seen, one lookup.
 */
import { type Logger, type RemoteUser, setBounded } from "@parley/bridge";
import type { MatrixClient } from "matrix-js-sdk";
import { isOwnUser, type MatrixNames } from "./matrix-ids.ts";

interface Profile {
  readonly displayName: string | undefined;
  readonly avatarMxc: string | undefined;
}

/** Profiles kept in each map; past it the least recently set is dropped (and looked up again when needed). */
const MAX_ENTRIES = 50_000;

/** `bob` for `@bob:example.org`. */
export function localpartOf(userId: string): string {
  const colon = userId.indexOf(":");
  return userId.slice(userId.startsWith("@") ? 1 : 0, colon < 0 ? undefined : colon);
}

function profileOf(content: Readonly<Record<string, unknown>>): Profile {
  return {
    displayName:
      typeof content.displayname === "string" && content.displayname.trim() !== "" ? content.displayname : undefined,
    avatarMxc: typeof content.avatar_url === "string" && content.avatar_url !== "" ? content.avatar_url : undefined,
  };
}

export class MatrixUsers {
  private readonly names: MatrixNames;
  private readonly bot: MatrixClient;
  private readonly avatarUrl: (mxc: string) => string | undefined;
  private readonly logger: Logger;
  /** `room user` -> their profile in that room: at most MAX_ENTRIES. */
  private readonly inRoom = new Map<string, Profile>();
  /** User -> their global profile: at most MAX_ENTRIES. */
  private readonly global = new Map<string, Profile>();

  constructor(o: {
    names: MatrixNames;
    bot: MatrixClient;
    avatarUrl: (mxc: string) => string | undefined;
    logger: Logger;
  }) {
    this.names = o.names;
    this.bot = o.bot;
    this.avatarUrl = o.avatarUrl;
    this.logger = o.logger;
  }

  /** Notes a user's profile in a room from their m.room.member content. */
  rememberMember(roomId: string, userId: string, content: Readonly<Record<string, unknown>>): void {
    const p = profileOf(content);
    setBounded(this.inRoom, `${roomId} ${userId}`, p, MAX_ENTRIES);
    if (!this.global.has(userId)) setBounded(this.global, userId, p, MAX_ENTRIES);
  }

  /** Notes a user's global profile (from a presence event that carries it). */
  rememberProfile(userId: string, content: Readonly<Record<string, unknown>>): void {
    const p = profileOf(content);
    if (p.displayName !== undefined || p.avatarMxc !== undefined) setBounded(this.global, userId, p, MAX_ENTRIES);
  }

  /** The display name known without a lookup (for pills in formatted bodies). */
  nameOf(userId: string, roomId?: string): string | undefined {
    return (
      (roomId !== undefined ? this.inRoom.get(`${roomId} ${userId}`)?.displayName : undefined) ??
      this.global.get(userId)?.displayName
    );
  }

  /** The engine's view of a Matrix user; looks the profile up once when it is not known yet. */
  async remoteUser(userId: string, roomId?: string): Promise<RemoteUser> {
    const own = isOwnUser(userId, this.names);
    let p = roomId !== undefined ? this.inRoom.get(`${roomId} ${userId}`) : undefined;
    p ??= this.global.get(userId);
    if (!p && !own) p = await this.lookup(userId, roomId);
    return this.toRemote(userId, p, own);
  }

  /** The same, from a membership content at hand (the event being handled). */
  fromContent(userId: string, content: Readonly<Record<string, unknown>>): RemoteUser {
    return this.toRemote(userId, profileOf(content), isOwnUser(userId, this.names));
  }

  private toRemote(userId: string, p: Profile | undefined, own: boolean): RemoteUser {
    const avatarUrl = p?.avatarMxc !== undefined ? this.avatarUrl(p.avatarMxc) : undefined;
    return {
      id: userId,
      displayName: p?.displayName ?? localpartOf(userId),
      ...(avatarUrl !== undefined && { avatarUrl }),
      ...(own && { isBridge: true }),
    };
  }

  private async lookup(userId: string, roomId: string | undefined): Promise<Profile> {
    if (roomId !== undefined) {
      try {
        const content = await this.bot.getStateEvent(roomId, "m.room.member", userId);
        const p = profileOf(content);
        setBounded(this.inRoom, `${roomId} ${userId}`, p, MAX_ENTRIES);
        return p;
      } catch {
        // not visible to the bot: the global profile will do
      }
    }
    try {
      const p = profileOf(await this.bot.getProfileInfo(userId));
      setBounded(this.global, userId, p, MAX_ENTRIES);
      return p;
    } catch (e) {
      this.logger.debug("no profile for a Matrix user; their localpart is shown", {
        error: e instanceof Error ? e.message.replace(/https?:\/\/\S+/g, "<url>") : String(e),
      });
      const p = { displayName: undefined, avatarMxc: undefined };
      setBounded(this.global, userId, p, MAX_ENTRIES);
      return p;
    }
  }
}
