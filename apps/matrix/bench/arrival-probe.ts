/**
 * The receiving end of a burst: an XMPP client occupant timing each burst
 * message as it arrives. It sits in front of the client's inbox and drops
 * burst messages there, before the inbox parses and buffers them, so the
 * receiver costs the same little for the ceiling and the bridge, and
 * thousands of messages do not pile up in a buffer meant for tests.
 */
import type { Element } from "@parley/stanza";
import type { BurstTimes } from "./bench-figures.ts";

export interface HasInbox {
  readonly inbox: { push(el: Element): void };
}

const BODY = /^bench (\S+) (\d{1,9}) /;

/** Message `seq` of burst `tag`, padded to an ordinary chat line's length. */
export function benchBody(tag: string, seq: number): string {
  return `bench ${tag} ${seq} pack my box with five dozen liquor jugs, then do it again`;
}

interface Expected {
  readonly sentAt: number[];
  readonly arrivedAt: (number | undefined)[];
  count: number;
  duplicates: number;
  readonly done: () => void;
}

export class ArrivalProbe {
  private readonly bursts = new Map<string, Expected>();
  private readonly detachFns: Array<() => void> = [];

  /** Times burst messages reaching `client`. */
  watch(client: HasInbox): void {
    this.intercept(client, true);
  }

  /** Drops burst messages reaching `client` unread (a sender's own copies of the room). */
  silence(client: HasInbox): void {
    this.intercept(client, false);
  }

  private intercept(client: HasInbox, time: boolean): void {
    const inbox = client.inbox;
    const original = inbox.push.bind(inbox);
    inbox.push = (el) => {
      if (!this.take(el, time)) original(el);
    };
    this.detachFns.push(() => {
      inbox.push = original;
    });
  }

  /** Starts timing burst `tag`; `markSent(seq)` records a send, `done` resolves when all arrived. */
  expect(
    tag: string,
    count: number,
    timeoutMs: number,
  ): { markSent(seq: number): void; done: Promise<BurstTimes & { duplicates: number }> } {
    const sentAt = new Array<number>(count).fill(Number.NaN);
    const arrivedAt = new Array<number | undefined>(count).fill(undefined);
    let resolveDone: () => void = () => undefined;
    const finished = new Promise<void>((r) => {
      resolveDone = r;
    });
    const e: Expected = { sentAt, arrivedAt, count: 0, duplicates: 0, done: () => resolveDone() };
    this.bursts.set(tag, e);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`burst ${tag}: ${e.count} of ${count} messages arrived within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const done = Promise.race([finished, timeout]).then(
      () => {
        clearTimeout(timer);
        this.bursts.delete(tag);
        return { sentAt, arrivedAt, duplicates: e.duplicates };
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.bursts.delete(tag);
        throw err;
      },
    );
    return {
      markSent: (seq) => {
        if (seq >= 0 && seq < count) sentAt[seq] = performance.now();
      },
      done,
    };
  }

  private take(el: Element, time: boolean): boolean {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return false;
    const body = el.getChildText("body");
    const m = body === null ? null : BODY.exec(body);
    if (!m) return false;
    if (!time) return true;
    const b = this.bursts.get(m[1] as string);
    if (!b) return true;
    const seq = Number(m[2]);
    if (seq >= b.arrivedAt.length) return true;
    if (b.arrivedAt[seq] !== undefined) {
      b.duplicates++;
      return true;
    }
    b.arrivedAt[seq] = performance.now();
    b.count++;
    if (b.count === b.arrivedAt.length) b.done();
    return true;
  }

  detach(): void {
    for (const f of this.detachFns.splice(0)) f();
  }
}
