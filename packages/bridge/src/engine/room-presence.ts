/**
 * Who of a channel's members sits in its rooms: a member the connector reports
 * present (online, idle, dnd) in a linked channel joins the room as a puppet,
 * and leaves it (unavailable) when they go offline. A room holds at most
 * `maxOccupants` puppets: past that, the most recently active are seated
 * (last spoke in the room; never-active members after, first come first
 * seated) and the others wait for a seat, so a guild of 100,000 members does
 * not flood a room.
 *
 * A member who speaks or joins the channel while not known present (reported
 * offline, or not reported at all) is evidently there: they sit in the room
 * because they acted, and an "offline" for them changes nothing: they stay
 * seated until a real change (a reported present status, then offline), a
 * departure or a seat eviction. A network may repeat "offline" after every
 * action (Synapse does for a user whose client does not sync: a message or a
 * join bumps their last activity), and taking the puppet out each time would
 * show the room a leave and a join around every message, and a member who
 * just joined leaving again. A member listed as already in the channel (at
 * start, or when it is linked) is no such evidence: they are seated by their
 * reported presence like any member (`report`).
 *
 * Each room's changes run one after the other, so two presences of one room
 * never race for the last seat.
 */
import { setBounded } from "../connector/bounded-map.ts";
import type { RemotePresence } from "../connector/connector.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { Puppet } from "./puppet-directory.ts";

/** What the engine's other parts do for this one: seat a puppet, take it out, tell the room its presence. */
export interface RoomSeating {
  /** The puppets seated in `room` now (whatever seated them: presence or speaking). */
  seated(room: string): readonly string[];
  /** How many that is (asked for every message: no copy of the list). */
  seatCount(room: string): number;
  /** Joins the puppet to the room (sharing a join in flight). */
  join(puppet: Puppet, room: string): Promise<void>;
  /** The puppet leaves the room with an unavailable presence. */
  leave(local: string, room: string): Promise<void>;
  /** Sends the puppet's current presence (show, status) to the room it sits in. */
  announce(puppet: Puppet, room: string): Promise<void>;
  /** The puppet behind a localpart, if the engine knows it. */
  puppet(local: string): Puppet | undefined;
}

export interface RoomPresenceOptions {
  readonly maxOccupants: number;
  readonly seating: RoomSeating;
  readonly logger: Logger;
}

/**
 * Members waiting for a seat are remembered up to this many times the cap per
 * room (the least active dropped first): they get a seat as seated members go
 * offline, and a member dropped from the list gets one again when their
 * presence next changes or they speak.
 */
const WAITING_PER_SEAT = 4;
/** Rooms a member is known to belong to, for presences that name no channel; at most this many members. */
const KNOWN_MEMBERS = 100_000;
/**
 * Seats being taken at once, over all rooms. Each join makes the room send
 * the newcomer every occupant's presence and every puppet occupant the
 * newcomer's, all to the bridge: a start with thousands of present members
 * is a storm of them. A few at a time, the room answers each join in well
 * under its timeout, and the joins of puppets that speak (which do not wait
 * here) are not stuck behind the storm.
 */
const SEATING_AT_ONCE = 8;

export class RoomPresence {
  private readonly o: RoomPresenceOptions;
  /**
   * room -> member localpart -> when they last spoke there (0: never seen
   * active). Holds the members present in the room, seated or waiting: at
   * most the cap times (1 + WAITING_PER_SEAT) per room.
   */
  private readonly present = new Map<string, Map<string, number>>();
  /**
   * member localpart -> the rooms they belong to: at most KNOWN_MEMBERS
   * members, least recently heard of dropped. One room is kept as its JID
   * alone (the string the links hold, so no copy), a set only for a member
   * of several: most members are in one room, and a set is some 100 bytes.
   */
  private readonly memberships = new Map<string, string | Set<string>>();
  /**
   * room -> members seated because they spoke there or joined its channel
   * while not known present (see the class comment): an "offline" for them is
   * no change. Entries that are no longer seated are dropped past the cap, so
   * at most about the cap per room; a room's set is removed when empty.
   */
  private readonly actedAbsent = new Map<string, Set<string>>();
  /** room -> the tail of its chain of changes; removed when the chain runs dry. */
  private readonly lanes = new Map<string, Promise<void>>();
  /** Seats being taken now, and the rooms' lanes waiting for a turn (at most one per room). */
  private seating = 0;
  private readonly seatTurns: Array<() => void> = [];

  constructor(o: RoomPresenceOptions) {
    this.o = o;
  }

  get maxOccupants(): number {
    return this.o.maxOccupants;
  }

  /** Members known present in rooms, seated or waiting, summed over the rooms (for /metrics). */
  get size(): number {
    let n = 0;
    for (const members of this.present.values()) n += members.size;
    return n;
  }

  /** The rooms `local` was last reported a member of. */
  roomsOf(local: string): readonly string[] {
    const rooms = this.memberships.get(local);
    if (rooms === undefined) return [];
    return typeof rooms === "string" ? [rooms] : [...rooms];
  }

  /** `puppet` is a member of `room` with `presence` (already set on the puppet): seat, update or unseat it. */
  report(room: string, puppet: Puppet, presence: RemotePresence): Promise<void> {
    this.remember(puppet.local, room);
    return this.inLane(room, async () => {
      if (presence.status === "offline") {
        // Still absent, as when they spoke or joined: nothing changed, the seat they took stays.
        if (this.actedAbsent.get(room)?.has(puppet.local) && this.isSeated(room, puppet.local)) return;
        this.unmarkAbsent(room, puppet.local);
        this.present.get(room)?.delete(puppet.local);
        if (this.isSeated(room, puppet.local)) await this.o.seating.leave(puppet.local, room);
        await this.fill(room);
        return;
      }
      // Reported present: an "offline" after this is a real change, and takes the puppet out. A member taken
      // to be present (listed in the channel) whose presence the network never said is still not known present.
      if (puppet.presence !== undefined) this.unmarkAbsent(room, puppet.local);
      await this.seatMember(room, puppet);
    });
  }

  /**
   * `puppet` just joined the channel of `room`: evidently there, whatever
   * their last reported presence, so seated (within the cap, waiting for a
   * seat like a member reported present when the room is full). Not known
   * present (reported offline, or not reported at all), they keep the seat
   * through "offline" reports that change nothing, as one who spoke does.
   */
  joined(room: string, puppet: Puppet): Promise<void> {
    this.remember(puppet.local, room);
    return this.inLane(room, async () => {
      // Marked on the lane: an "offline" queued before the join must not clear the mark the join sets.
      const status = puppet.presence?.status;
      if (status === undefined || status === "offline") this.markAbsent(room, puppet.local);
      else this.unmarkAbsent(room, puppet.local);
      await this.seatMember(room, puppet);
    });
  }

  /** On `room`'s lane: `puppet` is a member there, its presence shown if seated, else seated when a seat is free. */
  private async seatMember(room: string, puppet: Puppet): Promise<void> {
    const members = this.membersOf(room);
    if (!members.has(puppet.local)) members.set(puppet.local, 0);
    if (this.isSeated(room, puppet.local)) {
      await this.o.seating.announce(puppet, room);
      return;
    }
    await this.admit(room, puppet);
  }

  /** `local` is no member of `room` any more (left, kicked, banned, unlinked). */
  forget(room: string, local: string): void {
    this.present.get(room)?.delete(local);
    this.unmarkAbsent(room, local);
    const rooms = this.memberships.get(local);
    if (rooms === room) this.memberships.delete(local);
    else if (typeof rooms === "object" && rooms.delete(room) && rooms.size === 1) {
      const [left] = rooms;
      if (left !== undefined) this.memberships.set(local, left);
    }
  }

  /**
   * `puppet` spoke (or acted) in `room` and sits there now: it is the most
   * recently active member, and when its seat takes the room past the cap the
   * least active other puppet leaves. A member not known present (see the
   * class comment) keeps the seat through "offline" reports that change
   * nothing. Returns what to wait for when the seat takes the room past the
   * cap (the least active leaving), else undefined.
   */
  spoke(room: string, puppet: Puppet): Promise<void> | undefined {
    this.remember(puppet.local, room);
    this.membersOf(room).set(puppet.local, Date.now());
    // Not known present: reported offline, or not reported at all (a member seated as listed in the channel is
    // taken to be present, but the network has said nothing yet: its first "offline" is no change either).
    const status = puppet.presence?.status;
    if (status === undefined || status === "offline") this.markAbsent(room, puppet.local);
    else this.unmarkAbsent(room, puppet.local);
    if (this.o.seating.seatCount(room) <= this.o.maxOccupants) return undefined;
    return this.inLane(room, () => this.trim(room, puppet.local));
  }

  /**
   * Runs `work` on the room's lane, after the changes asked for before it: a
   * member who leaves right after joining leaves after the join, not before it.
   */
  queue(room: string, work: () => Promise<void>): Promise<void> {
    return this.inLane(room, work);
  }

  /** Resolves once every change asked for so far has been applied (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all([...this.lanes.values()]);
  }

  private membersOf(room: string): Map<string, number> {
    let members = this.present.get(room);
    if (!members) {
      members = new Map();
      this.present.set(room, members);
    }
    return members;
  }

  private remember(local: string, room: string): void {
    const rooms = this.memberships.get(local);
    if (typeof rooms === "object") rooms.add(room);
    const kept =
      rooms === undefined || rooms === room ? room : typeof rooms === "string" ? new Set([rooms, room]) : rooms;
    setBounded(this.memberships, local, kept, KNOWN_MEMBERS);
  }

  /** `local` sits in `room` because they spoke there or joined its channel while not known present. */
  private markAbsent(room: string, local: string): void {
    let members = this.actedAbsent.get(room);
    if (!members) {
      members = new Set();
      this.actedAbsent.set(room, members);
    }
    members.add(local);
    if (members.size <= this.o.maxOccupants) return;
    const seated = new Set(this.o.seating.seated(room));
    for (const m of members) if (m !== local && !seated.has(m)) members.delete(m);
  }

  private unmarkAbsent(room: string, local: string): void {
    const members = this.actedAbsent.get(room);
    if (members?.delete(local) && members.size === 0) this.actedAbsent.delete(room);
  }

  /**
   * Takes a seated puppet out to make room for another. A member seated
   * because they spoke or joined while not known present does not wait for a
   * seat again: they are not known present.
   */
  private async evict(room: string, local: string): Promise<void> {
    if (this.actedAbsent.get(room)?.has(local)) {
      this.unmarkAbsent(room, local);
      this.present.get(room)?.delete(local);
    }
    await this.o.seating.leave(local, room);
  }

  private isSeated(room: string, local: string): boolean {
    return this.o.seating.seated(room).includes(local);
  }

  private activity(room: string, local: string): number {
    return this.present.get(room)?.get(local) ?? 0;
  }

  /** Seats `puppet` when there is room, or in place of a less active seated puppet; else it waits. */
  private async admit(room: string, puppet: Puppet): Promise<void> {
    const seated = this.o.seating.seated(room);
    if (seated.length < this.o.maxOccupants) {
      await this.seat(room, puppet);
      return;
    }
    const weakest = this.leastActive(room, seated, puppet.local);
    if (weakest !== undefined && this.activity(room, weakest) < this.activity(room, puppet.local)) {
      await this.evict(room, weakest);
      await this.seat(room, puppet);
      return;
    }
    this.trimWaiting(room);
  }

  private async seat(room: string, puppet: Puppet): Promise<void> {
    await this.seatTurn();
    try {
      await this.o.seating.join(puppet, room);
    } catch (e) {
      this.o.logger.warn("a present member could not join the room", {
        room,
        puppet: puppet.local,
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    } finally {
      this.endTurn();
    }
    // The join said "available": only away, dnd or a status text is worth a presence more. One not known
    // present (seated as they joined or spoke while offline) is shown available, as the join did.
    const status = puppet.presence?.status ?? "online";
    const plain = status === "online" || status === "offline";
    if (!plain || puppet.presence?.message !== undefined) await this.o.seating.announce(puppet, room);
  }

  /** Takes the room back to the cap, least active first, never `keep`. */
  private async trim(room: string, keep: string): Promise<void> {
    for (;;) {
      const seated = this.o.seating.seated(room);
      if (seated.length <= this.o.maxOccupants) return;
      const weakest = this.leastActive(room, seated, keep);
      if (weakest === undefined) return;
      await this.evict(room, weakest);
    }
  }

  /** Gives free seats to the most active waiting members. */
  private async fill(room: string): Promise<void> {
    const members = this.present.get(room);
    if (!members) return;
    for (;;) {
      const seated = this.o.seating.seated(room);
      if (seated.length >= this.o.maxOccupants) return;
      let best: { local: string; at: number } | undefined;
      for (const [local, at] of members) {
        if (seated.includes(local) || this.o.seating.puppet(local) === undefined) continue;
        if (!best || at > best.at) best = { local, at };
      }
      if (!best) return;
      const puppet = this.o.seating.puppet(best.local);
      if (!puppet) return;
      // A member whose join fails is not tried again for this seat.
      members.delete(best.local);
      await this.seat(room, puppet);
      if (this.isSeated(room, best.local)) members.set(best.local, best.at);
    }
  }

  /** The seated puppet with the oldest activity (the latest seated among equals), other than `keep`. */
  private leastActive(room: string, seated: readonly string[], keep: string): string | undefined {
    let weakest: { local: string; at: number } | undefined;
    for (const local of seated) {
      if (local === keep) continue;
      const at = this.activity(room, local);
      if (!weakest || at <= weakest.at) weakest = { local, at };
    }
    return weakest?.local;
  }

  /** Keeps the waiting list of a room within WAITING_PER_SEAT times the cap, dropping the least active. */
  private trimWaiting(room: string): void {
    const members = this.present.get(room);
    if (!members) return;
    const bound = this.o.maxOccupants * (1 + WAITING_PER_SEAT);
    if (members.size <= bound) return;
    const seated = new Set(this.o.seating.seated(room));
    const waiting = [...members].filter(([local]) => !seated.has(local)).sort((a, b) => a[1] - b[1]);
    for (const [local] of waiting) {
      if (members.size <= bound) return;
      members.delete(local);
    }
  }

  /** Waits for one of the SEATING_AT_ONCE turns. */
  private seatTurn(): Promise<void> {
    if (this.seating < SEATING_AT_ONCE) {
      this.seating++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.seatTurns.push(resolve));
  }

  /** A seat is taken (or not): its turn goes to the next waiting room, if any. */
  private endTurn(): void {
    const next = this.seatTurns.shift();
    if (next) next();
    else this.seating--;
  }

  private inLane(room: string, work: () => Promise<void>): Promise<void> {
    const before = this.lanes.get(room) ?? Promise.resolve();
    const run = before.then(work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.lanes.set(room, tail);
    void tail.then(() => {
      if (this.lanes.get(room) === tail) this.lanes.delete(room);
    });
    return run;
  }
}
