/**
 * The receiving end of the XMPP -> Matrix benches: a real Matrix user that
 * long-polls /sync and timestamps each bench message as the homeserver hands
 * it over, in the order of the room's timeline. Whoever sent it (the bridge's
 * ghost, or the bare client of the ceiling), a message is timed by the same
 * observer, so the two runs are measured alike.
 */
import {
  type ArrivalTimings,
  BurstIncompleteError,
  outOfOrderCount,
  parseBenchBody,
  progress,
  wallNow,
} from "@parley/testkit";

/** Only room messages, a timeline long enough for a burst between two polls, nothing else. */
const FILTER = JSON.stringify({
  presence: { types: [] },
  account_data: { types: [] },
  room: {
    timeline: { limit: 1000, types: ["m.room.message"] },
    state: { types: [] },
    ephemeral: { types: [] },
    account_data: { types: [] },
  },
});

interface TimelineEvent {
  readonly type?: string;
  readonly sender?: string;
  readonly content?: { readonly body?: unknown };
}

interface SyncBody {
  readonly next_batch: string;
  readonly rooms?: {
    readonly join?: Record<string, { readonly timeline?: { readonly events?: TimelineEvent[]; limited?: boolean } }>;
  };
}

export interface MatrixBurstTimings extends ArrivalTimings {
  /** Messages the room shows after one sent later than them. */
  readonly outOfOrder: number;
  /** Messages that arrived (fewer than sent only for a burst settled by `quietMs`). */
  readonly arrived: number;
}

export interface MatrixBurst {
  markSent(seq: number, at?: number): void;
  readonly done: Promise<MatrixBurstTimings>;
}

interface Run {
  readonly roomId: string;
  readonly sentAt: number[];
  readonly receivedAt: (number | undefined)[];
  readonly shown: number[];
  readonly quietMs: number | undefined;
  quietTimer?: NodeJS.Timeout;
  received: number;
  duplicates: number;
  readonly settle: (e?: Error) => void;
}

export class MatrixArrivals {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly runs = new Map<string, Run>();
  /** Who sent the last bench message seen in each room. */
  private readonly senders = new Map<string, string>();
  private readonly abort = new AbortController();
  private since: string | undefined;
  private loop: Promise<void> | undefined;

  constructor(baseUrl: string, accessToken: string) {
    this.baseUrl = baseUrl;
    this.token = accessToken;
  }

  /** Starts polling from now on: what the rooms held before is not looked at. */
  async start(): Promise<void> {
    this.since = (await this.sync(0)).next_batch;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }

  /** Starts timing burst `tag` of `count` messages in `roomId`. */
  expect(o: {
    readonly tag: string;
    readonly roomId: string;
    readonly count: number;
    readonly timeoutMs: number;
    /** Settle with what arrived once nothing new came for this long after the first arrival (a catch-up). */
    readonly quietMs?: number;
  }): MatrixBurst {
    const sentAt = new Array<number>(o.count).fill(Number.NaN);
    const receivedAt = new Array<number | undefined>(o.count).fill(undefined);
    const { promise, resolve, reject } = Promise.withResolvers<MatrixBurstTimings>();
    let pending = true;
    const run: Run = {
      roomId: o.roomId,
      sentAt,
      receivedAt,
      shown: [],
      quietMs: o.quietMs,
      received: 0,
      duplicates: 0,
      settle: (e) => {
        if (!pending) return;
        pending = false;
        clearTimeout(timer);
        clearTimeout(run.quietTimer);
        this.runs.delete(o.tag);
        if (e) reject(e);
        else {
          const outOfOrder = outOfOrderCount(run.shown);
          resolve({ sentAt, receivedAt, duplicates: run.duplicates, outOfOrder, arrived: run.received });
        }
      },
    };
    const timer = setTimeout(
      () => run.settle(new BurstIncompleteError(o.tag, run.received, o.count, o.timeoutMs)),
      o.timeoutMs,
    );
    this.runs.set(o.tag, run);
    return {
      markSent: (seq, at) => {
        if (seq >= 0 && seq < sentAt.length) sentAt[seq] = at ?? wallNow();
      },
      done: promise,
    };
  }

  private async sync(timeoutMs: number): Promise<SyncBody> {
    const query = new URLSearchParams({ timeout: String(timeoutMs), filter: FILTER });
    if (this.since !== undefined) query.set("since", this.since);
    const res = await fetch(`${this.baseUrl}/_matrix/client/v3/sync?${query}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs + 30_000)]),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`the bench's /sync failed: HTTP ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as SyncBody;
  }

  private async poll(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let body: SyncBody;
      try {
        body = await this.sync(10_000);
      } catch (e) {
        if (this.abort.signal.aborted) return;
        progress(`matrix arrivals: ${e instanceof Error ? e.message : String(e)}; polling again`);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const at = wallNow();
      this.since = body.next_batch;
      for (const [roomId, room] of Object.entries(body.rooms?.join ?? {})) {
        if (room.timeline?.limited === true && this.runs.size > 0) {
          for (const run of [...this.runs.values()]) {
            if (run.roomId === roomId) {
              run.settle(
                new Error(`the bench's /sync skipped part of ${roomId}'s timeline; its figures would be wrong`),
              );
            }
          }
        }
        for (const event of room.timeline?.events ?? []) this.take(roomId, event, at);
      }
    }
  }

  /** The sender of the last bench message seen in `roomId` (the bridge's ghost, after a burst through it). */
  senderIn(roomId: string): string | undefined {
    return this.senders.get(roomId);
  }

  private take(roomId: string, event: TimelineEvent, at: number): void {
    const body = event.content?.body;
    if (typeof body !== "string") return;
    const parsed = parseBenchBody(body);
    if (!parsed) return;
    if (event.sender !== undefined) this.senders.set(roomId, event.sender);
    const run = this.runs.get(parsed.tag);
    if (!run || run.roomId !== roomId || parsed.seq >= run.receivedAt.length) return;
    if (run.receivedAt[parsed.seq] !== undefined) {
      run.duplicates++;
      return;
    }
    run.receivedAt[parsed.seq] = at;
    run.shown.push(parsed.seq);
    run.received++;
    if (run.received === run.receivedAt.length) run.settle();
    else if (run.quietMs !== undefined) {
      clearTimeout(run.quietTimer);
      run.quietTimer = setTimeout(() => run.settle(), run.quietMs);
    }
  }
}
