/**
 * The arithmetic every bench rests on: nearest-rank percentiles, medians,
 * and the throughput and latency of one burst of messages. Pure, so the
 * printed figures can be checked without servers.
 */

/** When each message of a burst was sent and when it arrived, in ms on one clock; a hole: it never arrived. */
export interface BurstTimings {
  readonly sentAt: readonly number[];
  readonly receivedAt: readonly (number | undefined)[];
}

/** One complete burst, unrounded: the benches round what they keep in results.json. */
export interface BurstFigures {
  readonly messages: number;
  /** messages / (last arrival - first send), in messages per second. */
  readonly msgsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly maxMs: number;
  /** First send to last arrival. */
  readonly durationMs: number;
}

/** Timings that cannot give figures: an empty burst, or a message without a send or an arrival time. */
export class BurstTimingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BurstTimingsError";
  }
}

/** Nearest rank of an ascending list; the caller has sorted it. */
function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const clamped = Math.min(1, Math.max(0, q));
  const rank = Math.max(1, Math.ceil(clamped * sorted.length));
  return sorted[rank - 1] as number;
}

const ascending = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/** The `q`-quantile (0..1) of `values` in any order, by the nearest-rank method; NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  return nearestRank(ascending(values), q);
}

/** The median (mean of the middle two for an even count); NaN for none. The input keeps its order. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = ascending(values);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The median of one figure over runs, e.g. `medianOf(runs, (r) => r.p99ms)`. */
export function medianOf<T>(runs: readonly T[], figure: (run: T) => number): number {
  return median(runs.map(figure));
}

/** `x` rounded to `digits` decimals, as a number (results.json keeps numbers, not strings). */
export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Throughput and latency of a complete burst; throws BurstTimingsError when any message lacks a time. */
export function burstFigures(t: BurstTimings): BurstFigures {
  const n = t.sentAt.length;
  if (n === 0) throw new BurstTimingsError("a burst of no messages has no figures");
  if (t.receivedAt.length !== n) {
    throw new BurstTimingsError(`${n} messages were sent but ${t.receivedAt.length} arrival slots were recorded`);
  }
  const latencies: number[] = [];
  let firstSent = Number.POSITIVE_INFINITY;
  let lastReceived = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const sent = t.sentAt[i] as number;
    const received = t.receivedAt[i];
    if (!Number.isFinite(sent)) throw new BurstTimingsError(`message ${i} of the burst has no send time`);
    if (received === undefined || !Number.isFinite(received)) {
      throw new BurstTimingsError(`message ${i} of the burst never arrived`);
    }
    latencies.push(received - sent);
    if (sent < firstSent) firstSent = sent;
    if (received > lastReceived) lastReceived = received;
  }
  latencies.sort((a, b) => a - b);
  const durationMs = lastReceived - firstSent;
  return {
    messages: n,
    // A burst that arrives within the clock's resolution is as fast as can be measured, not infinitely fast.
    msgsPerSec: n / (Math.max(durationMs, 0.001) / 1000),
    p50ms: nearestRank(latencies, 0.5),
    p99ms: nearestRank(latencies, 0.99),
    maxMs: latencies[n - 1] as number,
    durationMs,
  };
}
