/** The knobs of `npm run bench`, read from the environment and checked before any server starts. */

export interface BenchSettings {
  /** Messages per burst (PARLEY_BENCH_MESSAGES, default 5,000). */
  readonly messages: number;
  /** Ceiling/engine pairs (PARLEY_BENCH_ROUNDS, default 5); the figures are medians over them. */
  readonly rounds: number;
  /** Idle puppets created for the memory figure (PARLEY_BENCH_IDLE_PUPPETS, default 10,000). */
  readonly idlePuppets: number;
  /** How long one burst may take to arrive in full (PARLEY_BENCH_TIMEOUT_MS, default 60,000). */
  readonly timeoutMs: number;
}

/** A setting the benchmark cannot run with; says which variable and what it accepts. */
export class BenchSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchSettingsError";
  }
}

function whole(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const s = raw.trim().replaceAll("_", "");
  const n = /^\d{1,12}$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new BenchSettingsError(
      `${name}=${JSON.stringify(raw.slice(0, 40))}: expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

export function benchSettings(env: Readonly<Record<string, string | undefined>>): BenchSettings {
  return {
    messages: whole(env, "PARLEY_BENCH_MESSAGES", 5000, 1, 1_000_000),
    rounds: whole(env, "PARLEY_BENCH_ROUNDS", 5, 1, 25),
    idlePuppets: whole(env, "PARLEY_BENCH_IDLE_PUPPETS", 10_000, 1, 1_000_000),
    timeoutMs: whole(env, "PARLEY_BENCH_TIMEOUT_MS", 60_000, 1000, 3_600_000),
  };
}
