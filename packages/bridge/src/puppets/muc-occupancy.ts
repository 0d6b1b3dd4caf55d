/**
 * Puppets as MUC occupants: join with a sanitized nick (a nick already taken
 * gets a suffix derived from the puppet's id, so the same puppet always ends
 * up with the same nick), change nick, leave, and know which rooms each puppet
 * is in. The room's answers arrive as presences routed to `dispatch`.
 */
import { createHash } from "node:crypto";
import {
  buildMucLeave,
  buildPresence,
  type Caps,
  type Element,
  isSelfPresence,
  mucPresenceKind,
  type Presence,
  parsePresence,
  resourceFromNick,
  type StanzaError,
} from "@parley/stanza";

export interface PuppetIdentity {
  /** The puppet's localpart on the component domain. */
  readonly local: string;
  /** The remote display name. */
  readonly nick: string;
  /** XEP-0153 photo hash: "" for no avatar, undefined when unknown. */
  readonly avatarHash?: string;
}

export class MucJoinError extends Error {
  readonly condition: string;
  /** The room may let the puppet in later (no answer yet, or a `wait` error): worth a retry. */
  readonly transient: boolean;
  constructor(room: string, error: StanzaError) {
    super(`could not join ${room}: ${error.condition}${error.text ? ` (${error.text})` : ""}`);
    this.name = "MucJoinError";
    this.condition = error.condition;
    this.transient = error.type === "wait";
  }
}

interface PendingJoin {
  readonly resolve: (p: Presence) => void;
  readonly timer: NodeJS.Timeout;
}

export interface MucOccupancyOptions {
  readonly domain: string;
  readonly send: (el: Element) => Promise<void>;
  /** Caps every puppet advertises (from DiscoResponder.puppetCaps). */
  readonly caps?: Caps;
  /** The puppet resource occupants are joined from. */
  readonly resource?: string;
  readonly joinTimeoutMs?: number;
  /** Told when a puppet is about to leave a room of its own accord (before its leave is sent). */
  readonly onLeave?: (room: string, local: string) => void;
  /** Told when the room drops a puppet (kicked, banned, shutdown...). */
  readonly onRemoved?: (room: string, local: string, kind: string) => void;
}

/** A suffix derived from the puppet's id: stable across restarts, different between puppets. */
export function nickSuffix(local: string, length = 4): string {
  return createHash("sha256").update(local).digest("hex").slice(0, length);
}

/** How long a nick a puppet left is still taken for ours: its departure reaches the room's readers after the bridge forgot it. */
const LEFT_CLAIM_MS = 30_000;

export class MucOccupancy {
  private readonly options: MucOccupancyOptions;
  /** room (lower-case bare JID) -> puppet local -> the nick it holds there. */
  private readonly rooms = new Map<string, Map<string, string>>();
  /** room (lower-case bare JID) -> nick -> puppet local: who of ours holds a nick. */
  private readonly nicks = new Map<string, Map<string, string>>();
  /**
   * The two maps above hold one entry per puppet seated in a room, removed as
   * it leaves or is removed: bounded by the rooms times the members who spoke
   * there. The two below hold joins in flight, removed on the answer or the
   * timeout.
   */
  private readonly pending = new Map<string, PendingJoin>();
  private readonly joining = new Map<string, Promise<string>>();
  /**
   * room (lower-case) -> nicks a puppet asked for: the room shows other
   * occupants a puppet's arrival before it confirms the join to the puppet,
   * and its departure after the bridge forgot it, so these say "ours" then.
   * A claim goes LEFT_CLAIM_MS after its puppet left.
   */
  private readonly claimed = new Map<string, Set<string>>();

  constructor(options: MucOccupancyOptions) {
    this.options = options;
  }

  /** Puppets seated in rooms, summed over the rooms (for /metrics). */
  get seats(): number {
    let n = 0;
    for (const seated of this.rooms.values()) n += seated.size;
    return n;
  }

  private jidOf(local: string): string {
    return `${local}@${this.options.domain}/${this.options.resource ?? "bridge"}`;
  }

  /** The nick `local` holds in `room`, if joined. */
  nickIn(room: string, local: string): string | undefined {
    return this.rooms.get(room.toLowerCase())?.get(local);
  }

  /** Whether `nick` in `room` is one of our puppets, including one joining or just gone. */
  isPuppetNick(room: string, nick: string): boolean {
    return this.localByNick(room, nick) !== undefined || (this.claimed.get(room.toLowerCase())?.has(nick) ?? false);
  }

  private claim(room: string, nick: string): void {
    const key = room.toLowerCase();
    let set = this.claimed.get(key);
    if (!set) {
      set = new Set();
      this.claimed.set(key, set);
    }
    set.add(nick);
  }

  private unclaim(room: string, nick: string, afterMs = 0): void {
    const drop = () => {
      const key = room.toLowerCase();
      if (this.localByNick(key, nick) !== undefined) return; // taken again meanwhile
      const set = this.claimed.get(key);
      set?.delete(nick);
      if (set?.size === 0) this.claimed.delete(key);
    };
    if (afterMs === 0) drop();
    else setTimeout(drop, afterMs).unref();
  }

  /** The puppet holding `nick` in `room`, if it is one of ours. */
  localByNick(room: string, nick: string): string | undefined {
    return this.nicks.get(room.toLowerCase())?.get(nick);
  }

  /**
   * Forgets every occupancy (the link to the server dropped, so the rooms may
   * have dropped the puppets) and returns what was held, to join again.
   */
  forgetAll(): Array<{ room: string; local: string }> {
    const held = this.held();
    this.rooms.clear();
    this.nicks.clear();
    return held;
  }

  /**
   * Every puppet leaves every room it occupies, saying `status` (the bridge
   * is stopping). The occupancies are dropped at once; the returned promise
   * settles when the presences are sent, or dropped with the session.
   */
  async leaveAll(status?: string): Promise<void> {
    // Only at stop: a leave the stopping session cannot send any more goes down with the session.
    await Promise.all(this.held().map(({ room, local }) => this.leave(local, room, status).catch(() => undefined)));
  }

  /** Every occupancy, as a list (leaving changes the maps behind it). */
  private held(): Array<{ room: string; local: string }> {
    const held: Array<{ room: string; local: string }> = [];
    for (const [room, m] of this.rooms) for (const local of m.keys()) held.push({ room, local });
    return held;
  }

  /** How many puppets occupy `room` (without a copy of the list). */
  countIn(room: string): number {
    return this.rooms.get(room.toLowerCase())?.size ?? 0;
  }

  /** The puppets occupying `room`. */
  localsIn(room: string): string[] {
    return [...(this.rooms.get(room.toLowerCase())?.keys() ?? [])];
  }

  /** Occupied rooms of a puppet. */
  roomsOf(local: string): string[] {
    return [...this.rooms].filter(([, m]) => m.has(local)).map(([r]) => r);
  }

  private presenceFor(p: PuppetIdentity, to: string, join: boolean): Element {
    return buildPresence({
      from: this.jidOf(p.local),
      to,
      nick: p.nick,
      ...(join && { muc: { history: { maxstanzas: 0 } } }),
      ...(p.avatarHash !== undefined && { vcardUpdate: { photo: p.avatarHash } }),
      ...(this.options.caps && { caps: this.options.caps }),
    });
  }

  /**
   * Joins `room`; on a nick conflict retries with a suffix (4, then 8 hex
   * digits of the puppet id). Resolves with the nick obtained.
   */
  join(p: PuppetIdentity, room: string): Promise<string> {
    // A join already under way is shared: a second presence would take over the first one's answer.
    const key = `${room.toLowerCase()} ${p.local.toLowerCase()}`;
    let running = this.joining.get(key);
    if (!running) {
      running = this.joinNow(p, room).finally(() => this.joining.delete(key));
      this.joining.set(key, running);
    }
    return running;
  }

  private async joinNow(p: PuppetIdentity, room: string): Promise<string> {
    const base = resourceFromNick(p.nick);
    const candidates = [base, `${base} [${nickSuffix(p.local)}]`, `${base} [${nickSuffix(p.local, 8)}]`];
    let last: StanzaError | undefined;
    for (const nick of candidates) {
      this.claim(room, nick);
      const answer = await this.await(room, p.local, () =>
        this.options.send(this.presenceFor(p, `${room}/${nick}`, true)),
      );
      if (!answer.error) {
        this.remember(room, p.local, nick);
        return nick;
      }
      this.unclaim(room, nick);
      last = answer.error;
      if (answer.error.condition !== "conflict") break;
    }
    throw new MucJoinError(room, last ?? { type: "cancel", condition: "undefined-condition" });
  }

  /** Changes the puppet's nick in `room` (XEP-0045 §7.6); resolves with the nick obtained. */
  async changeNick(p: PuppetIdentity, room: string): Promise<string> {
    const current = this.nickIn(room, p.local);
    if (current === undefined) return this.join(p, room);
    const nick = resourceFromNick(p.nick);
    if (nick === current) return current;
    this.claim(room, nick);
    const answer = await this.await(room, p.local, () =>
      this.options.send(this.presenceFor(p, `${room}/${nick}`, false)),
    );
    if (answer.error) {
      this.unclaim(room, nick);
      if (answer.error.condition === "conflict") {
        const suffixed = `${nick} [${nickSuffix(p.local)}]`;
        this.claim(room, suffixed);
        const again = await this.await(room, p.local, () =>
          this.options.send(this.presenceFor(p, `${room}/${suffixed}`, false)),
        );
        if (!again.error) {
          this.remember(room, p.local, suffixed);
          this.unclaim(room, current, LEFT_CLAIM_MS);
          return suffixed;
        }
        this.unclaim(room, suffixed);
      }
      return current;
    }
    this.remember(room, p.local, nick);
    this.unclaim(room, current, LEFT_CLAIM_MS);
    return nick;
  }

  async leave(local: string, room: string, status?: string): Promise<void> {
    const nick = this.nickIn(room, local);
    if (nick === undefined) return;
    this.forget(room.toLowerCase(), local);
    this.unclaim(room, nick, LEFT_CLAIM_MS);
    this.options.onLeave?.(room.toLowerCase(), local);
    await this.options.send(
      buildMucLeave({ room, nick, from: this.jidOf(local), ...(status !== undefined && { status }) }),
    );
  }

  /** Takes a presence routed to the component; returns true when it concerned a puppet's occupancy. */
  dispatch(el: Element): boolean {
    if (el.name !== "presence") return false;
    const r = parsePresence(el);
    if (!r.ok) return false;
    const p = r.value;
    const room = (p.from ?? "").split("/")[0]?.toLowerCase() ?? "";
    const local = (p.to ?? "").split("@")[0] ?? "";
    const key = `${room} ${local}`;
    const waiting = this.pending.get(key);
    if (waiting && (p.error || isSelfPresence(p))) {
      this.pending.delete(key);
      clearTimeout(waiting.timer);
      waiting.resolve(p);
      return true;
    }
    // A destroyed room removes everyone; some servers (ejabberd) say so without the self status 110.
    if ((isSelfPresence(p) || p.mucUser?.destroy !== undefined) && p.type === "unavailable") {
      const kind = mucPresenceKind(p, true);
      if (kind.kind === "nick-change") {
        // The room confirms a nick change in two steps; the join-side presence follows.
        return true;
      }
      const nick = this.nickIn(room, local);
      if (this.forget(room, local)) {
        if (nick !== undefined) this.unclaim(room, nick, LEFT_CLAIM_MS);
        this.options.onRemoved?.(room, local, kind.kind);
      }
      return true;
    }
    return false;
  }

  private remember(room: string, local: string, nick: string): void {
    const key = room.toLowerCase();
    this.forget(key, local);
    let m = this.rooms.get(key);
    if (!m) {
      m = new Map();
      this.rooms.set(key, m);
    }
    m.set(local, nick);
    let n = this.nicks.get(key);
    if (!n) {
      n = new Map();
      this.nicks.set(key, n);
    }
    n.set(nick, local);
  }

  /** Drops `local`'s occupancy of `room` (lower-case); true when it held one. */
  private forget(room: string, local: string): boolean {
    const m = this.rooms.get(room);
    const nick = m?.get(local);
    if (nick === undefined || !m) return false;
    m.delete(local);
    const n = this.nicks.get(room);
    if (n?.get(nick) === local) n.delete(nick);
    return true;
  }

  private async await(room: string, local: string, send: () => Promise<void>): Promise<Presence> {
    const key = `${room.toLowerCase()} ${local.toLowerCase()}`;
    const timeoutMs = this.options.joinTimeoutMs ?? 15_000;
    const answer = new Promise<Presence>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending.get(key)?.timer === timer) this.pending.delete(key);
        resolve({
          type: "error",
          error: {
            type: "wait",
            condition: "remote-server-timeout",
            text: `no answer from ${room} within ${timeoutMs} ms`,
          },
          extra: [],
          invalid: [],
        });
      }, timeoutMs);
      this.pending.set(key, { resolve, timer });
    });
    await send();
    return answer;
  }
}
