/**
 * The arithmetic of the relay benchmark, kept apart from servers and sockets
 * so it can be tested on its own: percentiles of one burst, medians across
 * rounds, the results file and the table printed to stdout.
 */

/** What one burst measured: when each message was sent and when the receiving client saw it. */
export interface BurstTimings {
  /** Send times (ms, one clock), indexed by message sequence number. */
  readonly sentAt: readonly number[];
  /** Receive times on the same clock, same index; a hole means the message never arrived. */
  readonly receivedAt: readonly (number | undefined)[];
}

export interface BurstFigures {
  readonly messages: number;
  /** messages / (last received - first sent), in messages per second. */
  readonly msgsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly maxMs: number;
  readonly durationMs: number;
}

/** A burst whose timings cannot give figures: the caller passed an empty or incomplete burst. */
export class BurstTimingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BurstTimingsError";
  }
}

/** The `q`-quantile (0..1) of ascending `sorted`, by the nearest-rank method; NaN for an empty list. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const clamped = Math.min(1, Math.max(0, q));
  const rank = Math.max(1, Math.ceil(clamped * sorted.length));
  return sorted[rank - 1] as number;
}

/** The median (mean of the middle two for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Throughput and latency of one complete burst; throws BurstTimingsError when a message is missing. */
export function burstFigures(t: BurstTimings): BurstFigures {
  const n = t.sentAt.length;
  if (n === 0) throw new BurstTimingsError("a burst of no messages has no figures");
  if (t.receivedAt.length !== n) {
    throw new BurstTimingsError(`${n} messages were sent but ${t.receivedAt.length} receive slots were recorded`);
  }
  const latencies: number[] = [];
  let firstSent = Number.POSITIVE_INFINITY;
  let lastReceived = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const sent = t.sentAt[i] as number;
    const received = t.receivedAt[i];
    if (!Number.isFinite(sent)) throw new BurstTimingsError(`message ${i} of the burst has no send time`);
    if (received === undefined) throw new BurstTimingsError(`message ${i} of the burst was never received`);
    latencies.push(received - sent);
    if (sent < firstSent) firstSent = sent;
    if (received > lastReceived) lastReceived = received;
  }
  latencies.sort((a, b) => a - b);
  const durationMs = lastReceived - firstSent;
  return {
    messages: n,
    // A burst received within the clock's resolution is as fast as it can be measured, not infinitely fast.
    msgsPerSec: n / (Math.max(durationMs, 0.001) / 1000),
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] as number,
    durationMs,
  };
}

/** One run as the bench reports it: the burst's figures and what the sender's process went through meanwhile. */
export interface RunFigures extends BurstFigures {
  /** Messages the client received twice (expected: 0). */
  readonly duplicates: number;
  /**
   * The longest the bench process's event loop was kept from I/O during the run: the sender
   * and the receiving client share it, so a sender that never yields delays the client's reads.
   */
  readonly loopDelayMaxMs: number;
  /** CPU time per message during the burst, in µs: the bench process (sender and client), and the server (null: unknown). */
  readonly cpuUsPerMsg: { readonly bench: number; readonly server: number | null };
}

/** Idle-puppet memory as the child process measured it. */
export interface IdlePuppetFigures {
  readonly puppets: number;
  /** (heapUsed + external) after - before, over `puppets`: the figure the target applies to. */
  readonly heapBytesPerPuppet: number;
  /** RSS after - before, over `puppets`: includes SQLite's page cache and allocator slack. */
  readonly rssBytesPerPuppet: number;
  /** How long creating the puppets took (through the engine, store writes included). */
  readonly createMs: number;
}

export interface BenchResults {
  readonly figures: {
    readonly engineMsgsPerSec: number;
    readonly ceilingMsgsPerSec: number;
    readonly p50ms: number;
    readonly p99ms: number;
    readonly ceilingP50ms: number;
    readonly ceilingP99ms: number;
    /** Longest event-loop stall during the runs (median over rounds); see RunFigures. */
    readonly loopDelayMaxMs: number;
    readonly ceilingLoopDelayMaxMs: number;
    /** CPU µs per message (medians): in the bench process, and in the XMPP server (null: not measurable here). */
    readonly engineCpuUsPerMsg: number;
    readonly ceilingCpuUsPerMsg: number;
    readonly engineServerCpuUsPerMsg: number | null;
    readonly ceilingServerCpuUsPerMsg: number | null;
    readonly bytesPerIdlePuppet: number;
    readonly rssBytesPerIdlePuppet: number;
    readonly idlePuppets: number;
    readonly idlePuppetCreateMs: number;
    readonly burstMessages: number;
    readonly rounds: number;
    /** Engine msgs/s over the ceiling run just before it, per round. */
    readonly roundRatios: readonly number[];
    /** Warnings and errors the engine logged during the bursts (expected: 0). */
    readonly engineWarnings: number;
    /** Messages the client received twice, over all runs (expected: 0). */
    readonly duplicates: number;
    readonly server: string;
    readonly node: string;
  };
  readonly ratios: {
    /** Median engine msgs/s over median ceiling msgs/s. */
    readonly vsCeiling: number;
  };
}

export const TARGETS = { vsCeiling: 0.9, bytesPerIdlePuppet: 2048 } as const;

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Median server CPU per message, or null when any run could not measure it. */
function serverCpu(runs: readonly RunFigures[]): number | null {
  const xs = runs.map((f) => f.cpuUsPerMsg.server);
  return xs.every((x): x is number => x !== null) ? Math.round(median(xs)) : null;
}

/** Medians across rounds, in the shape results.json keeps. Rounds pair up: ceiling[i] ran just before engine[i]. */
export function benchResults(o: {
  ceiling: readonly RunFigures[];
  engine: readonly RunFigures[];
  idle: IdlePuppetFigures;
  server: string;
  node: string;
  engineWarnings: number;
}): BenchResults {
  if (o.ceiling.length === 0 || o.ceiling.length !== o.engine.length) {
    throw new BurstTimingsError(
      `rounds must pair up: ${o.ceiling.length} ceiling runs and ${o.engine.length} engine runs`,
    );
  }
  const engineRate = median(o.engine.map((f) => f.msgsPerSec));
  const ceilingRate = median(o.ceiling.map((f) => f.msgsPerSec));
  return {
    figures: {
      engineMsgsPerSec: Math.round(engineRate),
      ceilingMsgsPerSec: Math.round(ceilingRate),
      p50ms: round(median(o.engine.map((f) => f.p50ms)), 1),
      p99ms: round(median(o.engine.map((f) => f.p99ms)), 1),
      ceilingP50ms: round(median(o.ceiling.map((f) => f.p50ms)), 1),
      ceilingP99ms: round(median(o.ceiling.map((f) => f.p99ms)), 1),
      loopDelayMaxMs: round(median(o.engine.map((f) => f.loopDelayMaxMs)), 1),
      ceilingLoopDelayMaxMs: round(median(o.ceiling.map((f) => f.loopDelayMaxMs)), 1),
      engineCpuUsPerMsg: Math.round(median(o.engine.map((f) => f.cpuUsPerMsg.bench))),
      ceilingCpuUsPerMsg: Math.round(median(o.ceiling.map((f) => f.cpuUsPerMsg.bench))),
      engineServerCpuUsPerMsg: serverCpu(o.engine),
      ceilingServerCpuUsPerMsg: serverCpu(o.ceiling),
      bytesPerIdlePuppet: Math.round(o.idle.heapBytesPerPuppet),
      rssBytesPerIdlePuppet: Math.round(o.idle.rssBytesPerPuppet),
      idlePuppets: o.idle.puppets,
      idlePuppetCreateMs: Math.round(o.idle.createMs),
      burstMessages: o.engine[0]?.messages ?? 0,
      rounds: o.engine.length,
      roundRatios: o.engine.map((e, i) => round(e.msgsPerSec / (o.ceiling[i] as RunFigures).msgsPerSec, 3)),
      engineWarnings: o.engineWarnings,
      duplicates: [...o.ceiling, ...o.engine].reduce((n, f) => n + f.duplicates, 0),
      server: o.server,
      node: o.node,
    },
    ratios: { vsCeiling: round(engineRate / ceilingRate, 3) },
  };
}

const mib = (bytesPerPuppet: number) => ((bytesPerPuppet * 10_000) / 2 ** 20).toFixed(1);

/** The table printed to stdout (Markdown, so it can be pasted into an issue as it is). */
export function resultsTable(r: BenchResults): string {
  const f = r.figures;
  const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");
  const lines = [
    `${f.rounds} rounds of ${f.burstMessages} messages (ceiling, engine alternating) on ${f.server}, ${f.node}; medians`,
    "",
    "| measure | bare component (ceiling) | engine | engine / ceiling |",
    "|---|---:|---:|---:|",
    `| throughput, msgs/s | ${f.ceilingMsgsPerSec} | ${f.engineMsgsPerSec} | ${r.ratios.vsCeiling.toFixed(2)} (target >= ${TARGETS.vsCeiling}: ${verdict(r.ratios.vsCeiling >= TARGETS.vsCeiling)}) |`,
    `| relay latency p50, ms | ${f.ceilingP50ms} | ${f.p50ms} | |`,
    `| relay latency p99, ms | ${f.ceilingP99ms} | ${f.p99ms} | |`,
    `| longest event-loop stall, ms | ${f.ceilingLoopDelayMaxMs} | ${f.loopDelayMaxMs} | |`,
    `| CPU per message in the bench process, µs | ${f.ceilingCpuUsPerMsg} | ${f.engineCpuUsPerMsg} | |`,
    `| CPU per message in Prosody, µs | ${f.ceilingServerCpuUsPerMsg ?? "n/a"} | ${f.engineServerCpuUsPerMsg ?? "n/a"} | |`,
    "",
    "| idle puppets (engine, in no room) | bytes per puppet | MiB per 10,000 |",
    "|---|---:|---:|",
    `| heapUsed + external (the target's measure) | ${f.bytesPerIdlePuppet} (target < ${TARGETS.bytesPerIdlePuppet}: ${verdict(f.bytesPerIdlePuppet < TARGETS.bytesPerIdlePuppet)}) | ${mib(f.bytesPerIdlePuppet)} |`,
    `| RSS (also SQLite's cache, allocator slack) | ${f.rssBytesPerIdlePuppet} | ${mib(f.rssBytesPerIdlePuppet)} |`,
    "",
    `per-round engine/ceiling: ${f.roundRatios.map((x) => x.toFixed(2)).join(", ")}; ` +
      `${f.idlePuppets} idle puppets created in ${f.idlePuppetCreateMs} ms; ` +
      `engine warnings: ${f.engineWarnings}; duplicate deliveries: ${f.duplicates}`,
  ];
  return lines.join("\n");
}
