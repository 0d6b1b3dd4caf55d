/**
 * What the relay bench keeps in results.json and prints: the engine against
 * the bare-component ceiling over alternating rounds, where the CPU went, and
 * what an idle puppet costs. The arithmetic is the testkit's (bench/*); the
 * names of the figures are this bench's and stay as they are, since earlier
 * results are compared by them.
 */
import {
  type BenchResults,
  type BurstFigures,
  type CpuCost,
  compareRounds,
  markdownTable,
  medianOf,
  medianRoundRatio,
  roundTo,
  targetVerdict,
} from "@parley/testkit";

/** One run as the bench reports it: the burst's figures and what the bench process went through meanwhile. */
export interface RunFigures extends BurstFigures {
  /** Messages the client received twice (expected: 0). */
  readonly duplicates: number;
  /**
   * The longest the bench process's event loop was kept from I/O during the run: the sender
   * and the receiving client share it, so a sender that never yields delays the client's reads.
   */
  readonly loopDelayMaxMs: number;
  /** CPU µs per message during the burst: the bench process (sender and client) and the server. */
  readonly cpu: CpuCost;
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

export interface RelayFigures {
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
  /** The median over rounds of the engine's CPU per message over the ceiling's in the same round (the issue aims for at most TARGETS.cpuVsCeiling). */
  readonly engineCpuVsCeiling: number;
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
}

/** `vsCeiling`: the median over rounds of engine msgs/s over the ceiling's in the same round. */
export type RelayResults = BenchResults<RelayFigures, { readonly vsCeiling: number }>;

/** `cpuVsCeiling` is the issue's aim for the engine's CPU per message against the bare component's, not a gate. */
export const TARGETS = { vsCeiling: 0.9, bytesPerIdlePuppet: 2048, cpuVsCeiling: 2 } as const;

/** Median server CPU per message, or null when any run could not measure it. */
function serverCpu(runs: readonly RunFigures[]): number | null {
  const xs = runs.map((f) => f.cpu.serverUs);
  return xs.every((x): x is number => x !== null) ? Math.round(medianOf(xs, (x) => x)) : null;
}

/** Medians across rounds; ceiling[i] ran just before engine[i]. Throws RoundsError when they do not pair up. */
export function relayResults(o: {
  readonly ceiling: readonly RunFigures[];
  readonly engine: readonly RunFigures[];
  readonly idle: IdlePuppetFigures;
  readonly server: string;
  readonly node: string;
  readonly engineWarnings: number;
}): RelayResults {
  const c = compareRounds(o.ceiling, o.engine);
  return {
    figures: {
      engineMsgsPerSec: c.msgsPerSec,
      ceilingMsgsPerSec: c.ceilingMsgsPerSec,
      p50ms: c.p50ms,
      p99ms: c.p99ms,
      ceilingP50ms: c.ceilingP50ms,
      ceilingP99ms: c.ceilingP99ms,
      loopDelayMaxMs: roundTo(
        medianOf(o.engine, (f) => f.loopDelayMaxMs),
        1,
      ),
      ceilingLoopDelayMaxMs: roundTo(
        medianOf(o.ceiling, (f) => f.loopDelayMaxMs),
        1,
      ),
      engineCpuUsPerMsg: Math.round(medianOf(o.engine, (f) => f.cpu.processUs)),
      ceilingCpuUsPerMsg: Math.round(medianOf(o.ceiling, (f) => f.cpu.processUs)),
      engineCpuVsCeiling: roundTo(
        medianRoundRatio(o.ceiling, o.engine, (f) => f.cpu.processUs),
        2,
      ),
      engineServerCpuUsPerMsg: serverCpu(o.engine),
      ceilingServerCpuUsPerMsg: serverCpu(o.ceiling),
      bytesPerIdlePuppet: Math.round(o.idle.heapBytesPerPuppet),
      rssBytesPerIdlePuppet: Math.round(o.idle.rssBytesPerPuppet),
      idlePuppets: o.idle.puppets,
      idlePuppetCreateMs: Math.round(o.idle.createMs),
      burstMessages: c.burstMessages,
      rounds: c.rounds,
      roundRatios: c.roundRatios,
      engineWarnings: o.engineWarnings,
      duplicates: [...o.ceiling, ...o.engine].reduce((n, f) => n + f.duplicates, 0),
      server: o.server,
      node: o.node,
    },
    ratios: { vsCeiling: c.vsCeiling },
  };
}

const mib = (bytesPerPuppet: number) => ((bytesPerPuppet * 10_000) / 2 ** 20).toFixed(1);

/** The text printed to stdout: two Markdown tables and a line of counts, so it can be pasted as it is. */
export function relayTable(r: RelayResults): string {
  const f = r.figures;
  const ratio = `${r.ratios.vsCeiling.toFixed(2)} (target >= ${TARGETS.vsCeiling}: ${targetVerdict(r.ratios.vsCeiling >= TARGETS.vsCeiling)})`;
  const idleTarget = `target < ${TARGETS.bytesPerIdlePuppet}: ${targetVerdict(f.bytesPerIdlePuppet < TARGETS.bytesPerIdlePuppet)}`;
  const serverCpuCell = (x: number | null) => (x === null ? "n/a" : String(x));
  return [
    `${f.rounds} rounds of ${f.burstMessages} messages (ceiling, engine alternating) on ${f.server}, ${f.node}; medians`,
    "",
    markdownTable(
      ["measure", "bare component (ceiling)", "engine", "engine / ceiling"],
      [
        ["throughput, msgs/s", String(f.ceilingMsgsPerSec), String(f.engineMsgsPerSec), ratio],
        ["relay latency p50, ms", String(f.ceilingP50ms), String(f.p50ms)],
        ["relay latency p99, ms", String(f.ceilingP99ms), String(f.p99ms)],
        ["longest event-loop stall, ms", String(f.ceilingLoopDelayMaxMs), String(f.loopDelayMaxMs)],
        [
          "CPU per message in the bench process, µs",
          String(f.ceilingCpuUsPerMsg),
          String(f.engineCpuUsPerMsg),
          `${f.engineCpuVsCeiling.toFixed(2)} (aim <= ${TARGETS.cpuVsCeiling}: ${f.engineCpuVsCeiling <= TARGETS.cpuVsCeiling ? "meets aim" : "misses aim"})`,
        ],
        [
          "CPU per message in Prosody, µs",
          serverCpuCell(f.ceilingServerCpuUsPerMsg),
          serverCpuCell(f.engineServerCpuUsPerMsg),
        ],
      ],
    ),
    "",
    markdownTable(
      ["idle puppets (engine, in no room)", "bytes per puppet", "MiB per 10,000"],
      [
        [
          "heapUsed + external (the target's measure)",
          `${f.bytesPerIdlePuppet} (${idleTarget})`,
          mib(f.bytesPerIdlePuppet),
        ],
        ["RSS (also SQLite's cache, allocator slack)", String(f.rssBytesPerIdlePuppet), mib(f.rssBytesPerIdlePuppet)],
      ],
    ),
    "",
    `per-round engine/ceiling: ${f.roundRatios.map((x) => x.toFixed(2)).join(", ")}; ` +
      `${f.idlePuppets} idle puppets created in ${f.idlePuppetCreateMs} ms; ` +
      `engine warnings: ${f.engineWarnings}; duplicate deliveries: ${f.duplicates}`,
  ].join("\n");
}
