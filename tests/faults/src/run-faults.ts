/**
 * The fault suite (`npm run test:faults` at the repository root, or
 * `npm run faults -w @parley/faults`): every scenario of scenarios.ts against
 * the real `parley` CLI, one after the other, each sending 2,000 numbered
 * messages through a fault and counting them on the receiving side, live and
 * in its history. Writes tests/faults/results.json, prints a table, and exits
 * 1 unless every scenario lost, doubled and reordered nothing.
 *
 *   node src/run-faults.ts                  every scenario
 *   node src/run-faults.ts --only <name>    one scenario (repeatable)
 *   node src/run-faults.ts --list           the scenarios' names
 *   --keep                                  keep each scenario's bridge log and store
 *   --serial                                one scenario at a time (by default the three lanes of scenarios.ts run side by side)
 *   --messages <n>                          fewer messages while developing (such a run fails: below 2,000)
 *
 * The packages must be built first (`npx turbo run build`; the `faults` script does it).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { PARLEY_BIN } from "./bridge-process.ts";
import { table, writeResults } from "./results.ts";
import { runScenario, type ScenarioResult } from "./run-scenario.ts";
import { SCENARIOS, type Scenario } from "./scenarios.ts";
import { stopSharedServers } from "./world.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const args = parseArgs({
    options: {
      only: { type: "string", multiple: true },
      list: { type: "boolean" },
      keep: { type: "boolean" },
      serial: { type: "boolean" },
      messages: { type: "string" },
    },
  });
  if (args.values.list) {
    for (const s of SCENARIOS) say(`${s.name.padEnd(34)} ${s.description}`);
    return 0;
  }
  const only = args.values.only ?? [];
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    say(`unknown scenario ${unknown.join(", ")}; the scenarios are: ${SCENARIOS.map((s) => s.name).join(", ")}`);
    return 2;
  }
  const messages = args.values.messages === undefined ? 2000 : Number(args.values.messages);
  if (!Number.isInteger(messages) || messages < 4) {
    say(`--messages must be a whole number of at least 4, got ${args.values.messages}`);
    return 2;
  }
  if (!existsSync(new URL("../../../packages/bridge/dist/cli/parley.js", import.meta.url))) {
    say(`the packages are not built (${PARLEY_BIN} needs packages/bridge/dist): run \`npx turbo run build\` first`);
    return 2;
  }
  const chosen = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  const results = new Map<string, ScenarioResult>();
  const began = Date.now();
  const runLane = async (lane: readonly Scenario[]) => {
    for (const s of lane) {
      say(`${s.name}: ${s.description}, ${messages} messages`);
      const r = await runScenario(s, { messages, keep: args.values.keep ?? false, say });
      results.set(s.name, r);
      say(
        `  ${s.name}: ${r.passed ? "ok" : "FAIL"}, ${r.received} of ${r.sent} received, ${r.lost} lost, ${r.duplicated} duplicated, ${r.outOfOrder} out of order (${(r.durationMs / 1000).toFixed(1)} s)`,
      );
      writeResults(
        results,
        SCENARIOS.map((x) => x.name),
      );
    }
  };
  const lanes = args.values.serial ? [chosen] : [1, 2, 3].map((n) => chosen.filter((s) => s.lane === n));
  try {
    await Promise.all(lanes.map(runLane));
  } finally {
    await stopSharedServers();
  }
  say("");
  say(table(results));
  say(
    `\nthe suite took ${((Date.now() - began) / 1000).toFixed(1)} s${args.values.serial ? " (one scenario at a time)" : " (three lanes side by side)"}`,
  );
  if (messages < 2000) say(`\nthis run sent ${messages} messages per scenario: a run counts only with 2,000 or more`);
  return [...results.values()].every((r) => r.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`faults: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
