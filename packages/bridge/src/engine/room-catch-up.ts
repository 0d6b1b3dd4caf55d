/**
 * XMPP -> remote catch-up. While the bridge reads no copy of a linked room
 * (it was stopped, its link to the server was down, the relay was kicked, or
 * the room dropped the puppet reading it), what XMPP users say there never
 * reaches the engine. The engine notes the stanza-id of the last message it
 * read in each room; when it starts reading the room again, it asks the room's
 * archive (XEP-0313) for what came after that message and relays it, oldest
 * first, before anything said live from then on.
 *
 * Bounded by count and age: a room that talked for days while the bridge was
 * away gets its latest `maxMessages` of the last `maxAgeMs`, with a log line
 * saying how much was left out. A message relayed both from the archive and
 * live is posted once: both carry the room's stanza-id, which keys delivery.
 * A room never read before has nothing caught up; one whose archive no longer
 * has the last message read (expired, or the room was made again) gets the
 * latest it has within those bounds.
 */
import type { Logger } from "../ops/logger-types.ts";
import { KeyedChains } from "../store/keyed-chains.ts";
import type { BridgeStore } from "../store/store-types.ts";
import type { ArchivedMessage } from "./relay-occupant.ts";

/** Where the last message read in each room is kept (store state). */
const SCOPE = "engine";
const keyOf = (room: string) => `xmpp-seen ${room.toLowerCase()}`;

export interface RoomCatchUpOptions {
  readonly store: Pick<BridgeStore, "getState" | "setState">;
  readonly logger: Logger;
  /** What a room archived after a message, oldest first (RelayOccupant.archivedAfter). */
  readonly archivedAfter: (
    room: string,
    o: { readonly after: string; readonly since: Date; readonly max: number },
  ) => Promise<{ messages: ArchivedMessage[]; more: boolean }>;
  /** At most this many messages per room and catch-up; 0 turns catch-up off. */
  readonly maxMessages: number;
  /** Nothing older than this is caught up. */
  readonly maxAgeMs: number;
  /** How long a newly read stanza-id may wait before it is written (default 1 s). */
  readonly flushMs?: number;
  readonly now?: () => number;
}

export class RoomCatchUp {
  private readonly o: RoomCatchUpOptions;
  /** Per room: the stanza-id of the last message read, as far as it is known in memory. */
  private readonly last = new Map<string, string>();
  private readonly unwritten = new Set<string>();
  private readonly running = new KeyedChains();
  /** Per room under catch-up: stanza-ids of the messages read live meanwhile (the catch-up stops short of them). */
  private readonly heldLive = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Rooms whose catch-up was cut short by `close`. */
  private readonly cutShort = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(o: RoomCatchUpOptions) {
    this.o = o;
  }

  /**
   * A message of `room` with stanza-id `stanzaId` was read live (and dealt
   * with): the next catch-up starts after it. Ignored while a catch-up of the
   * room is under way, which sets the mark itself as it relays.
   */
  read(room: string, stanzaId: string): void {
    const key = room.toLowerCase();
    // A room whose catch-up the stop cut short keeps its mark: the rest is caught up at the next start.
    if (this.running.settled(key) === undefined && !this.cutShort.has(key)) this.mark(key, stanzaId);
  }

  private mark(key: string, stanzaId: string): void {
    this.last.set(key, stanzaId);
    this.unwritten.add(key);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.o.flushMs ?? 1000);
    this.timer.unref?.();
  }

  /** The room is no longer linked: a later link starts afresh, with nothing to catch up. */
  async forget(room: string): Promise<void> {
    const key = room.toLowerCase();
    this.last.delete(key);
    this.unwritten.delete(key);
    await this.o.store.setState(SCOPE, keyOf(key), "");
  }

  /**
   * The bridge stops: catch-ups under way stop relaying, and their rooms'
   * marks stay where they are (the next start catches up the rest; what goes
   * out twice is posted once, by its delivery key).
   */
  close(): void {
    this.closed = true;
  }

  /** Writes what was read since the last write. Never rejects (a failure is logged; the next read tries again). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rooms = [...this.unwritten];
    this.unwritten.clear();
    this.writing = this.writing.then(async () => {
      for (const room of rooms) {
        const id = this.last.get(room);
        if (id === undefined) continue;
        await this.o.store.setState(SCOPE, keyOf(room), id).catch((e: unknown) => {
          this.unwritten.add(room);
          this.o.logger.warn("could not note the last message read in a room", {
            room,
            error: e instanceof Error ? e.message : String(e),
          });
        });
      }
    });
    return this.writing;
  }

  /**
   * A message of `room` read live: what it must wait for (a catch-up of the
   * room under way), or undefined. Call it as the message arrives: the
   * catch-up stops short of it, since the room's archive has everything said
   * after the join twice over (live, and archived).
   */
  live(room: string, stanzaId: string | undefined): Promise<void> | undefined {
    const key = room.toLowerCase();
    const running = this.running.settled(key);
    if (running && stanzaId !== undefined) this.heldLive.get(key)?.add(stanzaId);
    return running;
  }

  /**
   * The engine starts reading `room` again once `joined` resolves: from now
   * on, live messages wait (`settled`) while what the room archived after the
   * last message read goes to `relay`, oldest first (after any catch-up of the
   * room still under way). `relay` says whether it relayed the message. Never
   * rejects.
   */
  begin(room: string, joined: Promise<unknown>, relay: (m: ArchivedMessage) => Promise<boolean>): void {
    if (this.o.maxMessages <= 0) return;
    const key = room.toLowerCase();
    const previous = this.running.settled(key);
    if (!this.heldLive.has(key)) this.heldLive.set(key, new Set());
    this.running.add(key, this.catchUp(key, previous, joined, relay));
    // After the chain forgets the room (its own callback comes first): the live ids are no longer needed.
    void this.running.settled(key)?.then(() => {
      if (this.running.settled(key) === undefined) this.heldLive.delete(key);
    });
  }

  private async catchUp(
    room: string,
    previous: Promise<void> | undefined,
    joined: Promise<unknown>,
    relay: (m: ArchivedMessage) => Promise<boolean>,
  ): Promise<void> {
    await previous;
    // Live reads do not move the mark from here until this catch-up is done.
    const after =
      this.last.get(room) || (await this.o.store.getState(SCOPE, keyOf(room)).catch(() => undefined)) || undefined;
    try {
      await joined;
    } catch {
      return; // not in the room: the next join catches up
    }
    if (after === undefined) return;
    const now = (this.o.now ?? Date.now)();
    let found: { messages: ArchivedMessage[]; more: boolean };
    try {
      found = await this.o.archivedAfter(room, {
        after,
        since: new Date(now - this.o.maxAgeMs),
        max: this.o.maxMessages,
      });
    } catch (e) {
      this.o.logger.info("could not read what a room said while the bridge was away; it is not caught up", {
        room,
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    let relayed = 0;
    const heldLive = this.heldLive.get(room);
    for (const m of found.messages) {
      if (heldLive?.has(m.stanzaId)) break; // from here on, read live since the join
      if (this.closed) {
        this.cutShort.add(room);
        break;
      }
      try {
        if (await relay(m)) relayed++;
      } catch (e) {
        if (this.closed) {
          this.cutShort.add(room); // the bridge is stopping: the next start catches it up
          break;
        }
        this.o.logger.warn("a message from a room's archive could not be relayed", {
          room,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      this.mark(room, m.stanzaId);
    }
    if (relayed > 0) {
      this.o.logger.info("caught up with what a room said while the bridge was away", { room, messages: relayed });
    }
    if (found.more) {
      this.o.logger.warn("a room said more while the bridge was away than is caught up; the rest is not relayed", {
        room,
        caughtUp: this.o.maxMessages,
      });
    }
  }
}
