/**
 * The bridge's own occupant in every linked room, joined from the bare
 * component domain (`discord.example.org/relay`). Every puppet in a room gets
 * its own copy of each groupchat message; the engine reads only one copy, so a
 * message is seen once however many puppets sit in the room. While a puppet of
 * ours sits in the room, the relay leaves it and that puppet (the reader) is
 * the one whose copy is read, which saves the server one copy of every
 * message; another joined puppet takes over when the reader leaves, and the
 * relay joins again when none is left. This file joins, leaves and holds the
 * rooms and makes way for a reader; the parts it keeps per room are each their
 * own module:
 *
 * - the rooms' presences (relay-presences.ts): who reads each room, the relay
 *   dropped by a room, occupants joining and leaving;
 * - the room's occupant list, as the reader sees it (occupant-roster.ts), so
 *   that XMPP senders can be shown on the remote side under their own name
 *   and avatar;
 * - the repairs holding the room (room-holds.ts): when the engine repairs a
 *   room (after a dropped link, or when the room refused a message), the
 *   engine's senders join through `join`, which waits while a hold lasts, so
 *   that nothing new overtakes what the repair sends again;
 * - the joins awaiting the room's answer (relay-join.ts);
 * - the room's archive (room-archive.ts), read to tell a message that arrived
 *   (but whose reflection was lost) from one that did not, and to catch up on
 *   what the room said while nobody of ours read it.
 */
import {
  buildMucInstantRoom,
  buildMucJoin,
  buildMucLeave,
  type Element,
  isRoomCreated,
  resourceFromNick,
} from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";
import { logFailure } from "../delivery/delivery-errors.ts";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import { nickSuffix } from "../puppets/muc-occupancy.ts";
import { type Occupant, OccupantRoster } from "./occupant-roster.ts";
import { JoinAnswers, RelayJoinError } from "./relay-join.ts";
import { bareOf, type OccupantListener, RelayPresences, type RelayRoom } from "./relay-presences.ts";
import { type ArchivedMessage, type ArchivePage, RoomArchive } from "./room-archive.ts";
import { RoomHolds } from "./room-holds.ts";

export interface RelayOccupantOptions {
  readonly domain: string;
  readonly nick: string;
  readonly send: (el: Element) => Promise<void>;
  readonly router: IqRouter;
  /** Hears presences that could not be sent (default: silent). */
  readonly logger?: Logger;
  readonly joinTimeoutMs?: number;
  /** The room dropped the relay (kick, shutdown, destroyed); the engine decides whether to rejoin. */
  readonly onRemoved?: (room: string, kind: string) => void;
  /** An occupant joined, changed or left (for avatar and presence bookkeeping). */
  readonly onOccupant?: OccupantListener;
  /** How long an archive query may take, per page (default: the router's request timeout). */
  readonly archiveTimeoutMs?: number;
  /** How long `join` waits for a room's repairs at most before going on regardless (default 30 s). */
  readonly maxHoldMs?: number;
  /**
   * The puppets of ours joined in a room (localparts). With these two, the
   * relay steps aside in rooms where a puppet sits, and that puppet's copy of
   * the room's traffic is read instead; without them the relay always stays.
   */
  readonly puppetsIn?: (room: string) => readonly string[];
  /** A puppet's full JID, from its localpart. */
  readonly puppetJid?: (local: string) => string;
  /**
   * The relay starts joining a room where nobody of ours read it until now
   * (start, a rejoin, the room dropped the reader): what the room said
   * meanwhile was missed. `joined` settles with the join.
   */
  readonly onReadingAgain?: (room: string, joined: Promise<void>) => void;
}

export class RelayOccupant {
  readonly jid: string;
  /** `jid` lowercased, compared with every message's `to`. */
  private readonly jidLower: string;
  private readonly options: RelayOccupantOptions;
  /** One per linked room (its occupants: the room's own, gone as they leave). */
  private readonly rooms = new Map<string, RelayRoom>();
  /** Joins awaiting the room's answer. */
  private readonly joins = new JoinAnswers();
  /** The rooms' archives, asked by whoever reads each room. */
  private readonly archive: RoomArchive;
  /** The rooms' presences: who reads each room, and its occupants. */
  private readonly presences: RelayPresences;

  constructor(options: RelayOccupantOptions) {
    this.options = options;
    this.jid = `${options.domain}/relay`;
    this.jidLower = this.jid.toLowerCase();
    this.archive = new RoomArchive({
      router: options.router,
      askFrom: (room) => this.actorJid(room),
      ...(options.archiveTimeoutMs !== undefined && { timeoutMs: options.archiveTimeoutMs }),
    });
    this.presences = new RelayPresences({
      jid: this.jid,
      domain: options.domain,
      joins: this.joins,
      roomOf: (room) => this.rooms.get(room),
      readsPuppets: options.puppetJid !== undefined,
      ...(options.puppetsIn && { puppetsIn: options.puppetsIn }),
      becomeReader: (room, s, local) => this.becomeReader(room, s, local),
      readAgain: (room, s) => {
        void this.joinRoom(room, s, true).catch((e: unknown) =>
          options.onRemoved?.(room, e instanceof Error ? e.message : "rejoin failed"),
        );
      },
      ...(options.onRemoved && { onRemoved: options.onRemoved }),
      ...(options.onOccupant && { onOccupant: options.onOccupant }),
    });
  }

  /** Rooms the relay is (or is becoming) an occupant of. */
  get roomList(): string[] {
    return [...this.rooms.keys()];
  }

  /** Whether `room` is read: the relay is in it, or a puppet reads it in its place. */
  isJoined(room: string): boolean {
    const s = this.rooms.get(room.toLowerCase());
    return s !== undefined && (s.joined || s.reader !== undefined);
  }

  /** Whether the relay itself is an occupant of `room`. */
  isRelayIn(room: string): boolean {
    return this.rooms.get(room.toLowerCase())?.joined ?? false;
  }

  /** The puppet (lower-case localpart) reading `room` in the relay's place, if any. */
  readerOf(room: string): string | undefined {
    return this.rooms.get(room.toLowerCase())?.reader;
  }

  /** The full JID whose copy of `room`'s traffic the engine reads: the relay's, or the reader puppet's. */
  readingJid(room: string): string {
    return this.readingJidOf(this.rooms.get(room.toLowerCase()));
  }

  /** `readingJid` of a room already looked up. */
  private readingJidOf(s: RelayRoom | undefined): string {
    return s?.reader !== undefined && this.options.puppetJid ? this.options.puppetJid(s.reader) : this.jid;
  }

  /**
   * The JID the engine's requests to `room` (archive queries, vCards of
   * occupants) come from: an occupant's, since rooms pass iqs to occupants
   * only from occupants. The relay's while it is in the room, else the
   * reader's. (Archive queries of public rooms are answered to non-occupants
   * too, on Prosody and ejabberd alike; the reader is asked all the same.)
   */
  actorJid(room: string): string {
    const s = this.rooms.get(room.toLowerCase());
    if (!s || s.joined || s.reader === undefined) return this.jid;
    return this.readingJid(room);
  }

  /**
   * Whether a message is the copy of room traffic the engine reads: true for
   * the relay's copy while no puppet reads the room, and for the reader's
   * groupchat copy; false for the relay's copy of a room a puppet reads
   * (dropped); undefined for anything else (another puppet's copy, errors).
   */
  isReadCopy(el: Element): boolean | undefined {
    const to = (el.attrs.to ?? "").toLowerCase();
    const room = bareOf(el.attrs.from ?? "");
    const s = this.rooms.get(room);
    if (to === this.jidLower) return s?.reader === undefined;
    if (!s || s.reader === undefined || el.attrs.type !== "groupchat") return undefined;
    return to === this.readingJidOf(s).toLowerCase() ? true : undefined;
  }

  /**
   * A puppet is about to leave `room` (called before its leave is sent). When
   * it was the reader, another joined puppet reads on; when none is left, the
   * relay joins again, its join said before the puppet's leave so that the room
   * is read without a gap (the puppet stays the reader until the relay is in).
   */
  puppetLeaving(room: string, local: string): void {
    const key = room.toLowerCase();
    const s = this.rooms.get(key);
    if (!s || s.reader !== local.toLowerCase()) return;
    const next = this.presences.otherPuppet(key, s.reader);
    if (next !== undefined) {
      s.reader = next;
      return;
    }
    if (s.joined || s.joining) return;
    // `enter` would see the reader still there and do nothing. The reader reads on until the relay is in: no gap.
    void this.joinRoom(key, s, false).catch((e: unknown) => {
      if (s.reader === local.toLowerCase()) s.reader = undefined;
      this.options.onRemoved?.(key, e instanceof Error ? e.message : "rejoin failed");
    });
  }

  /** `local` reads `room` from now on; the relay leaves unless it is still joining (it leaves once joined). */
  private becomeReader(room: string, s: RelayRoom, local: string): void {
    s.reader = local;
    if (s.joined && !s.joining) this.stepAside(room, s);
  }

  private stepAside(room: string, s: RelayRoom): void {
    if (!s.joined) return;
    s.joined = false;
    s.steppedAside = true;
    void this.options
      .send(buildMucLeave({ room, nick: s.nick, from: this.jid }))
      .catch(
        logFailure(this.options.logger ?? silentLogger, "the relay could not step aside in a room", "warn", { room }),
      );
  }

  /** The relay's own nick in `room`. */
  nickIn(room: string): string | undefined {
    return this.rooms.get(room.toLowerCase())?.nick;
  }

  occupant(room: string, nick: string): Occupant | undefined {
    return this.rooms.get(room.toLowerCase())?.occupants.get(nick);
  }

  occupants(room: string): Occupant[] {
    return this.rooms.get(room.toLowerCase())?.occupants.list() ?? [];
  }

  /**
   * Joins `room` (once; concurrent callers share the join) and waits while a
   * repair holds the room. Creates the room as an instant room when it did not
   * exist.
   */
  async join(room: string): Promise<void> {
    const key = room.toLowerCase();
    await this.enter(key);
    const s = this.rooms.get(key);
    if (!s || s.holds.size === 0) return;
    await s.holds.waitOut(this.options.maxHoldMs ?? 30_000);
  }

  /** Joins `room` without waiting for holds: for the repair work itself, which `join` would wait for. */
  enter(room: string): Promise<void> {
    const key = room.toLowerCase();
    const state = this.rooms.get(key);
    // A join in flight is checked first: `joined` turns true before a new room is configured.
    if (state?.joining) return state.joining;
    if (state?.joined) return Promise.resolve();
    // A puppet reads the room in the relay's place; one that is leaving hands back to the relay (`puppetLeaving`).
    if (state?.reader !== undefined) return Promise.resolve();
    return this.joinRoom(key, state, true);
  }

  /** Joins the relay to `key` (lower-case), whoever reads it meanwhile; `afterGap`: nobody read it until now. */
  private joinRoom(key: string, state: RelayRoom | undefined, afterGap: boolean): Promise<void> {
    const s: RelayRoom = state ?? {
      nick: resourceFromNick(this.options.nick),
      joined: false,
      holds: new RoomHolds(),
      occupants: new OccupantRoster(),
    };
    this.rooms.set(key, s);
    const joining = this.joinAs(key, s).finally(() => {
      if (s.joining === joining) s.joining = undefined;
    });
    s.joining = joining;
    if (afterGap) this.options.onReadingAgain?.(key, joining);
    return joining;
  }

  /**
   * Holds `room` while `work` runs: `join` callers (the engine's senders) wait
   * until it settles, so that nothing new reaches the room before what the
   * work sends again. `work` joins with `enter`, never `join`, which would wait
   * for itself. Holds on an unknown room are not taken.
   */
  holdWhile<T>(room: string, work: () => Promise<T>): Promise<T> {
    const s = this.rooms.get(room.toLowerCase());
    const running = work();
    if (!s) return running;
    return s.holds.add(running);
  }

  /** Forgets a room and leaves it. */
  async leave(room: string): Promise<void> {
    const key = room.toLowerCase();
    const s = this.rooms.get(key);
    if (!s) return;
    this.rooms.delete(key);
    if (s.joined) {
      await this.options.send(buildMucLeave({ room: key, nick: s.nick, from: this.jid }));
    }
  }

  /**
   * Marks every room as not joined (the link to the server dropped); `enter`
   * joins them again. A join still waiting for its answer says
   * its presence again, since the first may have gone down with the old link
   * (should both arrive, the room's second answer is ignored).
   */
  markAllLeft(): void {
    for (const s of this.rooms.values()) {
      s.joined = false;
      s.reader = undefined;
      s.steppedAside = false;
      s.occupants.clear();
    }
    this.joins.resendAll();
  }

  private async joinAs(room: string, s: RelayRoom): Promise<void> {
    const candidates = [s.nick, `${s.nick} [${nickSuffix(this.options.domain)}]`];
    for (const nick of candidates) {
      const answer = await this.joins.await(
        room,
        () => this.options.send(buildMucJoin({ room, nick, from: this.jid, history: { maxstanzas: 0 } })),
        this.options.joinTimeoutMs ?? 15_000,
      );
      if (answer.error) {
        if (answer.error.condition === "conflict") continue;
        throw new RelayJoinError(
          `the bridge could not join ${room}: ${answer.error.condition}${answer.error.text ? ` (${answer.error.text})` : ""}`,
        );
      }
      s.nick = nick;
      s.joined = true;
      s.steppedAside = false;
      if (isRoomCreated(answer)) {
        const r = await this.options.router.request({
          type: "set",
          to: room,
          from: this.jid,
          payload: buildMucInstantRoom({ room, id: "x" }).getChild("query") as Element,
        });
        if (r.type !== "result") throw new RelayJoinError(`could not configure the new room ${room}`);
      }
      // A puppet joined meanwhile (or was already in): it reads the room, the relay makes way.
      if (this.rooms.get(room) === s) {
        s.reader ??= this.presences.otherPuppet(room);
        if (s.reader !== undefined) this.stepAside(room, s);
      }
      return;
    }
    throw new RelayJoinError(`the bridge could not join ${room}: its nick is taken`);
  }

  /**
   * What `room` archived (XEP-0313) since `since`, as origin-id (or message
   * id) -> the stanza-id the room gave it, newest pages first, stopping early
   * once every id in `lookingFor` is found. After a dropped link this tells a
   * message that reached the room, but whose reflection was lost with the
   * link, from one that never arrived. Only results from `room` itself count.
   * Rejects with RoomArchiveError when the room has no archive or refuses.
   */
  archivedIds(room: string, since: Date, lookingFor?: ReadonlySet<string>): Promise<Map<string, string>> {
    return this.archive.archivedIds(room, since, lookingFor);
  }

  /** The latest messages `room` archived after the one with stanza-id `after` (see `RoomArchive.archivedAfter`). */
  archivedAfter(
    room: string,
    o: { readonly after: string; readonly since: Date; readonly max: number },
  ): Promise<{ messages: ArchivedMessage[]; more: boolean }> {
    return this.archive.archivedAfter(room, o);
  }

  /** One page of what `room` archived, read forward (see `RoomArchive.archivePage`). */
  archivePage(
    room: string,
    o: { readonly after?: string; readonly since: Date; readonly max: number },
  ): Promise<ArchivePage> {
    return this.archive.archivePage(room, o);
  }

  /**
   * Takes a result of one of its archive queries, a presence addressed to the
   * relay, or a room's presence addressed to a puppet (a puppet's own joins and
   * leaves are noted, then left to MucOccupancy: false); returns false for
   * anything else.
   */
  dispatch(el: Element): boolean {
    if (el.name === "message") return this.archive.take(el);
    if (el.name !== "presence") return false;
    return this.presences.take(el);
  }
}
