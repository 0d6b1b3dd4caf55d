/**
 * A room's occupant list as the reading occupant (the relay, or the puppet
 * reading in its place) sees it: nicks, real JIDs where the room discloses
 * them, occupant ids, avatar hashes, so that XMPP senders can be shown on the
 * remote side under their own name and avatar.
 */
import { mucPresenceKind, type Presence } from "@parley/stanza";

export interface Occupant {
  readonly nick: string;
  /** Real bare JID, when the room discloses it. */
  readonly jid?: string;
  readonly occupantId?: string;
  /** XEP-0153 photo hash the occupant advertises. */
  readonly avatarHash?: string;
  readonly role?: string;
  /** XMPP presence `<show/>` (absent: available). */
  readonly show?: string;
  /** Presence `<status/>` text. */
  readonly status?: string;
  /** On a departure: the room kicked or banned them. */
  readonly removed?: "kick" | "ban";
  /** On a kick or ban: the reason the moderator gave. */
  readonly reason?: string;
  /**
   * The nick this occupant had when the relay first saw them, kept across
   * nick changes the room announced (for a room without occupant-id, the
   * only way to tell it is the same person under a new nick).
   */
  readonly firstNick?: string;
}

/** How an occupant left: kicked or banned (with the moderator's reason), and their last status. */
export interface OccupantDeparture {
  readonly removed?: "kick" | "ban";
  readonly reason?: string;
  readonly status?: string;
}

/** What one presence changed in the list: an occupant joined, changed or left. */
export interface OccupantChange {
  readonly occupant: Occupant;
  readonly kind: "join" | "update" | "leave";
  readonly departure?: OccupantDeparture;
}

export class OccupantRoster {
  private readonly byNick = new Map<string, Occupant>();

  get(nick: string): Occupant | undefined {
    return this.byNick.get(nick);
  }

  list(): Occupant[] {
    return [...this.byNick.values()];
  }

  /** Everyone is gone (the reader left the room, or the link dropped). */
  clear(): void {
    this.byNick.clear();
  }

  /**
   * An occupant's presence (from `room/nick`): the list follows it. Says who
   * joined, changed or left; nothing for a nick change, an anonymous sender,
   * or a presence that is neither available nor unavailable.
   */
  follow(p: Presence): OccupantChange | undefined {
    const from = p.from ?? "";
    const nick = from.slice(from.indexOf("/") + 1);
    if (nick === "") return undefined;
    const known = this.byNick.has(nick);
    const kind = mucPresenceKind(p, known);
    if (p.type === "unavailable") {
      const gone = this.byNick.get(nick);
      this.byNick.delete(nick);
      if (kind.kind === "nick-change" && gone) {
        this.byNick.set(kind.newNick, { ...gone, nick: kind.newNick });
      } else if (gone) {
        const removed = kind.kind === "kicked" ? "kick" : kind.kind === "banned" ? "ban" : undefined;
        const reason = kind.kind === "kicked" || kind.kind === "banned" ? kind.reason : undefined;
        return {
          occupant: gone,
          kind: "leave",
          departure: {
            ...(removed !== undefined && { removed }),
            ...(reason !== undefined && { reason }),
            ...(p.status !== undefined && { status: p.status }),
          },
        };
      }
      return undefined;
    }
    if (p.type !== "available") return undefined;
    const item = p.mucUser?.items[0];
    const occupant: Occupant = {
      nick,
      firstNick: this.byNick.get(nick)?.firstNick ?? this.unclaimedFirstNick(nick),
      ...(item?.jid !== undefined && { jid: item.jid.split("/")[0] }),
      ...(p.occupantId !== undefined && { occupantId: p.occupantId }),
      ...(p.vcardUpdate?.photo !== undefined && { avatarHash: p.vcardUpdate.photo }),
      ...(item?.role !== undefined && { role: item.role }),
      ...(p.show !== undefined && { show: p.show }),
      ...(p.status !== undefined && { status: p.status }),
    };
    this.byNick.set(nick, occupant);
    return { occupant, kind: known ? "update" : "join" };
  }

  /**
   * The first nick for a newcomer: their nick, unless someone present came in
   * under it and has renamed since (then the newcomer would pass for them), in
   * which case it is told apart by a number.
   */
  private unclaimedFirstNick(nick: string): string {
    const claimed = new Set<string>();
    for (const o of this.byNick.values()) if (o.firstNick !== undefined) claimed.add(o.firstNick);
    if (!claimed.has(nick)) return nick;
    for (let n = 2; ; n++) if (!claimed.has(`${nick} (${n})`)) return `${nick} (${n})`;
  }
}
