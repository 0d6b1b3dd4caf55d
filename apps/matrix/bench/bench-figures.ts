/**
 * What the Matrix bench keeps in results.json and prints: transaction bursts
 * through the bridge against the bare-component ceiling over alternating
 * rounds, and the end-to-end run through real Synapse. The arithmetic is the
 * testkit's (bench/*); the names of the figures are this bench's and stay as
 * they are, since earlier results are compared by them.
 */
import {
  type BenchResults,
  type BurstFigures,
  compareRounds,
  markdownTable,
  type RoundsComparison,
  roundTo,
} from "@parley/testkit";

/** The bridge's bursts against the ceiling (medians over rounds, named as the testkit names them), then the rest. */
export interface MatrixFigures extends Omit<RoundsComparison, "vsCeiling"> {
  /** A real Matrix user sending through Synapse: Synapse sets the pace, so these are figures, not targets. */
  readonly synapseE2eMsgsPerSec: number;
  readonly synapseE2eP50ms: number;
  readonly synapseE2eP99ms: number;
  readonly synapseE2eMessages: number;
  readonly eventsPerTransaction: number;
  /** Warnings and errors the bridge logged (expected: 0). */
  readonly bridgeWarnings: number;
  readonly server: string;
  readonly node: string;
}

/** `vsCeiling`: the median over rounds of bridge msgs/s over the ceiling's in the same round. */
export type MatrixResults = BenchResults<MatrixFigures, { readonly vsCeiling: number }>;

/** Medians over rounds (bridge[i] ran just after ceiling[i]); throws RoundsError when they do not pair up. */
export function matrixResults(
  o: Pick<MatrixFigures, "eventsPerTransaction" | "bridgeWarnings" | "server" | "node"> & {
    readonly ceiling: readonly BurstFigures[];
    readonly bridge: readonly BurstFigures[];
    readonly e2e: BurstFigures;
  },
): MatrixResults {
  const { vsCeiling, ...rounds } = compareRounds(o.ceiling, o.bridge);
  return {
    figures: {
      ...rounds,
      synapseE2eMsgsPerSec: Math.round(o.e2e.msgsPerSec),
      synapseE2eP50ms: roundTo(o.e2e.p50ms, 1),
      synapseE2eP99ms: roundTo(o.e2e.p99ms, 1),
      synapseE2eMessages: o.e2e.messages,
      eventsPerTransaction: o.eventsPerTransaction,
      bridgeWarnings: o.bridgeWarnings,
      server: o.server,
      node: o.node,
    },
    ratios: { vsCeiling },
  };
}

/** The printed table (Markdown) and the line of ratios under it. */
export function matrixTable(r: MatrixResults): string {
  const f = r.figures;
  const row = (name: string, rate: number, p50: number, p99: number) => [
    name,
    String(rate),
    p50.toFixed(1),
    p99.toFixed(1),
  ];
  const table = markdownTable(
    ["run", "msgs/s", "p50 ms", "p99 ms"],
    [
      row("ceiling (bare component)", f.ceilingMsgsPerSec, f.ceilingP50ms, f.ceilingP99ms),
      row("bridge (AS transactions)", f.msgsPerSec, f.p50ms, f.p99ms),
      row("end to end via Synapse", f.synapseE2eMsgsPerSec, f.synapseE2eP50ms, f.synapseE2eP99ms),
    ],
  );
  return `${table}\n\nbridge / ceiling: ${r.ratios.vsCeiling} (rounds: ${f.roundRatios.join(", ")})`;
}
