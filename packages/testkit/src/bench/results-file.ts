/**
 * bench/results.json, the figures a bench keeps for comparison with later
 * runs: `{ figures, ratios }`, where `figures` holds what was measured and
 * `ratios` the comparisons that targets are set on (the bridge against the
 * ceiling). It is written whole or not at all, so an interrupted or failed
 * run leaves the previous results as they were.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";

/** `F` and `R` are a bench's own interfaces; that every ratio is a number is checked when written. */
export interface BenchResults<F extends object = object, R extends object = Readonly<Record<string, number>>> {
  readonly figures: F;
  readonly ratios: R;
}

/** Results that must not be kept: a ratio that is not a number, or a figure JSON would silently change. */
export class BenchResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchResultsError";
  }
}

/** Where a figure stops being a number JSON can hold (JSON.stringify turns NaN and Infinity into null). */
function unwritable(v: unknown, path: string): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? undefined : `${path} is ${v}`;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const bad = unwritable(x, `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const bad = unwritable(x, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

/** The text of results.json: two-space JSON and a final newline, the way the files are committed. */
export function benchResultsJson(results: BenchResults<object, object>): string {
  if (typeof results.figures !== "object" || results.figures === null) {
    throw new BenchResultsError("results need an object of figures");
  }
  if (typeof results.ratios !== "object" || results.ratios === null) {
    throw new BenchResultsError("results need an object of ratios");
  }
  const bad = unwritable(results.figures, "figures") ?? unwritable(results.ratios, "ratios");
  if (bad) throw new BenchResultsError(`results not written: ${bad}`);
  for (const [k, v] of Object.entries(results.ratios)) {
    if (typeof v !== "number") throw new BenchResultsError(`results not written: ratios.${k} is not a number`);
  }
  return `${JSON.stringify({ figures: results.figures, ratios: results.ratios }, null, 2)}\n`;
}

/** Writes `results` to `file` (a temporary file renamed over it); throws BenchResultsError, writing nothing, on bad figures. */
export function writeBenchResults(file: string, results: BenchResults<object, object>): void {
  const text = benchResultsJson(results);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}
