/** The knobs of `npm run bench`, read from the environment and checked before any server starts. */
import { wholeNumberSetting } from "@parley/testkit";

export interface BenchSettings {
  /** Messages per burst (PARLEY_BENCH_MESSAGES, default 5,000). */
  readonly messages: number;
  /** Ceiling/engine pairs (PARLEY_BENCH_ROUNDS, default 5); the figures are medians over them. */
  readonly rounds: number;
  /** Idle puppets created for the memory figure (PARLEY_BENCH_IDLE_PUPPETS, default 10,000). */
  readonly idlePuppets: number;
  /** How long one burst may take to arrive in full (PARLEY_BENCH_TIMEOUT_MS, default 60,000). */
  readonly timeoutMs: number;
  /**
   * More puppets seated in each burst's room, on both sides (PARLEY_BENCH_SEATED, default 0): the room sends
   * each of them a copy of every message, as a room with many remote users does.
   */
  readonly seated: number;
}

/** Throws the testkit's BenchSettingsError, naming the variable, for a setting the bench cannot run with. */
export function benchSettings(env: Readonly<Record<string, string | undefined>>): BenchSettings {
  return {
    messages: wholeNumberSetting(env, "PARLEY_BENCH_MESSAGES", { fallback: 5000, min: 1, max: 1_000_000 }),
    rounds: wholeNumberSetting(env, "PARLEY_BENCH_ROUNDS", { fallback: 5, min: 1, max: 25 }),
    idlePuppets: wholeNumberSetting(env, "PARLEY_BENCH_IDLE_PUPPETS", { fallback: 10_000, min: 1, max: 1_000_000 }),
    timeoutMs: wholeNumberSetting(env, "PARLEY_BENCH_TIMEOUT_MS", { fallback: 60_000, min: 1000, max: 3_600_000 }),
    seated: wholeNumberSetting(env, "PARLEY_BENCH_SEATED", { fallback: 0, min: 0, max: 200 }),
  };
}
