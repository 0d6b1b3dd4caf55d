/**
 * The bridge's own occupant in every linked room, joined from the bare
 * component domain (`discord.example.org/relay`). Every puppet in a room gets
 * its own copy of each groupchat message; the engine reads only the relay's
 * copy, so a message is seen once however many puppets sit in the room. The
 * relay also keeps the room's occupant list (nicks, real JIDs where the room
 * discloses them, occupant ids, avatar hashes) so XMPP senders can be shown
 * on the remote side under their own name and avatar.
 */
import {
  buildMucInstantRoom,
  buildMucJoin,
  buildMucLeave,
  type Element,
  isRoomCreated,
  isSelfPresence,
  mucPresenceKind,
  type Presence,
  parsePresence,
  resourceFromNick,
} from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";
import { nickSuffix } from "../puppets/muc-occupancy.ts";

export interface Occupant {
  readonly nick: string;
  /** Real bare JID, when the room discloses it. */
  readonly jid?: string;
  readonly occupantId?: string;
  /** XEP-0153 photo hash the occupant advertises. */
  readonly avatarHash?: string;
  readonly role?: string;
}

interface RoomState {
  nick: string;
  joined: boolean;
  joining?: Promise<void>;
  occupants: Map<string, Occupant>;
}

export interface RelayOccupantOptions {
  readonly domain: string;
  readonly nick: string;
  readonly send: (el: Element) => Promise<void>;
  readonly router: IqRouter;
  readonly joinTimeoutMs?: number;
  /** The room dropped the relay (kick, shutdown, destroyed); the engine decides whether to rejoin. */
  readonly onRemoved?: (room: string, kind: string) => void;
  /** An occupant joined, changed or left (for avatar and presence bookkeeping). */
  readonly onOccupant?: (room: string, occupant: Occupant, kind: "join" | "update" | "leave") => void;
}

export class RelayJoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RelayJoinError";
  }
}

export class RelayOccupant {
  readonly jid: string;
  private readonly options: RelayOccupantOptions;
  private readonly rooms = new Map<string, RoomState>();
  private readonly waiting = new Map<string, (p: Presence) => void>();

  constructor(options: RelayOccupantOptions) {
    this.options = options;
    this.jid = `${options.domain}/relay`;
  }

  /** Rooms the relay is (or is becoming) an occupant of. */
  get roomList(): string[] {
    return [...this.rooms.keys()];
  }

  isJoined(room: string): boolean {
    return this.rooms.get(room.toLowerCase())?.joined ?? false;
  }

  /** The relay's own nick in `room`. */
  nickIn(room: string): string | undefined {
    return this.rooms.get(room.toLowerCase())?.nick;
  }

  occupant(room: string, nick: string): Occupant | undefined {
    return this.rooms.get(room.toLowerCase())?.occupants.get(nick);
  }

  occupants(room: string): Occupant[] {
    return [...(this.rooms.get(room.toLowerCase())?.occupants.values() ?? [])];
  }

  /** Joins `room` (once; concurrent callers share the join). Creates the room as an instant room when it did not exist. */
  join(room: string): Promise<void> {
    const key = room.toLowerCase();
    let state = this.rooms.get(key);
    if (state?.joined) return Promise.resolve();
    if (state?.joining) return state.joining;
    state ??= { nick: resourceFromNick(this.options.nick), joined: false, occupants: new Map() };
    this.rooms.set(key, state);
    const s = state;
    s.joining = this.joinAs(key, s).finally(() => {
      s.joining = undefined;
    });
    return s.joining;
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

  /** Marks every room as not joined (the link to the server dropped); `rejoinAll` joins them again. */
  markAllLeft(): void {
    for (const s of this.rooms.values()) {
      s.joined = false;
      s.occupants.clear();
    }
  }

  async rejoinAll(): Promise<void> {
    await Promise.all(this.roomList.map((r) => this.join(r).catch(() => undefined)));
  }

  private async joinAs(room: string, s: RoomState): Promise<void> {
    const candidates = [s.nick, `${s.nick} [${nickSuffix(this.options.domain)}]`];
    for (const nick of candidates) {
      const answer = await this.awaitSelf(room, () =>
        this.options.send(buildMucJoin({ room, nick, from: this.jid, history: { maxstanzas: 0 } })),
      );
      if (answer.error) {
        if (answer.error.condition === "conflict") continue;
        throw new RelayJoinError(
          `the bridge could not join ${room}: ${answer.error.condition}${answer.error.text ? ` (${answer.error.text})` : ""}`,
        );
      }
      s.nick = nick;
      s.joined = true;
      if (isRoomCreated(answer)) {
        const r = await this.options.router.request({
          type: "set",
          to: room,
          from: this.jid,
          payload: buildMucInstantRoom({ room, id: "x" }).getChild("query") as Element,
        });
        if (r.type !== "result") throw new RelayJoinError(`could not configure the new room ${room}`);
      }
      return;
    }
    throw new RelayJoinError(`the bridge could not join ${room}: its nick is taken`);
  }

  private awaitSelf(room: string, send: () => Promise<void>): Promise<Presence> {
    const timeoutMs = this.options.joinTimeoutMs ?? 15_000;
    return new Promise<Presence>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(room);
        reject(new RelayJoinError(`no answer from ${room} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(room, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      send().catch((e: unknown) => {
        clearTimeout(timer);
        this.waiting.delete(room);
        reject(e);
      });
    });
  }

  /** Takes a presence addressed to the relay; returns false for anything else. */
  dispatch(el: Element): boolean {
    if (el.name !== "presence" || (el.attrs.to ?? "").toLowerCase() !== this.jid.toLowerCase()) return false;
    const r = parsePresence(el);
    if (!r.ok) return true;
    const p = r.value;
    const from = p.from ?? "";
    const slash = from.indexOf("/");
    const room = (slash < 0 ? from : from.slice(0, slash)).toLowerCase();
    const nick = slash < 0 ? "" : from.slice(slash + 1);
    const s = this.rooms.get(room);
    const waiter = this.waiting.get(room);
    if (waiter && (p.error || isSelfPresence(p))) {
      this.waiting.delete(room);
      waiter(p);
      if (p.error) return true;
    }
    if (!s) return true;
    if (isSelfPresence(p)) {
      if (p.type === "unavailable") {
        const kind = mucPresenceKind(p, true);
        if (kind.kind === "nick-change") return true;
        s.joined = false;
        s.occupants.clear();
        this.options.onRemoved?.(room, kind.kind);
      }
      return true;
    }
    if (nick === "") return true;
    const known = s.occupants.has(nick);
    const kind = mucPresenceKind(p, known);
    if (p.type === "unavailable") {
      const gone = s.occupants.get(nick);
      s.occupants.delete(nick);
      if (kind.kind === "nick-change" && gone) {
        s.occupants.set(kind.newNick, { ...gone, nick: kind.newNick });
      } else if (gone) {
        this.options.onOccupant?.(room, gone, "leave");
      }
      return true;
    }
    if (p.type !== "available") return true;
    const item = p.mucUser?.items[0];
    const occupant: Occupant = {
      nick,
      ...(item?.jid !== undefined && { jid: item.jid.split("/")[0] }),
      ...(p.occupantId !== undefined && { occupantId: p.occupantId }),
      ...(p.vcardUpdate?.photo !== undefined && { avatarHash: p.vcardUpdate.photo }),
      ...(item?.role !== undefined && { role: item.role }),
    };
    s.occupants.set(nick, occupant);
    this.options.onOccupant?.(room, occupant, known ? "update" : "join");
    return true;
  }
}
