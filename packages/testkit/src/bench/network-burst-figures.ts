/**
 * What a network -> XMPP burst bench (Discord's gateway-burst, Slack's
 * socket-burst) keeps in results.json and prints: latency at a steady pace,
 * burst throughput against the bare-component ceiling over alternating
 * rounds, and where the CPU went. The names of the figures stay as they are:
 * earlier results and the root summary compare the networks by them.
 */
import type { CpuCost } from "./process-cpu.ts";
import type { BenchResults } from "./results-file.ts";
import { compareRounds } from "./rounds.ts";
import { type BurstFigures, roundTo } from "./statistics.ts";
import { markdownTable, targetVerdict } from "./table.ts";

export const NETWORK_BURST_TARGETS = { vsCeiling: 0.8, pacedP99ms: 50 } as const;

export interface NetworkBurstFigures {
  /** Burst throughput through the bridge (median over rounds). */
  readonly msgsPerSec: number;
  readonly ceilingMsgsPerSec: number;
  /** Latency at the paced rate, from the fake's post to the occupant. */
  readonly p50ms: number;
  readonly p99ms: number;
  readonly pacedRatePerSec: number;
  readonly pacedMessages: number;
  readonly burstMessages: number;
  readonly burstP50ms: number;
  readonly burstP99ms: number;
  readonly ceilingP99ms: number;
  readonly rounds: number;
  readonly roundRatios: readonly number[];
  /** Bridge over ceiling in the uncounted warm-up bursts that came before the rounds (empty: none ran). */
  readonly warmUpRoundRatios: readonly number[];
  readonly duplicates: number;
  readonly server: string;
  readonly node: string;
  /** The machine's 1-minute load average before and after: the figures are only as quiet as the machine was. */
  readonly loadAverage: readonly [number, number];
  readonly cpus: number;
  /** µs per message, whole: the bench process and Prosody (null: unreadable), for each side. */
  readonly cpuUsPerMsg: { readonly bridge: CpuCost; readonly ceiling: CpuCost };
}

/** `vsCeiling`: the median over rounds of bridge burst msgs/s over the ceiling's in the same round. */
export type NetworkBurstResults = BenchResults<NetworkBurstFigures, { readonly vsCeiling: number }>;

const wholeCost = (c: CpuCost): CpuCost => ({
  processUs: Math.round(c.processUs),
  serverUs: c.serverUs === null ? null : Math.round(c.serverUs),
});

/** Medians over rounds (bridge[i] ran just after ceiling[i]); throws RoundsError when they do not pair up. */
export function networkBurstResults(
  o: Pick<
    NetworkBurstFigures,
    "pacedRatePerSec" | "duplicates" | "server" | "node" | "loadAverage" | "cpus" | "warmUpRoundRatios"
  > & {
    readonly paced: BurstFigures;
    readonly bridge: readonly BurstFigures[];
    readonly ceiling: readonly BurstFigures[];
    /** Unrounded; the figures keep whole µs. */
    readonly cpu: NetworkBurstFigures["cpuUsPerMsg"];
  },
): NetworkBurstResults {
  const c = compareRounds(o.ceiling, o.bridge);
  return {
    figures: {
      msgsPerSec: c.msgsPerSec,
      ceilingMsgsPerSec: c.ceilingMsgsPerSec,
      p50ms: roundTo(o.paced.p50ms, 1),
      p99ms: roundTo(o.paced.p99ms, 1),
      pacedRatePerSec: o.pacedRatePerSec,
      pacedMessages: o.paced.messages,
      burstMessages: c.burstMessages,
      burstP50ms: c.p50ms,
      burstP99ms: c.p99ms,
      ceilingP99ms: c.ceilingP99ms,
      rounds: c.rounds,
      roundRatios: c.roundRatios,
      warmUpRoundRatios: o.warmUpRoundRatios,
      duplicates: o.duplicates,
      server: o.server,
      node: o.node,
      loadAverage: [roundTo(o.loadAverage[0], 2), roundTo(o.loadAverage[1], 2)],
      cpus: o.cpus,
      cpuUsPerMsg: { bridge: wholeCost(o.cpu.bridge), ceiling: wholeCost(o.cpu.ceiling) },
    },
    ratios: { vsCeiling: c.vsCeiling },
  };
}

const cost = (c: CpuCost) => `${c.processUs} / ${c.serverUs ?? "n/a"}`;

/**
 * The results as a Markdown table, each target with its verdict;
 * `throughputLabel` names the bridged path, e.g. "burst throughput, Discord
 * gateway -> occupant (msgs/s)".
 */
export function networkBurstTable(r: NetworkBurstResults, throughputLabel: string): string {
  const f = r.figures;
  const ratioOk = r.ratios.vsCeiling >= NETWORK_BURST_TARGETS.vsCeiling;
  const p99Ok = f.p99ms < NETWORK_BURST_TARGETS.pacedP99ms;
  return markdownTable(
    ["figure", "value"],
    [
      [throughputLabel, String(f.msgsPerSec)],
      ["ceiling: bare component -> occupant (msgs/s)", String(f.ceilingMsgsPerSec)],
      [
        "ratio to the ceiling",
        `${r.ratios.vsCeiling.toFixed(2)} (target >= ${NETWORK_BURST_TARGETS.vsCeiling}: ${targetVerdict(ratioOk)})`,
      ],
      [`latency p50 at ${f.pacedRatePerSec} msgs/s (ms)`, String(f.p50ms)],
      [
        `latency p99 at ${f.pacedRatePerSec} msgs/s (ms)`,
        `${f.p99ms} (target < ${NETWORK_BURST_TARGETS.pacedP99ms}: ${targetVerdict(p99Ok)})`,
      ],
      ["burst latency p50 / p99 (ms)", `${f.burstP50ms} / ${f.burstP99ms}`],
      ["ceiling burst latency p99 (ms)", String(f.ceilingP99ms)],
      ["per-round ratios", f.roundRatios.join(", ")],
      ["warm-up burst ratios (not counted)", f.warmUpRoundRatios.join(", ") || "none"],
      ["messages per burst / paced run", `${f.burstMessages} / ${f.pacedMessages}`],
      ["duplicates", String(f.duplicates)],
      ["server", f.server],
      [
        "CPU per message, bench process / Prosody (µs): bridge | ceiling",
        `${cost(f.cpuUsPerMsg.bridge)} | ${cost(f.cpuUsPerMsg.ceiling)}`,
      ],
      ["machine load (1 min) before / after, cores", `${f.loadAverage[0]} / ${f.loadAverage[1]}, ${f.cpus}`],
    ],
    ["left", "left"],
  );
}
