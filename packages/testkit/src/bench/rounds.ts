/**
 * Rounds that alternate a ceiling run (the same burst from a bare component,
 * on the same server) with a run of the subject (the bridge), so that a
 * noisy machine slows both alike. The subject is judged by the median of
 * the rounds' ratios, each of a subject run over the ceiling run just before
 * it: a server that slows from round to round (Prosody's in-memory archive
 * grows with every burst) slows both runs of a round alike, where a ratio of
 * the two medians could set the subject's median round against a faster
 * ceiling round than its own.
 */
import { type BurstFigures, medianOf, roundTo } from "./statistics.ts";

/** Runs that do not pair up into rounds. */
export class RoundsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RoundsError";
  }
}

/** Medians over rounds, rounded as results.json keeps them: rates whole, latencies to 0.1 ms, ratios to 0.001. */
export interface RoundsComparison {
  readonly msgsPerSec: number;
  readonly ceilingMsgsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly ceilingP50ms: number;
  readonly ceilingP99ms: number;
  /** Messages per burst (of the subject's first run). */
  readonly burstMessages: number;
  readonly rounds: number;
  /** Subject over ceiling throughput, round by round (ceiling[i] ran just before subject[i]). */
  readonly roundRatios: readonly number[];
  /** The median of the rounds' ratios (of the unrounded ratios). */
  readonly vsCeiling: number;
}

/**
 * The median over rounds of `value` of the subject's run over `value` of the
 * ceiling's run in the same round (unrounded); the runs must pair up.
 */
export function medianRoundRatio<T>(ceiling: readonly T[], subject: readonly T[], value: (run: T) => number): number {
  return medianOf(roundRatiosOf(ceiling, subject, value), (r) => r);
}

function roundRatiosOf<T>(ceiling: readonly T[], subject: readonly T[], value: (run: T) => number): number[] {
  return subject.map((s, i) => value(s) / value(ceiling[i] as T));
}

/** Compares paired runs; throws RoundsError when there are none or they do not pair up. */
export function compareRounds(ceiling: readonly BurstFigures[], subject: readonly BurstFigures[]): RoundsComparison {
  if (ceiling.length === 0 || ceiling.length !== subject.length) {
    throw new RoundsError(`rounds must pair up: ${ceiling.length} ceiling runs and ${subject.length} subject runs`);
  }
  const rate = medianOf(subject, (r) => r.msgsPerSec);
  const ceilingRate = medianOf(ceiling, (r) => r.msgsPerSec);
  const ratios = roundRatiosOf(ceiling, subject, (r) => r.msgsPerSec);
  return {
    rounds: subject.length,
    burstMessages: subject[0]?.messages ?? 0,
    msgsPerSec: Math.round(rate),
    ceilingMsgsPerSec: Math.round(ceilingRate),
    p50ms: roundTo(
      medianOf(subject, (r) => r.p50ms),
      1,
    ),
    p99ms: roundTo(
      medianOf(subject, (r) => r.p99ms),
      1,
    ),
    ceilingP50ms: roundTo(
      medianOf(ceiling, (r) => r.p50ms),
      1,
    ),
    ceilingP99ms: roundTo(
      medianOf(ceiling, (r) => r.p99ms),
      1,
    ),
    roundRatios: ratios.map((r) => roundTo(r, 3)),
    vsCeiling: roundTo(
      medianOf(ratios, (r) => r),
      3,
    ),
  };
}

export interface AlternatedRuns<T> {
  readonly ceiling: T[];
  readonly subject: T[];
}

/**
 * Runs `rounds` rounds, each the ceiling first and the subject second (both
 * numbered from 1), and keeps the results paired by index. A failing run
 * ends the whole series: medians over rounds that did not all run would
 * compare unlike things.
 */
export async function alternateRounds<T>(o: {
  readonly rounds: number;
  readonly ceiling: (round: number) => Promise<T>;
  readonly subject: (round: number) => Promise<T>;
}): Promise<AlternatedRuns<T>> {
  if (!Number.isSafeInteger(o.rounds) || o.rounds < 1) {
    throw new RoundsError(`a bench needs 1 or more rounds, not ${o.rounds}`);
  }
  const runs: AlternatedRuns<T> = { ceiling: [], subject: [] };
  for (let round = 1; round <= o.rounds; round++) {
    runs.ceiling.push(await o.ceiling(round));
    runs.subject.push(await o.subject(round));
  }
  return runs;
}

/** One progress line for stderr: `round 2 ceiling   3743 msgs/s  p50 644.9 ms  p99 1269.4 ms`, then `note`. */
export function describeRun(side: string, round: number, f: BurstFigures, note = ""): string {
  const line =
    `round ${round} ${side.padEnd(7)} ${f.msgsPerSec.toFixed(0).padStart(6)} msgs/s  ` +
    `p50 ${f.p50ms.toFixed(1)} ms  p99 ${f.p99ms.toFixed(1)} ms`;
  return note === "" ? line : `${line}  ${note}`;
}
