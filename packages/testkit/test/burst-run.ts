/** A burst's figures for the bench tests: 100 messages at `msgsPerSec`, the slowest as slow as the p99. */
import type { BurstFigures } from "../src/bench/statistics.ts";

export const burstRun = (msgsPerSec: number, p50ms: number, p99ms: number): BurstFigures => ({
  messages: 100,
  msgsPerSec,
  p50ms,
  p99ms,
  maxMs: p99ms,
  durationMs: 100_000 / msgsPerSec,
});
