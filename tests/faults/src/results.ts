/**
 * The suite's report: tests/faults/results.json (one entry per scenario, a
 * run of one scenario replaces only its own entry) and the table printed at
 * the end of a run.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ScenarioResult } from "./run-scenario.ts";

export const RESULTS_FILE = fileURLToPath(new URL("../results.json", import.meta.url));
export const RESULTS_PATH_IN_REPO = "tests/faults/results.json";

interface ResultsFile {
  readonly scenarios: Record<string, Omit<ScenarioResult, "kept">>;
}

export function writeResults(results: ReadonlyMap<string, ScenarioResult>, order: readonly string[]): void {
  const before: ResultsFile = existsSync(RESULTS_FILE)
    ? (JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as ResultsFile)
    : { scenarios: {} };
  const merged: Record<string, Omit<ScenarioResult, "kept">> = {};
  // Scenarios in the suite's order; one run of a single scenario keeps the others as they were.
  for (const name of order) {
    const fresh = results.get(name);
    if (fresh) {
      // Where this machine kept the bridge's log is for the printed table, not the committed file.
      const { kept: _kept, ...entry } = fresh;
      merged[name] = entry;
    } else if (before.scenarios?.[name]) merged[name] = before.scenarios[name];
  }
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ scenarios: merged }, null, 2)}\n`);
}

export function table(results: ReadonlyMap<string, ScenarioResult>): string {
  const head = [
    "scenario",
    "sent",
    "received",
    "lost",
    "dup",
    "out of order",
    "recovery",
    "sending",
    "burst",
    "total",
    "result",
  ];
  const rows = [...results].map(([name, r]) => [
    name,
    String(r.sent),
    String(r.received),
    String(r.lost),
    String(r.duplicated),
    String(r.outOfOrder),
    r.recoveryMs === null ? "never" : seconds(r.recoveryMs),
    r.sendMs === undefined ? "?" : seconds(r.sendMs),
    seconds(r.burstMs),
    seconds(r.durationMs),
    r.passed ? "ok" : "FAIL",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const notes: string[] = [];
  for (const [name, r] of results) {
    const views = [["live", r.live, r.live.counted] as const, ["history", r.history, true] as const];
    for (const [view, t, counted] of views) {
      if (t.lost === 0 && t.duplicated === 0 && t.outOfOrder === 0) continue;
      const parts = [
        t.lost > 0 && `missing ${t.missing}`,
        t.duplicated > 0 && `${t.duplicated} copies of ${t.doubled}`,
        t.outOfOrder > 0 && `${t.outOfOrder} out of order`,
      ].filter(Boolean);
      notes.push(`${name} (${view}${counted ? "" : ", not counted"}): ${parts.join("; ")}`);
    }
    if (r.error) notes.push(`${name}: ${r.error}`);
    if (r.kept) notes.push(`${name}: bridge log and store kept in ${r.kept}`);
  }
  const total = [...results.values()].reduce((ms, r) => ms + r.durationMs, 0);
  return [
    ...out,
    "",
    "recovery: from the end of the fault to the receiving side holding every message; sending: first message sent to the last",
    `one taken by the sending side; burst: first message sent to the last received; total: ${seconds(total)} in all`,
    ...(notes.length > 0 ? ["", ...notes] : []),
    "",
    `written to ${RESULTS_PATH_IN_REPO}`,
  ].join("\n");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
