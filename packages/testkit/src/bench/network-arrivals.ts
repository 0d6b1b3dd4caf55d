/**
 * XMPP -> network benches: waiting until the network side (a fake, usually
 * in its own process) has made every message of a burst, by polling what it
 * made since the last poll. Bench bodies (benchBody) tell bursts apart; a
 * message made twice fails the bench, and the order the network shows them
 * in is counted.
 */

import { outOfOrderCount } from "./arrival-order.ts";
import { BurstIncompleteError, parseBenchBody } from "./arrival-probe.ts";

/** What the network made since the last poll: text and wall-clock time, in the order it made them. */
export type PollArrivals = () => Promise<ReadonlyArray<readonly [string, number]>>;

export interface NetworkArrivals {
  /** Wall-clock time of the last message of the burst made. */
  readonly lastAt: number;
  readonly arrived: number;
  readonly outOfOrder: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `count` bench messages of `tag` were made. With `quietMs` it
 * settles for fewer once nothing new came for that long (a catch-up that
 * could not read everything); otherwise it throws BurstIncompleteError
 * after `timeoutMs`. Messages of other tags in the same poll are dropped.
 */
export async function awaitNetworkArrivals(o: {
  readonly tag: string;
  readonly count: number;
  readonly poll: PollArrivals;
  readonly timeoutMs: number;
  readonly quietMs?: number;
  readonly intervalMs?: number;
}): Promise<NetworkArrivals> {
  const seen = new Map<number, number>();
  const order: number[] = [];
  const deadline = Date.now() + o.timeoutMs;
  let lastNewAt = Date.now();
  while (seen.size < o.count) {
    if (o.quietMs !== undefined && seen.size > 0 && Date.now() - lastNewAt > o.quietMs) break;
    if (Date.now() > deadline) throw new BurstIncompleteError(o.tag, seen.size, o.count, o.timeoutMs);
    const before = seen.size;
    for (const [text, at] of await o.poll()) {
      const parsed = parseBenchBody(text);
      if (!parsed || parsed.tag !== o.tag) continue;
      if (seen.has(parsed.seq)) throw new Error(`burst ${o.tag}: message ${parsed.seq} was made twice`);
      seen.set(parsed.seq, at);
      order.push(parsed.seq);
    }
    if (seen.size > before) lastNewAt = Date.now();
    if (seen.size < o.count) await sleep(o.intervalMs ?? 100);
  }
  return {
    lastAt: seen.size === 0 ? Number.NaN : Math.max(...seen.values()),
    arrived: seen.size,
    outOfOrder: outOfOrderCount(order),
  };
}
