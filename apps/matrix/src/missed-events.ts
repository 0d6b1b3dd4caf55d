/**
 * Room events the homeserver accepted and will never push. Synapse hands a
 * new event to its application-service sender in memory: it records the
 * event as passed on (`appservice_stream_position`) once the event is queued
 * for the service, before the transaction carrying it is written down, and a
 * transaction written down while the service was reachable is sent again
 * after a restart only if the service had been marked down. So when Synapse
 * stops in the middle of a stream of events, the last ones it accepted (the
 * queue, and the transaction whose push was cut off) reach the bridge
 * neither then nor later, and nothing says so. Seen in the fault suite: one
 * message of 2,000, the one accepted just before the restart, was in the
 * room and never pushed (its event in Synapse's database, the stream
 * position past it, no transaction left holding it).
 *
 * The bridge cannot see the queue, but it sees the homeserver go away: a
 * push cut off before the bridge answered, or a connection the homeserver
 * closed (the bridge closes idle ones first, so the homeserver closing one is
 * its process ending, or something between the two failing). A homeserver
 * that restarts while it holds no connection (quiet past the idle-close
 * time) leaves neither trace, so two more count: its first request after
 * such a quiet, and a transaction numbered anew (Synapse on SQLite numbers
 * from 1 again after a restart); so does a transaction skipped as the
 * homeserver recovers (transactions.ts). Then, before
 * the first transaction the homeserver sends once back (or after a while if
 * it sends none), every room the bridge follows is read back (`/messages`,
 * newest first) down to the last event handled in it, and what was never
 * handed over and lies before that transaction's events is handled like a
 * transaction's events, oldest first: nothing is relayed out of order, and
 * an event read back that comes again in a transaction is not handed over
 * twice. A room with no event handled since the connector started is read
 * back to the events older than the start.
 *
 * The last event handled per room is kept in memory (one entry per room
 * that had an event), and the IDs of the last `SEEN_IDS` events, so that
 * one pushed out of order is not handed over twice.
 */
import { addBounded, type Logger } from "@parley/bridge";

/** One page of a room's timeline, newest first (`/messages?dir=b`). */
export interface TimelinePage {
  readonly chunk: readonly unknown[];
  /** The token for the next (older) page; absent at the room's beginning. */
  readonly end?: string;
}

export interface MissedEventsOptions {
  /** `/rooms/{roomId}/messages?dir=b&limit=<limit>`, from the newest event or from `from`. */
  readonly page: (roomId: string, from: string | undefined, limit: number) => Promise<TimelinePage>;
  /** The rooms to read back besides those that had events: the linked rooms. */
  readonly rooms: () => readonly string[];
  /** Handles one event read back, as a transaction's event would be. */
  readonly handle: (raw: unknown) => Promise<void>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** How long to keep asking a homeserver that does not answer yet (it is starting again); default 10 minutes. */
  readonly giveUpMs?: number;
  /** Most pages read back per room (a safety bound); default 50 (5,000 events). */
  readonly maxPages?: number;
}

/** The last event handled in a room. */
interface Mark {
  readonly eventId: string;
  readonly ts: number;
}

const PAGE_LIMIT = 100;
/** How many recently handled event IDs are remembered. */
const SEEN_IDS = 5000;
/** A room is read back this far before its mark's time at most (its mark may be missing from the timeline). */
const MARK_SLACK_MS = 5 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RawEvent {
  readonly event_id?: unknown;
  readonly room_id?: unknown;
  readonly origin_server_ts?: unknown;
}

export class MissedEvents {
  private readonly o: MissedEventsOptions;
  private readonly marks = new Map<string, Mark>();
  /** Event IDs handed over recently: at most SEEN_IDS, the oldest dropped. */
  private readonly seenIds = new Set<string>();
  private readonly startedAt: number;
  /** Why the rooms must be read back (the homeserver went away), or undefined. */
  private dueReason: string | undefined;

  constructor(o: MissedEventsOptions) {
    this.o = o;
    this.startedAt = this.now();
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** Whether the rooms must be read back before the next transaction. */
  get due(): boolean {
    return this.dueReason !== undefined;
  }

  /** The homeserver went away (`reason` for the log): read the rooms back before the next transaction. */
  suspect(reason: string): void {
    if (this.dueReason === undefined)
      this.o.logger.info("the homeserver went away; its rooms will be read back", { reason });
    this.dueReason = reason;
  }

  /** A room event was handed over (from a transaction or read back). */
  handled(raw: unknown): void {
    const e = raw as RawEvent | null;
    if (typeof e?.event_id !== "string" || typeof e.room_id !== "string") return;
    this.remember(e.event_id);
    const ts = typeof e.origin_server_ts === "number" ? e.origin_server_ts : this.now();
    const mark = this.marks.get(e.room_id);
    if (mark === undefined || ts >= mark.ts) this.marks.set(e.room_id, { eventId: e.event_id, ts });
  }

  /** Whether this event was handed over recently. */
  wasHandled(eventId: string): boolean {
    return this.seenIds.has(eventId);
  }

  private remember(eventId: string): void {
    addBounded(this.seenIds, eventId, SEEN_IDS);
  }

  /**
   * Reads every room back when due, handing over what was missed; waits for a
   * homeserver that is starting again (up to `giveUpMs`). Resolves with how
   * many events were handed over.
   *
   * `pushed`: the events of the transaction about to be handled, the first
   * the homeserver pushes since it came back. In their rooms, they and what
   * came after them are left to the homeserver, which sends them in its own
   * order (the order it persisted them in, which can differ from the room's
   * order that `/messages` gives when events were made at the same time);
   * what is read back is what lies before them.
   */
  async catchUp(pushed: readonly unknown[] = []): Promise<number> {
    const reason = this.dueReason;
    if (reason === undefined) return 0;
    this.dueReason = undefined;
    const firstPushed = new Map<string, string>();
    for (const raw of pushed) {
      const e = raw as RawEvent | null;
      if (typeof e?.event_id === "string" && typeof e.room_id === "string" && !firstPushed.has(e.room_id)) {
        firstPushed.set(e.room_id, e.event_id);
      }
    }
    const rooms = [...new Set([...this.marks.keys(), ...this.o.rooms()])];
    let total = 0;
    for (const roomId of rooms) total += await this.catchUpRoom(roomId, firstPushed.get(roomId));
    if (total > 0) {
      this.o.logger.warn("events the homeserver did not push were read back from its rooms and relayed", {
        reason,
        events: total,
      });
    } else this.o.logger.info("the homeserver's rooms were read back; nothing was missed", { reason });
    return total;
  }

  private async catchUpRoom(roomId: string, pushedFirst: string | undefined): Promise<number> {
    const mark = this.marks.get(roomId);
    /** How many of `missed` (newest first) are the homeserver's to push: those read before its first pushed one. */
    let pushedPart: number | undefined;
    const oldest = mark ? mark.ts - MARK_SLACK_MS : this.startedAt;
    const missed: RawEvent[] = [];
    let from: string | undefined;
    let reached = false;
    const maxPages = this.o.maxPages ?? 50;
    for (let page = 0; page < maxPages && !reached; page++) {
      const p = await this.pageWithRetry(roomId, from);
      if (p === undefined) return this.handOver(roomId, missed);
      for (const raw of p.chunk) {
        const e = raw as RawEvent;
        if (typeof e?.event_id !== "string") continue;
        const ts = typeof e.origin_server_ts === "number" ? e.origin_server_ts : Number.POSITIVE_INFINITY;
        if (e.event_id === mark?.eventId || ts < oldest) {
          reached = true;
          break;
        }
        if (e.event_id === pushedFirst) {
          pushedPart = missed.length;
          continue;
        }
        if (!this.seenIds.has(e.event_id)) missed.push({ ...e, room_id: roomId });
      }
      if (p.end === undefined || p.chunk.length === 0) reached = true;
      from = p.end;
    }
    if (pushedPart !== undefined) missed.splice(0, pushedPart);
    if (!reached) {
      this.o.logger.warn("a room was read back only in part: the last event handled in it is further back", {
        room: roomId,
        pages: maxPages,
      });
    }
    return this.handOver(roomId, missed);
  }

  /** Hands over what was read back (newest first), oldest first. */
  private async handOver(roomId: string, newestFirst: RawEvent[]): Promise<number> {
    let count = 0;
    for (const raw of newestFirst.reverse()) {
      try {
        await this.o.handle(raw);
        this.handled(raw);
        count++;
      } catch (e) {
        this.o.logger.error("an event read back from a room could not be relayed", {
          room: roomId,
          event: String(raw.event_id),
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return count;
  }

  /**
   * A page, asked again while the homeserver is away (no answer, 5xx, 429); undefined when it refuses
   * (another 4xx: the bot left the room) or stayed away for `giveUpMs`.
   */
  private async pageWithRetry(roomId: string, from: string | undefined): Promise<TimelinePage | undefined> {
    const deadline = this.now() + (this.o.giveUpMs ?? 10 * 60_000);
    let wait = 250;
    for (;;) {
      try {
        return await this.o.page(roomId, from, PAGE_LIMIT);
      } catch (e) {
        const status = (e as { httpStatus?: unknown } | null)?.httpStatus;
        const refused = typeof status === "number" && status < 500 && status !== 429;
        if (refused || this.now() >= deadline) {
          this.o.logger.error("a room could not be read back", {
            room: roomId,
            error: e instanceof Error ? e.message : String(e),
          });
          return undefined;
        }
        await sleep(wait);
        wait = Math.min(wait * 2, 5000);
      }
    }
  }
}
