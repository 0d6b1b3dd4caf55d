/**
 * Reading a room's archive (XEP-0313) for the relay: to tell a message that
 * reached the room (but whose reflection was lost) from one that did not, and
 * to read back what the room said while nobody of ours read it. The queries go
 * from whoever reads the room (`askFrom`); the results arrive as messages the
 * relay hands to `take`.
 */
import {
  buildMamQuery,
  type Element,
  type MamResult,
  type Message,
  NS,
  parseMamFin,
  parseMessage,
} from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";

/** A message read back from a room's archive. */
export interface ArchivedMessage {
  /** The archive's id for it: the stanza-id the room gave it. */
  readonly stanzaId: string;
  /** When the room archived it, when the archive says. */
  readonly stamp?: Date;
  readonly message: Message;
}

/** One page of a room's archive read forward (`RelayOccupant.archivePage`). */
export interface ArchivePage {
  /** Oldest first. */
  readonly messages: ArchivedMessage[];
  /** Whether the archive has more after the last of these. */
  readonly more: boolean;
  /** The archive does not hold the message the page was to start after (pruned, or the room was made again). */
  readonly afterMissing?: boolean;
  /**
   * The archive's id of the last message of the page (RSM `<last/>`), also
   * when that message never arrived readable (dropped over xmpp.limits, or
   * not a message we can read): the next page starts after it.
   */
  readonly last?: string;
}

/** A room's archive could not be read (no archive, query refused, unreadable answer). */
export class RoomArchiveError extends Error {
  readonly room: string;
  constructor(room: string, message: string) {
    super(`the archive of ${room} could not be read: ${message}`);
    this.name = "RoomArchiveError";
    this.room = room;
  }
}

/**
 * Page size of archive queries, and how many pages one lookup back from the
 * newest reads at most (100,000 messages: a lookup by origin-id after a
 * restart may have a long burst to read past).
 */
const ARCHIVE_PAGE = 100;
const ARCHIVE_MAX_PAGES = 1000;

/** An archive query in progress: each of its results from the room goes to `take`. */
interface ArchiveQuery {
  readonly room: string;
  readonly take: (r: MamResult) => void;
}

export interface RoomArchiveOptions {
  readonly router: IqRouter;
  /** The JID a query to `room` comes from (lower-case room): an occupant's, since rooms answer occupants. */
  readonly askFrom: (room: string) => string;
  /** How long a query may take, per page (default: the router's request timeout). */
  readonly timeoutMs?: number;
}

export class RoomArchive {
  private readonly options: RoomArchiveOptions;
  /** Queries in flight, removed when they end or time out. */
  private readonly queries = new Map<string, ArchiveQuery>();
  private queryCounter = 0;

  constructor(options: RoomArchiveOptions) {
    this.options = options;
  }

  /**
   * What `room` archived since `since`, as origin-id (or message id) -> the
   * stanza-id the room gave it, newest pages first, stopping early once every
   * id in `lookingFor` is found. Only results from `room` itself count.
   * Rejects with RoomArchiveError when the room has no archive or refuses.
   */
  async archivedIds(room: string, since: Date, lookingFor?: ReadonlySet<string>): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    await this.pageBack(room, since, (results) => {
      for (const r of results) {
        const id = r.forwarded.message.originId ?? r.forwarded.message.id;
        if (id !== undefined) found.set(id, r.id);
      }
      return lookingFor !== undefined && [...lookingFor].every((id) => found.has(id));
    });
    return found;
  }

  /**
   * The latest messages `room` archived after the one with stanza-id `after`,
   * at most `max` and none before `since`, oldest first; `more` says that more
   * came after `after` than `max`. Pages back from the newest until it meets
   * `after`. Rejects with RoomArchiveError when the room has no archive or
   * refuses.
   */
  async archivedAfter(
    room: string,
    o: { readonly after: string; readonly since: Date; readonly max: number },
  ): Promise<{ messages: ArchivedMessage[]; more: boolean }> {
    let all: ArchivedMessage[] = [];
    let found: { messages: ArchivedMessage[]; more: boolean } | undefined;
    await this.pageBack(room, o.since, (results) => {
      all = [...results.map(archivedOf), ...all];
      const at = all.findIndex((m) => m.stanzaId === o.after);
      if (at >= 0) {
        const after = all.slice(at + 1);
        found = { messages: after.slice(-o.max), more: after.length > o.max };
      } else if (all.length > o.max) {
        found = { messages: all.slice(-o.max), more: true };
      }
      return found !== undefined;
    });
    // Without `after` in range: it is older than `since`, and everything since came after it.
    return found ?? { messages: all.slice(-o.max), more: false };
  }

  /**
   * One page of what `room` archived, read forward: the messages after the
   * one with stanza-id `after` (XEP-0059 `<after/>`), or, without `after`,
   * the first ones since `since`; at most `max`, oldest first. A page that
   * was to start after a message the archive no longer holds comes back
   * empty with `afterMissing`. Rejects with RoomArchiveError when the room
   * has no archive or refuses.
   */
  async archivePage(
    room: string,
    o: { readonly after?: string; readonly since: Date; readonly max: number },
  ): Promise<ArchivePage> {
    const key = room.toLowerCase();
    const queryid = `parley-mam-${++this.queryCounter}`;
    const results: MamResult[] = [];
    this.queries.set(queryid, { room: key, take: (r) => void results.push(r) });
    try {
      const max = Math.max(1, Math.min(ARCHIVE_PAGE, Math.floor(o.max)));
      const answer = await this.options.router.request(
        {
          type: "set",
          to: key,
          from: this.options.askFrom(key),
          payload: buildMamQuery({
            queryid,
            // After a message: it sets the start itself (and a start filter could hide it from the server).
            ...(o.after === undefined && { filter: { start: o.since } }),
            rsm: { max, ...(o.after !== undefined && { after: o.after }) },
          }),
        },
        this.options.timeoutMs,
      );
      if (answer.type !== "result") {
        const condition = answer.error?.condition ?? "no result";
        if (o.after !== undefined && condition === "item-not-found")
          return { messages: [], more: false, afterMissing: true };
        throw new RoomArchiveError(key, condition);
      }
      const fin = answer.payload ? parseMamFin(answer.payload) : undefined;
      if (!fin?.ok) throw new RoomArchiveError(key, "the answer has no readable <fin/>");
      const messages = results.map(archivedOf);
      const last = fin.value.rsm?.last || messages.at(-1)?.stanzaId;
      return { messages, more: !fin.value.complete && last !== undefined, ...(last !== undefined && { last }) };
    } finally {
      this.queries.delete(queryid);
    }
  }

  /**
   * Pages back through what `room` archived since `since`, newest page
   * first, handing each page's results (oldest first, only those from the
   * room itself) to `page` until it says it has enough, the archive has no
   * more, or ARCHIVE_MAX_PAGES were read. Rejects with RoomArchiveError when
   * the room has no archive or refuses.
   */
  private async pageBack(room: string, since: Date, page: (results: MamResult[]) => boolean): Promise<void> {
    const key = room.toLowerCase();
    const queryid = `parley-mam-${++this.queryCounter}`;
    let results: MamResult[] = [];
    this.queries.set(queryid, { room: key, take: (r) => void results.push(r) });
    try {
      let before = "";
      for (let n = 0; n < ARCHIVE_MAX_PAGES; n++) {
        results = [];
        const answer = await this.options.router.request(
          {
            type: "set",
            to: key,
            from: this.options.askFrom(key),
            payload: buildMamQuery({ queryid, filter: { start: since }, rsm: { max: ARCHIVE_PAGE, before } }),
          },
          this.options.timeoutMs,
        );
        if (answer.type !== "result") throw new RoomArchiveError(key, answer.error?.condition ?? "no result");
        const fin = answer.payload ? parseMamFin(answer.payload) : undefined;
        if (!fin?.ok) throw new RoomArchiveError(key, "the answer has no readable <fin/>");
        if (page(results)) return;
        const first = fin.value.rsm?.first;
        if (fin.value.complete || first === undefined || first === before) return;
        before = first;
      }
    } finally {
      this.queries.delete(queryid);
    }
  }

  /** Takes a message that is an archive result for one of our queries in flight; true when it was one. */
  take(el: Element): boolean {
    if (this.queries.size === 0) return false;
    const result = el.getChild("result", NS.mam);
    const q = result ? this.queries.get(result.attrs.queryid ?? "") : undefined;
    if (!q) return false;
    // Results come from the room's bare JID; anyone else's are ignored, not believed.
    if ((el.attrs.from ?? "").toLowerCase() !== q.room) return true;
    const parsed = parseMessage(el);
    const r = parsed.ok ? parsed.value.mamResult : undefined;
    if (r) q.take(r);
    return true;
  }
}

function archivedOf(r: MamResult): ArchivedMessage {
  return {
    stanzaId: r.id,
    message: r.forwarded.message,
    ...(r.forwarded.delay?.stamp !== undefined && { stamp: r.forwarded.delay.stamp }),
  };
}
