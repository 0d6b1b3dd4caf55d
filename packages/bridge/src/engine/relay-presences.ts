/**
 * The rooms' presences, as the relay occupant reads them: who reads each
 * room, and what the rooms say of their occupants. A room's presences reach
 * the relay (while it is in the room) and every puppet of ours in it; this
 * routes each one:
 *
 * - the room's answer to a join awaiting it goes to that join (relay-join.ts);
 * - the relay's own presence (self status 110, or the room destroyed) says
 *   whether the relay is in: dropped by the room while nobody else reads it,
 *   the engine hears `onRemoved`; having stepped aside for a reader puppet,
 *   it is not a removal;
 * - a puppet's own presence makes it the reader where nobody reads the room,
 *   and its leave hands the room to another puppet or back to the relay;
 * - any other occupant's presence, in the reading occupant's copy only (the
 *   others are dropped), updates the room's occupant list
 *   (occupant-roster.ts) and goes to `onOccupant`.
 *
 * What the relay does about it (join, step aside) is the relay occupant's
 * (relay-occupant.ts); this only decides.
 */
import { type Element, isSelfPresence, mucPresenceKind, type Presence, parsePresence } from "@parley/stanza";
import type { Occupant, OccupantDeparture, OccupantRoster } from "./occupant-roster.ts";
import type { JoinAnswers } from "./relay-join.ts";
import type { RoomHolds } from "./room-holds.ts";

/** What the relay keeps of one linked room. */
export interface RelayRoom {
  nick: string;
  /** The relay itself is an occupant. */
  joined: boolean;
  /**
   * The puppet (lower-case localpart) whose copy of the room's traffic is read
   * while the relay is out of the room: one recipient fewer for every message.
   */
  reader?: string;
  /** The relay left to make way for a reader; its own unavailable presence is expected, not a removal. */
  steppedAside?: boolean;
  joining?: Promise<void>;
  /** Repairs in progress (see `RelayOccupant.holdWhile`); `join` waits for them. */
  holds: RoomHolds;
  occupants: OccupantRoster;
}

/** Hears an occupant joining, changing or leaving a room (for avatar and presence bookkeeping). */
export type OccupantListener = (
  room: string,
  occupant: Occupant,
  kind: "join" | "update" | "leave",
  departure?: OccupantDeparture,
) => void;

export interface RelayPresencesOptions {
  /** The relay's full JID. */
  readonly jid: string;
  /** The component domain: presences to JIDs of it are to our puppets. */
  readonly domain: string;
  /** Joins awaiting a room's answer. */
  readonly joins: JoinAnswers;
  /** The relay's state of a room (lower-case), when the room is linked. */
  readonly roomOf: (room: string) => RelayRoom | undefined;
  /** Whether presences to our puppets are read (the relay steps aside for puppets only when it can name them). */
  readonly readsPuppets: boolean;
  /** The puppets of ours joined in a room (localparts). */
  readonly puppetsIn?: (room: string) => readonly string[];
  /** `local` reads `room` from now on (the relay steps aside once joined). */
  readonly becomeReader: (room: string, s: RelayRoom, local: string) => void;
  /** The room dropped its reader and no other puppet is there: the relay joins again, reading from now on. */
  readonly readAgain: (room: string, s: RelayRoom) => void;
  readonly onRemoved?: (room: string, kind: string) => void;
  readonly onOccupant?: OccupantListener;
}

export class RelayPresences {
  private readonly o: RelayPresencesOptions;

  constructor(o: RelayPresencesOptions) {
    this.o = o;
  }

  /**
   * Takes a presence addressed to the relay, or a room's presence addressed
   * to a puppet (a puppet's own joins and leaves are noted, then left to
   * MucOccupancy: false); returns false for anything else.
   */
  take(el: Element): boolean {
    const to = (el.attrs.to ?? "").toLowerCase();
    if (to === this.o.jid.toLowerCase()) return this.relayPresence(el);
    const at = to.indexOf("@");
    const slash = to.indexOf("/");
    if (
      this.o.readsPuppets &&
      at > 0 &&
      to.slice(at + 1, slash < 0 ? undefined : slash) === this.o.domain.toLowerCase()
    ) {
      return this.puppetPresence(el, to.slice(0, at));
    }
    return false;
  }

  /** A joined puppet of ours in `room` other than `except`, lower-case, if any. */
  otherPuppet(room: string, except?: string): string | undefined {
    for (const l of this.o.puppetsIn?.(room) ?? []) {
      if (l.toLowerCase() !== except) return l.toLowerCase();
    }
    return undefined;
  }

  /** A room's presence to one of our puppets: who reads the room, and (for the reader's copy) its occupants. */
  private puppetPresence(el: Element, local: string): boolean {
    const r = parsePresence(el);
    if (!r.ok) return false;
    const p = r.value;
    const from = p.from ?? "";
    const room = bareOf(from);
    const s = this.o.roomOf(room);
    if (!s || p.error || !from.includes("/")) return false;
    if (isSelfPresence(p) || (p.type === "unavailable" && p.mucUser?.destroy !== undefined)) {
      if (p.type === "available") {
        if (s.reader === undefined) this.o.becomeReader(room, s, local);
      } else if (p.type === "unavailable" && s.reader === local) {
        const kind = mucPresenceKind(p, true);
        if (kind.kind !== "nick-change") {
          if (s.joined) {
            s.reader = undefined; // the relay is back in: it reads on
          } else {
            // A destroyed room took every puppet with it: the relay comes back (and makes the room again).
            s.reader = p.mucUser?.destroy !== undefined ? undefined : this.otherPuppet(room, local);
            if (s.reader === undefined && !s.joining) {
              s.occupants.clear();
              if (kind.kind === "kicked" || kind.kind === "banned" || kind.kind === "leave") {
                // The room dropped the reader, not the relay: the relay reads on from now, without waiting.
                this.o.readAgain(room, s);
              } else {
                this.o.onRemoved?.(room, kind.kind);
              }
            }
          }
        }
      }
      return false; // MucOccupancy needs it too
    }
    if (s.reader !== local) return true; // another puppet's copy: read once, from the reader
    this.occupantPresence(room, s, p);
    return true;
  }

  private relayPresence(el: Element): boolean {
    const r = parsePresence(el);
    if (!r.ok) return true;
    const p = r.value;
    const from = p.from ?? "";
    const slash = from.indexOf("/");
    const room = (slash < 0 ? from : from.slice(0, slash)).toLowerCase();
    const nick = slash < 0 ? "" : from.slice(slash + 1);
    const s = this.o.roomOf(room);
    if (this.o.joins.awaits(room) && (p.error || isSelfPresence(p))) {
      this.o.joins.answer(room, p);
      if (p.error) return true;
    }
    if (!s) return true;
    // A destroyed room removes everyone; some servers (ejabberd) say so without the self status 110.
    if (isSelfPresence(p) || (p.type === "unavailable" && p.mucUser?.destroy !== undefined)) {
      if (p.type === "available" && s.reader !== undefined && !this.stillIn(room, s.reader)) {
        s.reader = undefined; // the relay is back in place of a reader that is leaving: it reads from here on
      }
      if (p.type === "unavailable") {
        const kind = mucPresenceKind(p, true);
        if (kind.kind === "nick-change") return true;
        if (s.steppedAside && !s.joined) {
          s.steppedAside = false; // it left for a reader: not a removal
          return true;
        }
        if (s.reader !== undefined) {
          s.joined = false; // the room dropped the relay while a puppet read it anyway
          return true;
        }
        s.joined = false;
        s.occupants.clear();
        this.o.onRemoved?.(room, kind.kind);
      }
      return true;
    }
    if (nick === "" || s.reader !== undefined) return true; // a puppet reads the room: its copy counts
    this.occupantPresence(room, s, p);
    return true;
  }

  private stillIn(room: string, local: string): boolean {
    return (this.o.puppetsIn?.(room) ?? []).some((l) => l.toLowerCase() === local);
  }

  /** An occupant's presence, as the reading occupant sees it: the occupant list follows. */
  private occupantPresence(room: string, s: RelayRoom, p: Presence): void {
    const c = s.occupants.follow(p);
    if (!c) return;
    if (c.departure) this.o.onOccupant?.(room, c.occupant, c.kind, c.departure);
    else this.o.onOccupant?.(room, c.occupant, c.kind);
  }
}

/** The bare JID of `jid`, lower-case. */
export function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}
