/**
 * Times arrivals at the XMPP occupant. It sits in front of the test client's
 * inbox, so a bench message is timestamped the moment the client hands it
 * over, before the inbox parses and buffers it (which would cost time that
 * is not the bridge's); everything else passes through untouched. Times
 * are wall-clock (`wallNow`), since posts are timed in another process.
 */
import { performance } from "node:perf_hooks";
import type { Element } from "@parley/stanza";
import type { TestClient } from "@parley/testkit";

const BODY = /^bench (\S+) (\d+)$/;

/** Milliseconds on the wall clock with sub-millisecond precision: comparable between processes of one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export function benchBody(tag: string, seq: number): string {
  return `bench ${tag} ${seq}`;
}

export interface Expectation {
  readonly sentAt: number[];
  readonly receivedAt: Array<number | undefined>;
  readonly done: Promise<void>;
  duplicates: number;
}

export class ArrivalProbe {
  private readonly client: TestClient;
  private readonly original: TestClient["inbox"]["push"];
  private readonly runs = new Map<string, { room: string; e: Expectation; left: number; finish: () => void }>();

  constructor(client: TestClient) {
    this.client = client;
    this.original = client.inbox.push.bind(client.inbox);
    client.inbox.push = (el: Element) => {
      if (!this.take(el)) this.original(el);
    };
  }

  /** Starts expecting `count` messages tagged `tag` in `room`; `done` rejects after `timeoutMs`. */
  expect(tag: string, room: string, count: number, timeoutMs: number): Expectation {
    let finish: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const e: Expectation = {
      sentAt: new Array<number>(count).fill(Number.NaN),
      receivedAt: new Array<number | undefined>(count).fill(undefined),
      duplicates: 0,
      done: new Promise<void>((resolve, reject) => {
        // The run stays known after it completes, so that late copies still count as duplicates.
        finish = () => {
          clearTimeout(timer);
          resolve();
        };
        timer = setTimeout(() => {
          this.runs.delete(tag);
          const got = e.receivedAt.filter((x) => x !== undefined).length;
          reject(new Error(`only ${got} of ${count} messages tagged ${tag} arrived within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    };
    this.runs.set(tag, { room: room.toLowerCase(), e, left: count, finish });
    return e;
  }

  private take(el: Element): boolean {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return false;
    const body = el.getChildText("body");
    const m = body ? BODY.exec(body) : null;
    if (!m) return false;
    const run = this.runs.get(m[1] as string);
    const from = String(el.attrs.from ?? "").toLowerCase();
    if (!run || !from.startsWith(`${run.room}/`)) return false;
    const seq = Number(m[2]);
    if (seq >= run.e.receivedAt.length) return false;
    if (run.e.receivedAt[seq] !== undefined) {
      run.e.duplicates++;
      return true;
    }
    run.e.receivedAt[seq] = wallNow();
    if (--run.left === 0) run.finish();
    return true;
  }

  detach(): void {
    this.client.inbox.push = this.original;
  }
}
