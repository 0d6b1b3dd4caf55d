/**
 * The receiving end of a bench: an XMPP occupant that timestamps each bench
 * message as it arrives. The probe sits in front of the client's inbox, so a
 * bench message is timed the moment the client hands it over and dropped
 * there, before the inbox parses and buffers it: the receiver costs the same
 * little whichever side sent, and thousands of messages do not pile up in a
 * buffer meant for tests. Everything else passes through untouched.
 */
import { performance } from "node:perf_hooks";
import type { Element } from "@parley/stanza";
import type { BurstTimings } from "./statistics.ts";

/** What the probe needs of a client: the inbox each received stanza is pushed to (TestClient has one). */
export interface InboxOwner {
  readonly inbox: { push(el: Element): void };
}

/**
 * Milliseconds on the wall clock with sub-millisecond precision: comparable
 * between processes of one machine, so a post timed in another process (a
 * network fake of its own) can be set against an arrival timed here.
 */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** Filler so a message is about as long as an ordinary chat line (~80 characters). */
const FILLER = "the quick brown fox jumps over the lazy dog, twice";

/** The body of message `seq` of burst `tag`: plain text, which markdown and styling leave as it is. */
export function benchBody(tag: string, seq: number): string {
  return `bench ${tag} ${seq} ${FILLER}`;
}

const BODY = /^bench (\S+) (\d{1,9})(?: |$)/;

/** The tag and sequence number in a bench message's body, or undefined for any other text. */
export function parseBenchBody(body: string): { tag: string; seq: number } | undefined {
  const m = BODY.exec(body);
  if (!m) return undefined;
  return { tag: m[1] as string, seq: Number(m[2]) };
}

/** A burst that did not fully arrive before its deadline. */
export class BurstIncompleteError extends Error {
  readonly received: number;
  readonly expected: number;
  constructor(tag: string, received: number, expected: number, timeoutMs: number) {
    super(
      `burst ${tag}: ${received} of ${expected} messages reached the occupant within ${timeoutMs} ms ` +
        "(look at the server's log and for the sender's warnings on stderr)",
    );
    this.name = "BurstIncompleteError";
    this.received = received;
    this.expected = expected;
  }
}

export interface ArrivalTimings extends BurstTimings {
  /** Messages that arrived more than once, when `done` resolved. */
  readonly duplicates: number;
}

/** One burst being timed. */
export interface ArrivalRun {
  readonly tag: string;
  /** Records that message `seq` is sent at `at` (default: now); call it just before handing the message over. */
  markSent(seq: number, at?: number): void;
  /** Messages that arrived more than once so far; it keeps counting after `done`, so late copies are seen too. */
  readonly duplicates: number;
  /** Resolves once every message arrived; rejects with BurstIncompleteError at the deadline. */
  readonly done: Promise<ArrivalTimings>;
}

interface Run {
  readonly tag: string;
  /** Lower-case bare JID of the room: the same text in another room is not this burst. */
  readonly room: string;
  readonly sentAt: number[];
  readonly receivedAt: (number | undefined)[];
  received: number;
  duplicates: number;
  pending: boolean;
  readonly settle: (e?: Error) => void;
}

export class ArrivalProbe {
  private readonly now: () => number;
  private readonly runs = new Map<string, Run>();
  private readonly restores: Array<() => void> = [];

  /** `now` is the clock of both send and arrival times (default: `wallNow`). */
  constructor(o: { readonly now?: () => number } = {}) {
    this.now = o.now ?? wallNow;
  }

  /** Times the bench messages that reach `client`. */
  watch(client: InboxOwner): void {
    this.intercept(client, true);
  }

  /** Drops the bench messages that reach `client` unread: a sender's own copies of the room, for instance. */
  silence(client: InboxOwner): void {
    this.intercept(client, false);
  }

  /** Starts timing burst `tag` of `count` messages into `room`. */
  expect(o: {
    readonly tag: string;
    readonly room: string;
    readonly count: number;
    readonly timeoutMs: number;
  }): ArrivalRun {
    if (!/^\S+$/.test(o.tag)) {
      throw new RangeError(`a burst tag is one word without spaces, not ${JSON.stringify(o.tag)}`);
    }
    if (this.runs.get(o.tag)?.pending) throw new Error(`burst ${o.tag} is already being timed`);
    if (!Number.isSafeInteger(o.count) || o.count < 1) {
      throw new RangeError(`a burst needs 1 or more messages, not ${o.count}`);
    }
    if (!(o.timeoutMs > 0)) throw new RangeError(`a burst needs a positive timeout, not ${o.timeoutMs}`);
    const sentAt = new Array<number>(o.count).fill(Number.NaN);
    const receivedAt = new Array<number | undefined>(o.count).fill(undefined);
    let settle: (e?: Error) => void = () => undefined;
    const done = new Promise<ArrivalTimings>((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new BurstIncompleteError(o.tag, run.received, o.count, o.timeoutMs)),
        o.timeoutMs,
      );
      settle = (e) => {
        if (!run.pending) return;
        run.pending = false;
        clearTimeout(timer);
        if (e) {
          this.runs.delete(o.tag);
          reject(e);
        } else {
          // The run stays known, so that late copies still count as duplicates and never reach the inbox.
          resolve({ sentAt, receivedAt, duplicates: run.duplicates });
        }
      };
    });
    const run: Run = {
      tag: o.tag,
      room: o.room.toLowerCase(),
      sentAt,
      receivedAt,
      received: 0,
      duplicates: 0,
      pending: true,
      settle: (e) => settle(e),
    };
    this.runs.set(o.tag, run);
    return {
      tag: o.tag,
      markSent: (seq, at) => {
        if (Number.isSafeInteger(seq) && seq >= 0 && seq < sentAt.length) sentAt[seq] = at ?? this.now();
      },
      get duplicates() {
        return run.duplicates;
      },
      done,
    };
  }

  /** Gives every inbox its own push back; bursts still being timed are abandoned (their `done` rejects). */
  detach(): void {
    // Last wrapped first: a client both watched and silenced ends with its own push again.
    for (const restore of this.restores.splice(0).reverse()) restore();
    for (const run of [...this.runs.values()]) {
      run.settle(new Error(`burst ${run.tag} abandoned: the probe was detached`));
    }
    this.runs.clear();
  }

  private intercept(client: InboxOwner, timed: boolean): void {
    const inbox = client.inbox;
    const original = inbox.push;
    const bound = original.bind(inbox);
    inbox.push = (el) => {
      if (!this.take(el, timed)) bound(el);
    };
    this.restores.push(() => {
      inbox.push = original;
    });
  }

  /** Times (or drops) a bench message and keeps it from the inbox; false for everything else. */
  private take(el: Element, timed: boolean): boolean {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return false;
    const body = el.getChildText("body");
    const parsed = body === null ? undefined : parseBenchBody(body);
    if (!parsed) return false;
    if (!timed) return true;
    const run = this.runs.get(parsed.tag);
    if (!run) return true; // a copy of a burst given up on, or another bench's: not the inbox's business either
    const from = String(el.attrs.from ?? "").toLowerCase();
    if (!from.startsWith(`${run.room}/`) || parsed.seq >= run.receivedAt.length) return false;
    if (run.receivedAt[parsed.seq] !== undefined) {
      run.duplicates++;
      return true;
    }
    run.receivedAt[parsed.seq] = this.now();
    run.received++;
    if (run.received === run.receivedAt.length) run.settle();
    return true;
  }
}
