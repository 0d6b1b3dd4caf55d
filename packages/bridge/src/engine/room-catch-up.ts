/**
 * XMPP -> remote catch-up. While the bridge reads no copy of a linked room
 * (it was stopped, its link to the server was down, the relay was kicked, or
 * the room dropped the puppet reading it), what XMPP users say there never
 * reaches the engine. The engine notes the stanza-id of the last message it
 * read in each room; when it starts reading the room again, it asks the room's
 * archive (XEP-0313) for what came after that message and relays it, oldest
 * first, before anything said live from then on.
 *
 * Bounded by age: everything the room said in the last `maxAgeMs` after the
 * last message read comes through, read forward from that message page by
 * page (progress in the log, and `onProgress` for a metric); `maxMessages` is
 * only a safety bound. A message relayed both from the archive and live is
 * posted once: both carry the room's stanza-id, which keys delivery. A room
 * never read before has nothing caught up. What cannot be caught up is said,
 * with its range, in the log and to the bridge's admins (`notice`): what is
 * older than `maxAgeMs`, and what the archive no longer has (it was pruned, or
 * the room was made again: then the catch-up starts at the oldest message it
 * has since the last one read).
 *
 * Read first, relayed after: the archive of a real server is bounded (Prosody
 * keeps a room's last messages and drops the oldest), so what the bridge
 * writes into the room, the network's own backlog above all, would push the
 * oldest of what the room said meanwhile out of it before the catch-up reached
 * it. So the catch-up reads the room's archive to the end of its range before
 * the bridge writes anything into that room (`archiveRead`, which the engine's
 * room sends wait for), and relays what it read, in order, as it reads on.
 * What is read and not relayed yet is held, at most `maxHeld` messages per
 * room; a longer catch-up reads on as those are relayed, and the room waits
 * for it to read to the end.
 */
import { logFailure } from "../delivery/delivery-errors.ts";
import type { Logger } from "../ops/logger-types.ts";
import { KeyedChains } from "../store/keyed-chains.ts";
import type { BridgeStore } from "../store/store-types.ts";
import { CatchUpBuffer } from "./catch-up-buffer.ts";
import type { ArchivedMessage } from "./room-archive.ts";

/** Where the last message read in each room is kept (store state). */
const SCOPE = "engine";
const keyOf = (room: string) => `xmpp-seen ${room.toLowerCase()}`;

/** Messages per archive page; and how often (in pages) a long catch-up logs its progress. */
const PAGE = 100;
const PROGRESS_EVERY_PAGES = 50;

/**
 * Messages read from one room's archive and not relayed yet, at most (the
 * default of `maxHeld`). A catch-up longer than this reads on as the oldest
 * are relayed, and the bridge writes nothing into the room until it has read
 * to the end.
 */
const MAX_HELD = 5_000;

/** What the archive reader hands the relayer: a message, or the archive id of one it could not read. */
type Held = { readonly m: ArchivedMessage } | { readonly skip: string };

/** How far a catch-up has come: messages read from the archive and relayed, pages asked. */
interface Tally {
  read: number;
  relayed: number;
  pages: number;
}

/** The last message read in a room: its stanza-id, and when it was said (when known). */
interface Mark {
  readonly id: string;
  readonly at?: number;
}

/** A mark as kept in the store: JSON `{id, at}`, or a bare stanza-id as written before marks had a time. */
function parseMark(saved: string | undefined): Mark | undefined {
  if (saved === undefined || saved === "") return undefined;
  if (!saved.startsWith("{")) return { id: saved };
  try {
    const v: unknown = JSON.parse(saved);
    if (typeof v !== "object" || v === null) return undefined;
    const { id, at } = v as { id?: unknown; at?: unknown };
    if (typeof id !== "string" || id === "") return undefined;
    return { id, ...(typeof at === "number" && Number.isSafeInteger(at) && { at }) };
  } catch {
    return undefined; // a mark that is not JSON counts as none
  }
}

export interface RoomCatchUpOptions {
  readonly store: Pick<BridgeStore, "getState" | "setState">;
  readonly logger: Logger;
  /**
   * One page of what a room archived, oldest first: after the message
   * `after`, or without it since `since` (RelayOccupant.archivePage).
   * `afterMissing`: the archive no longer has `after`.
   */
  readonly archivedAfter: (
    room: string,
    o: { readonly after?: string; readonly since: Date; readonly max: number },
  ) => Promise<{ messages: ArchivedMessage[]; more: boolean; afterMissing?: boolean; last?: string }>;
  /** A safety bound: at most this many messages per room and catch-up; 0 turns catch-up off. */
  readonly maxMessages: number;
  /** Nothing older than this is caught up. */
  readonly maxAgeMs: number;
  /** Tells the bridge's admins what could not be caught up (the engine's admin notices). */
  readonly notice?: (text: string) => Promise<void>;
  /**
   * Messages read from a room's archive and not relayed yet, at most
   * (default 5,000): the memory a long catch-up costs per room.
   */
  readonly maxHeld?: number;
  /** Messages relayed from the archive, as they are (for a metric). */
  readonly onProgress?: (room: string, relayed: number) => void;
  /** How long a newly read stanza-id may wait before it is written (default 1 s). */
  readonly flushMs?: number;
  readonly now?: () => number;
}

export class RoomCatchUp {
  private readonly o: RoomCatchUpOptions;
  /** Per room: the last message read, as far as it is known in memory. */
  private readonly last = new Map<string, Mark>();
  private readonly unwritten = new Set<string>();
  /**
   * Per room: messages read live and not dealt with yet, in the order they
   * came (with their mark once dealt with, while one before them is not).
   * Bounded by what is in flight: each entry goes once it and those before it
   * are dealt with.
   */
  private readonly inFlight = new Map<string, Map<string, { done?: Mark }>>();
  private readonly running = new KeyedChains();
  /** Per room under catch-up: stanza-ids of the messages read live meanwhile (the catch-up stops short of them). */
  private readonly heldLive = new Map<string, Set<string>>();
  /** Per room under catch-up: settles once the catch-up has read the room's archive as far as it goes. */
  private readonly reading = new Map<string, Promise<void>>();
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
  read(room: string, stanzaId: string, at?: number): void {
    const key = room.toLowerCase();
    const mark = { id: stanzaId, at: at ?? this.now() };
    // The mark never passes a message still on its way (to any of the room's channels): a message read after it
    // waits in line, and the mark moves past both once the earlier one is done.
    const flight = this.inFlight.get(key);
    let settled: Mark | undefined = mark;
    if (flight !== undefined) {
      const entry = flight.get(stanzaId);
      if (entry !== undefined) entry.done = mark;
      else flight.set(stanzaId, { done: mark });
      settled = undefined;
      for (const [id, e] of flight) {
        if (e.done === undefined) break;
        settled = e.done;
        flight.delete(id);
      }
      if (flight.size === 0) this.inFlight.delete(key);
    }
    // A room whose catch-up the stop cut short keeps its mark: the rest is caught up at the next start.
    if (settled !== undefined && this.running.settled(key) === undefined && !this.cutShort.has(key)) {
      this.mark(key, settled);
    }
  }

  /**
   * A message of `room` with stanza-id `stanzaId` was read live and is on its
   * way (`read` says when it is dealt with): until then the mark stays before
   * it, whatever is read after it.
   */
  private arrived(room: string, stanzaId: string): void {
    let flight = this.inFlight.get(room);
    if (flight === undefined) {
      flight = new Map();
      this.inFlight.set(room, flight);
    }
    if (!flight.has(stanzaId)) flight.set(stanzaId, {});
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private mark(key: string, mark: Mark): void {
    this.last.set(key, mark);
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
        const mark = this.last.get(room);
        if (mark === undefined) continue;
        await this.o.store.setState(SCOPE, keyOf(room), JSON.stringify(mark)).catch((e: unknown) => {
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
   * room under way), or undefined. Call it as the message arrives, and `read`
   * once it is dealt with: the mark does not pass it meanwhile. The
   * catch-up stops short of it, since the room's archive has everything said
   * after the join twice over (live, and archived).
   */
  live(room: string, stanzaId: string | undefined): Promise<void> | undefined {
    const key = room.toLowerCase();
    if (stanzaId !== undefined) this.arrived(key, stanzaId);
    const running = this.running.settled(key);
    if (running && stanzaId !== undefined) this.heldLive.get(key)?.add(stanzaId);
    return running;
  }

  /**
   * What the bridge must wait for before it writes anything into `room` (a
   * message, a correction, a reaction from the network): the catch-up of the
   * room reading its archive, or undefined. Never rejects. A room's archive
   * may be bounded (Prosody keeps the last `storage_archive_item_limit`
   * messages and drops the oldest): written first, the network's backlog
   * would push what the room said while the bridge was away out of it
   * before it is read.
   */
  archiveRead(room: string): Promise<void> | undefined {
    return this.reading.get(room.toLowerCase());
  }

  /**
   * The engine starts reading `room` again once `joined` resolves: from now
   * on, live messages wait (`settled`) while what the room archived after the
   * last message read goes to `relay`, oldest first (after any catch-up of the
   * room still under way). `relay` says whether it relayed the message. The
   * archive is read to the end of the catch-up first (`archiveRead` settles
   * then), holding at most `maxHeld` messages not relayed yet: past that the
   * read goes on as they are relayed. Never rejects.
   */
  begin(room: string, joined: Promise<unknown>, relay: (m: ArchivedMessage) => Promise<boolean>): void {
    if (this.o.maxMessages <= 0) return;
    const key = room.toLowerCase();
    const previous = this.running.settled(key);
    if (!this.heldLive.has(key)) this.heldLive.set(key, new Set());
    const read = Promise.withResolvers<void>();
    this.reading.set(key, read.promise);
    void read.promise.then(() => {
      if (this.reading.get(key) === read.promise) this.reading.delete(key);
    });
    this.running.add(key, this.catchUp(key, previous, joined, relay, read.resolve));
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
    readDone: () => void,
  ): Promise<void> {
    try {
      await this.catchUpOnce(room, previous, joined, relay, readDone);
    } finally {
      readDone();
    }
  }

  private async catchUpOnce(
    room: string,
    previous: Promise<void> | undefined,
    joined: Promise<unknown>,
    relay: (m: ArchivedMessage) => Promise<boolean>,
    readDone: () => void,
  ): Promise<void> {
    await previous;
    // Live reads do not move the mark from here until this catch-up is done.
    const mark =
      this.last.get(room) ??
      parseMark(
        await this.o.store.getState(SCOPE, keyOf(room)).catch(
          logFailure(this.o.logger, "could not read the last message read in a room; catching up by age", "warn", {
            room,
          }),
        ),
      );
    try {
      await joined;
    } catch {
      return; // not in the room: the next join catches up
    }
    if (mark === undefined) return;
    const sinceMs = this.now() - this.o.maxAgeMs;
    // Older than the catch-up reaches: from the oldest it reaches, and that much is said.
    let after: string | undefined = mark.id;
    if (mark.at !== undefined && mark.at < sinceMs) {
      after = undefined;
      await this.lost(room, mark.at, sinceMs, "it is older than xmpp.catchUp.maxAgeHours");
    }
    const since = new Date(Math.max(sinceMs, mark.at ?? sinceMs));
    // The archive is read to the end first (what is read waits here to be relayed), while nothing the bridge
    // writes into the room goes in (`archiveRead`): a bounded archive would otherwise drop the oldest of what
    // the room said meanwhile to make room for the network's backlog, before the catch-up reached it.
    const held = new CatchUpBuffer<Held>(this.o.maxHeld ?? MAX_HELD);
    const tally: Tally = { read: 0, relayed: 0, pages: 0 };
    const reading = this.readArchive(room, mark, since, after, held, tally).finally(() => {
      held.end();
      readDone();
    });
    await this.relayHeld(room, held, relay, tally);
    const { more } = await reading;
    if (tally.relayed > 0 || tally.read > 0) {
      this.o.logger.info("caught up with what a room said while the bridge was away", { room, ...tally });
    }
    if (more && tally.read >= this.o.maxMessages) {
      await this.lost(
        room,
        this.last.get(room)?.at,
        this.now(),
        `the catch-up stopped at its safety bound of ${this.o.maxMessages} messages (xmpp.catchUp.maxMessages)`,
      );
    }
  }

  /**
   * Reads `room`'s archive forward from `start` page by page into `held`
   * (waiting for room there), up to a message read live, the archive's end,
   * or the safety bound. `more`: the archive had more when it stopped.
   */
  private async readArchive(
    room: string,
    mark: Mark,
    since: Date,
    start: string | undefined,
    held: CatchUpBuffer<Held>,
    tally: Tally,
  ): Promise<{ more: boolean }> {
    const heldLive = this.heldLive.get(room);
    let after = start;
    let lastAt = mark.at;
    let more = true;
    try {
      while (more && tally.read < this.o.maxMessages) {
        if (this.closed) {
          this.cutShort.add(room); // the next start reads the rest
          return { more: false };
        }
        const page = await this.o.archivedAfter(room, {
          ...(after !== undefined && { after }),
          since,
          max: Math.min(PAGE, this.o.maxMessages - tally.read),
        });
        tally.pages++;
        const pageAfter = after;
        if (page.afterMissing) {
          // The archive no longer has the last message read: from the oldest it has since then.
          after = undefined;
          const first = await this.o.archivedAfter(room, { since, max: 1 });
          const firstAt = first.messages[0]?.stamp?.getTime() ?? this.now();
          // The log names both ends by stanza-id too (the archive's times may be to the second only).
          await this.lost(room, lastAt, firstAt, "the room's archive no longer has it", {
            ...(pageAfter !== undefined && { lastRead: pageAfter }),
            ...(first.messages[0] !== undefined && { oldestArchived: first.messages[0].stanzaId }),
          });
          continue;
        }
        more = page.more;
        for (const m of page.messages) {
          if (heldLive?.has(m.stanzaId)) return { more: false }; // from here on, read live since the join
          if (!(await held.put({ m }))) return { more: false }; // the relaying stopped (the bridge stops)
          tally.read++;
          after = m.stanzaId;
          if (m.stamp !== undefined) lastAt = m.stamp.getTime();
        }
        // A message the page held but never handed over readable (a stanza over xmpp.limits) is skipped once:
        // the mark moves past it, so no catch-up reads it again.
        if (page.last !== undefined && page.last !== after) {
          if (!(await held.put({ skip: page.last }))) return { more: false };
          after = page.last;
        }
        // A page that brought nothing and moved nowhere ends the catch-up (it would only be asked again).
        if (page.messages.length === 0 && after === pageAfter) break;
        if (tally.pages % PROGRESS_EVERY_PAGES === 0) {
          this.o.logger.info("catching up with what a room said while the bridge was away", { room, ...tally });
        }
      }
    } catch (e) {
      this.o.logger.warn("could not read what a room said while the bridge was away; the rest is not caught up", {
        room,
        read: tally.read,
        error: e instanceof Error ? e.message : String(e),
      });
      await this.lost(room, lastAt, this.now(), "the room's archive could not be read");
      return { more: false };
    }
    return { more };
  }

  /** Relays what `readArchive` holds, oldest first, moving the room's mark past each. */
  private async relayHeld(
    room: string,
    held: CatchUpBuffer<Held>,
    relay: (m: ArchivedMessage) => Promise<boolean>,
    tally: Tally,
  ): Promise<void> {
    for (let item = await held.take(); item !== undefined; item = await held.take()) {
      if ("skip" in item) {
        this.o.logger.warn("a message in a room's archive could not be read; it is skipped", {
          room,
          archiveId: item.skip,
        });
        const at = this.last.get(room)?.at;
        this.mark(room, at === undefined ? { id: item.skip } : { id: item.skip, at });
        continue;
      }
      const m = item.m;
      if (this.closed) {
        this.cutShort.add(room);
        held.cancel();
        return;
      }
      try {
        if (await relay(m)) tally.relayed++;
      } catch (e) {
        if (this.closed) {
          this.cutShort.add(room); // the bridge is stopping: the next start catches it up
          held.cancel();
          return;
        }
        this.o.logger.warn("a message from a room's archive could not be relayed", {
          room,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      this.mark(room, { id: m.stanzaId, ...(m.stamp !== undefined && { at: m.stamp.getTime() }) });
      this.o.onProgress?.(room, 1);
    }
  }

  /** What a room said from `from` to `to` (ms; `from` unknown for a mark kept without a time) is not caught up. */
  private async lost(
    room: string,
    from: number | undefined,
    to: number,
    why: string,
    ids: { readonly lastRead?: string; readonly oldestArchived?: string } = {},
  ): Promise<void> {
    const range = `${from === undefined ? "the last message the bridge read" : new Date(from).toISOString()} to ${new Date(to).toISOString()}`;
    this.o.logger.warn("part of what a room said while the bridge was away cannot be caught up", {
      room,
      from: from === undefined ? undefined : new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      why,
      ...ids,
    });
    await this.o.notice?.(`What ${room} said from ${range} was not relayed: ${why}.`).catch((e: unknown) =>
      this.o.logger.warn("could not tell the admins what a room's catch-up missed", {
        room,
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  }
}
