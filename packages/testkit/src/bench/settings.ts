/** The knobs of a bench, read from the environment and checked before any server starts. */

/** A setting a bench cannot run with; says which variable and what it accepts. */
export class BenchSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchSettingsError";
  }
}

/**
 * A whole number from `env[name]`, `fallback` when unset or blank;
 * underscores may group digits (`10_000`). Throws BenchSettingsError
 * for anything else or anything outside `min..max`.
 */
export function wholeNumberSetting(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  o: { readonly fallback: number; readonly min: number; readonly max: number },
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return o.fallback;
  const s = raw.trim().replaceAll("_", "");
  const n = /^\d{1,15}$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < o.min || n > o.max) {
    throw new BenchSettingsError(
      `${name}=${JSON.stringify(raw.slice(0, 40))}: expected a whole number from ${o.min} to ${o.max}`,
    );
  }
  return n;
}

/** wholeNumberSetting from process.env, at least 1: a bench's size (`PARLEY_BENCH_MESSAGES`). */
export function benchSize(name: string, fallback: number, max: number): number {
  return wholeNumberSetting(process.env, name, { fallback, min: 1, max });
}
