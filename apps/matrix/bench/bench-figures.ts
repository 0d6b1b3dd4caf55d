/**
 * The arithmetic of the transaction-burst benchmark, apart from servers so it
 * can be tested alone: per-burst throughput and latency percentiles, medians
 * over rounds, and the table printed at the end.
 */

/** When each message of a burst was sent and arrived (ms, one clock); a hole: it never arrived. */
export interface BurstTimes {
  readonly sentAt: readonly number[];
  readonly arrivedAt: readonly (number | undefined)[];
}

export interface BurstFigures {
  readonly messages: number;
  /** messages / (last arrival - first send). */
  readonly msgsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly durationMs: number;
}

/** Nearest-rank quantile of an ascending list; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * sorted.length));
  return sorted[rank - 1] as number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Figures of a complete burst; throws when a message is missing or was never sent. */
export function burstFigures(t: BurstTimes): BurstFigures {
  const n = t.sentAt.length;
  if (n === 0 || t.arrivedAt.length !== n) throw new Error(`a burst needs as many arrivals as sends (${n})`);
  const latencies: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const sent = t.sentAt[i] as number;
    const arrived = t.arrivedAt[i];
    if (!Number.isFinite(sent) || arrived === undefined) throw new Error(`message ${i} was not sent or never arrived`);
    latencies.push(arrived - sent);
    first = Math.min(first, sent);
    last = Math.max(last, arrived);
  }
  latencies.sort((a, b) => a - b);
  const durationMs = Math.max(last - first, 0.001);
  return {
    messages: n,
    msgsPerSec: (n / durationMs) * 1000,
    p50ms: quantile(latencies, 0.5),
    p99ms: quantile(latencies, 0.99),
    durationMs,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** A fixed-width table of rows of [label, ...cells]. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function describeFigures(f: BurstFigures): string[] {
  return [f.msgsPerSec.toFixed(0), round1(f.p50ms).toFixed(1), round1(f.p99ms).toFixed(1)];
}

export { round1 };
