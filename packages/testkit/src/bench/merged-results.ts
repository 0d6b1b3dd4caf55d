/**
 * A package with more than one bench keeps one bench/results.json: each bench
 * writes its own figures and ratios into it and leaves the others' as the
 * last run of those benches left them. Written whole or not at all, as
 * `writeBenchResults` does.
 */
import { existsSync, readFileSync } from "node:fs";
import { type BenchResults, BenchResultsError, writeBenchResults } from "./results-file.ts";

/** The results in `file`, or empty ones when there is no file yet; throws BenchResultsError for a file that is not results. */
export function readBenchResults(file: string): BenchResults<Record<string, unknown>, Record<string, number>> {
  if (!existsSync(file)) return { figures: {}, ratios: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new BenchResultsError(
      `${file} is not JSON (${e instanceof Error ? e.message : String(e)}); remove it or run the bench that writes it`,
    );
  }
  const r = parsed as { figures?: unknown; ratios?: unknown };
  if (typeof r.figures !== "object" || r.figures === null || typeof r.ratios !== "object" || r.ratios === null) {
    throw new BenchResultsError(`${file} has no { figures, ratios }; remove it or run the bench that writes it`);
  }
  return { figures: r.figures as Record<string, unknown>, ratios: r.ratios as Record<string, number> };
}

/** `ours` over `theirs`: every figure and ratio of `ours`, and those of `theirs` that `ours` does not name. */
export function mergeBenchResults(
  theirs: BenchResults<object, object>,
  ours: BenchResults<object, object>,
): BenchResults<Record<string, unknown>, Record<string, number>> {
  return {
    figures: { ...theirs.figures, ...ours.figures },
    ratios: { ...(theirs.ratios as Record<string, number>), ...(ours.ratios as Record<string, number>) },
  };
}

/** Writes `ours` into `file`, keeping the other benches' figures and ratios found there. */
export function writeMergedBenchResults(file: string, ours: BenchResults<object, object>): void {
  writeBenchResults(file, mergeBenchResults(readBenchResults(file), ours));
}
