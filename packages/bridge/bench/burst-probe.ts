/**
 * The receiving end of a burst: the XMPP client occupant in the room, timing
 * the arrival of each message. It sits in front of the test client's inbox so
 * burst messages are timed and dropped there, before the inbox parses and
 * buffers them: the client's own cost stays small and the same for the
 * ceiling and the engine, and thousands of messages do not pile up in a
 * buffer meant for tests.
 */
import type { Element } from "@parley/stanza";
import type { BurstTimings } from "./bench-stats.ts";

/** What the probe needs of a client: the inbox every received stanza is pushed to (TestClient has one). */
export interface InboxOwner {
  readonly inbox: { push(el: Element): void };
}

/** A burst that did not fully arrive before its deadline. */
export class BurstIncompleteError extends Error {
  readonly received: number;
  readonly expected: number;
  constructor(tag: string, received: number, expected: number, timeoutMs: number) {
    super(
      `burst ${tag}: ${received} of ${expected} messages reached the client within ${timeoutMs} ms ` +
        "(look at the server log and for warnings of the sender on stderr)",
    );
    this.name = "BurstIncompleteError";
    this.received = received;
    this.expected = expected;
  }
}

/** Filler so a message is about as long as an ordinary chat line (~80 characters). */
const FILLER = "the quick brown fox jumps over the lazy dog, twice";

/** The body of message `seq` of burst `tag`; plain text, so markdown and styling leave it as it is. */
export function burstBody(tag: string, seq: number): string {
  return `burst ${tag} ${seq} ${FILLER}`;
}

const BODY = /^burst (\S+) (\d{1,9}) /;

/** The tag and sequence number in a burst message's body, or undefined for any other text. */
export function parseBurstBody(body: string): { tag: string; seq: number } | undefined {
  const m = BODY.exec(body);
  if (!m) return undefined;
  return { tag: m[1] as string, seq: Number(m[2]) };
}

interface Burst {
  readonly tag: string;
  /** Lower-case bare JID of the room the burst goes to: the same text from elsewhere is not counted. */
  readonly room: string;
  readonly sentAt: number[];
  readonly receivedAt: (number | undefined)[];
  received: number;
  duplicates: number;
  readonly settle: (e?: Error) => void;
}

export interface BurstHandle {
  /** Records that message `seq` is being sent now; call it just before handing the message over. */
  markSent(seq: number): void;
  /** Resolves once every message arrived, rejects with BurstIncompleteError at the deadline. */
  readonly done: Promise<BurstTimings & { readonly duplicates: number }>;
}

export class BurstProbe {
  private readonly now: () => number;
  private readonly bursts = new Map<string, Burst>();
  private readonly original: (el: Element) => void;
  private readonly inbox: InboxOwner["inbox"];

  constructor(client: InboxOwner, o: { now?: () => number } = {}) {
    this.now = o.now ?? (() => performance.now());
    this.inbox = client.inbox;
    this.original = client.inbox.push.bind(client.inbox);
    this.inbox.push = (el) => {
      if (!this.take(el)) this.original(el);
    };
  }

  /** Starts timing burst `tag` of `count` messages into `room`. */
  expect(o: { tag: string; room: string; count: number; timeoutMs: number }): BurstHandle {
    if (this.bursts.has(o.tag)) throw new Error(`burst ${o.tag} is already being timed`);
    if (!Number.isSafeInteger(o.count) || o.count < 1)
      throw new RangeError(`a burst needs 1 or more messages, not ${o.count}`);
    const sentAt = new Array<number>(o.count).fill(Number.NaN);
    const receivedAt = new Array<number | undefined>(o.count).fill(undefined);
    let settle: (e?: Error) => void = () => undefined;
    const done = new Promise<BurstTimings & { duplicates: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        const b = this.bursts.get(o.tag);
        settle(new BurstIncompleteError(o.tag, b?.received ?? 0, o.count, o.timeoutMs));
      }, o.timeoutMs);
      settle = (e) => {
        clearTimeout(timer);
        const b = this.bursts.get(o.tag);
        this.bursts.delete(o.tag);
        if (e) reject(e);
        else resolve({ sentAt, receivedAt, duplicates: b?.duplicates ?? 0 });
      };
    });
    this.bursts.set(o.tag, {
      tag: o.tag,
      room: o.room.toLowerCase(),
      sentAt,
      receivedAt,
      received: 0,
      duplicates: 0,
      settle: (e) => settle(e),
    });
    return {
      markSent: (seq) => {
        if (seq >= 0 && seq < sentAt.length) sentAt[seq] = this.now();
      },
      done,
    };
  }

  /** Gives the inbox its own push back; bursts still being timed are abandoned. */
  detach(): void {
    this.inbox.push = this.original;
    for (const b of [...this.bursts.values()]) b.settle(new Error(`burst ${b.tag} abandoned: the probe was detached`));
  }

  /** Times a burst message (and keeps it from the inbox); false for everything else. */
  private take(el: Element): boolean {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return false;
    const body = el.getChildText("body");
    if (body === null) return false;
    const parsed = parseBurstBody(body);
    if (!parsed) return false;
    const b = this.bursts.get(parsed.tag);
    if (!b) return true; // a late copy of a burst already settled: not the inbox's business either
    const from = (el.attrs.from ?? "").toLowerCase();
    if (!from.startsWith(`${b.room}/`) || parsed.seq >= b.receivedAt.length) return false;
    if (b.receivedAt[parsed.seq] !== undefined) {
      b.duplicates++;
      return true;
    }
    b.receivedAt[parsed.seq] = this.now();
    b.received++;
    if (b.received === b.receivedAt.length) b.settle();
    return true;
  }
}
