/**
 * The arithmetic behind the printed figures: latencies per message, their
 * nearest-rank percentiles, throughput from first hand-over to last arrival,
 * and medians over rounds. Kept apart from the run so it can be tested alone.
 */

export interface Timings {
  /** When each message was handed over (ms, performance clock). */
  readonly sentAt: readonly number[];
  /** When the occupant received it; undefined for a message that never arrived. */
  readonly receivedAt: ReadonlyArray<number | undefined>;
}

export interface RunFigures {
  readonly messages: number;
  readonly msgsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly maxMs: number;
}

/** CPU per message: the bench process (bridge, or bare component) and the XMPP server (null when unreadable). */
export interface CpuCost {
  readonly processUs: number;
  readonly serverUs: number | null;
}

export class IncompleteRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IncompleteRunError";
  }
}

/** Nearest-rank percentile (q in 0..1) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function runFigures(t: Timings): RunFigures {
  const n = t.sentAt.length;
  if (n === 0 || t.receivedAt.length !== n) throw new IncompleteRunError("a run needs as many arrivals as messages");
  const latencies: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const sent = t.sentAt[i];
    const got = t.receivedAt[i];
    if (sent === undefined || got === undefined || !Number.isFinite(sent) || !Number.isFinite(got)) {
      throw new IncompleteRunError(`message ${i} has no complete timing`);
    }
    latencies.push(got - sent);
    last = Math.max(last, got);
  }
  const first = Math.min(...t.sentAt);
  const durationMs = Math.max(last - first, 0.001);
  return {
    messages: n,
    msgsPerSec: round((n * 1000) / durationMs, 0),
    p50ms: round(percentile(latencies, 0.5), 1),
    p99ms: round(percentile(latencies, 0.99), 1),
    maxMs: round(Math.max(...latencies), 1),
  };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface BenchResults {
  readonly figures: {
    readonly msgsPerSec: number;
    readonly ceilingMsgsPerSec: number;
    readonly p50ms: number;
    readonly p99ms: number;
    readonly pacedRatePerSec: number;
    readonly pacedMessages: number;
    readonly burstMessages: number;
    readonly burstP50ms: number;
    readonly burstP99ms: number;
    readonly ceilingP99ms: number;
    readonly rounds: number;
    readonly roundRatios: number[];
    readonly duplicates: number;
    readonly server: string;
    readonly node: string;
    /** The machine's 1-minute load average before and after: the figures are only as quiet as the machine was. */
    readonly loadAverage: readonly [number, number];
    readonly cpus: number;
    readonly cpuUsPerMsg: { readonly bridge: CpuCost; readonly ceiling: CpuCost };
  };
  readonly ratios: { readonly vsCeiling: number };
}

/** Medians over rounds; the ratio is of the median throughputs. */
export function benchResults(o: {
  readonly paced: RunFigures;
  readonly pacedRatePerSec: number;
  readonly bridge: readonly RunFigures[];
  readonly ceiling: readonly RunFigures[];
  readonly duplicates: number;
  readonly server: string;
  readonly loadAverage: readonly [number, number];
  readonly cpus: number;
  readonly cpu: { readonly bridge: CpuCost; readonly ceiling: CpuCost };
}): BenchResults {
  if (o.bridge.length === 0 || o.bridge.length !== o.ceiling.length) {
    throw new IncompleteRunError("every round needs a bridge run and a ceiling run");
  }
  const msgsPerSec = median(o.bridge.map((r) => r.msgsPerSec));
  const ceilingMsgsPerSec = median(o.ceiling.map((r) => r.msgsPerSec));
  return {
    figures: {
      msgsPerSec,
      ceilingMsgsPerSec,
      p50ms: o.paced.p50ms,
      p99ms: o.paced.p99ms,
      pacedRatePerSec: o.pacedRatePerSec,
      pacedMessages: o.paced.messages,
      burstMessages: o.bridge[0]?.messages ?? 0,
      burstP50ms: median(o.bridge.map((r) => r.p50ms)),
      burstP99ms: median(o.bridge.map((r) => r.p99ms)),
      ceilingP99ms: median(o.ceiling.map((r) => r.p99ms)),
      rounds: o.bridge.length,
      roundRatios: o.bridge.map((r, i) => round(r.msgsPerSec / (o.ceiling[i]?.msgsPerSec ?? Number.NaN), 3)),
      duplicates: o.duplicates,
      server: o.server,
      node: process.version,
      loadAverage: [round(o.loadAverage[0], 2), round(o.loadAverage[1], 2)],
      cpus: o.cpus,
      cpuUsPerMsg: o.cpu,
    },
    ratios: { vsCeiling: round(msgsPerSec / ceilingMsgsPerSec, 3) },
  };
}

function verdict(ok: boolean): string {
  return ok ? "meets target" : "MISSES target";
}

/** The results as a Markdown table, each target with its verdict. */
export function resultsTable(r: BenchResults): string {
  const f = r.figures;
  const rows: Array<[string, string]> = [
    ["burst throughput, Discord gateway -> occupant (msgs/s)", String(f.msgsPerSec)],
    ["ceiling: bare component -> occupant (msgs/s)", String(f.ceilingMsgsPerSec)],
    ["ratio to the ceiling", `${r.ratios.vsCeiling.toFixed(2)} (target >= 0.8: ${verdict(r.ratios.vsCeiling >= 0.8)})`],
    [`latency p50 at ${f.pacedRatePerSec} msgs/s (ms)`, String(f.p50ms)],
    [`latency p99 at ${f.pacedRatePerSec} msgs/s (ms)`, `${f.p99ms} (target < 50: ${verdict(f.p99ms < 50)})`],
    ["burst latency p50 / p99 (ms)", `${f.burstP50ms} / ${f.burstP99ms}`],
    ["ceiling burst latency p99 (ms)", String(f.ceilingP99ms)],
    ["per-round ratios", f.roundRatios.join(", ")],
    ["messages per burst / paced run", `${f.burstMessages} / ${f.pacedMessages}`],
    ["duplicates", String(f.duplicates)],
    ["server", f.server],
    [
      "CPU per message, bench process / Prosody (µs): bridge | ceiling",
      `${f.cpuUsPerMsg.bridge.processUs} / ${f.cpuUsPerMsg.bridge.serverUs ?? "n/a"} | ` +
        `${f.cpuUsPerMsg.ceiling.processUs} / ${f.cpuUsPerMsg.ceiling.serverUs ?? "n/a"}`,
    ],
    ["machine load (1 min) before / after, cores", `${f.loadAverage[0]} / ${f.loadAverage[1]}, ${f.cpus}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`| ${"figure".padEnd(width)} | value |`, `|${"-".repeat(width + 2)}|-------|`]
    .concat(rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`))
    .join("\n");
}
