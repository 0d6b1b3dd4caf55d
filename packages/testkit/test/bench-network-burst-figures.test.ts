/**
 * A network -> XMPP burst bench's results (Discord's and Slack's): the names
 * results.json keeps (later runs and the root summary compare them) and the
 * verdicts it prints.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { networkBurstResults, networkBurstTable } from "../src/bench/network-burst-figures.ts";
import { RoundsError } from "../src/bench/rounds.ts";
import type { BurstFigures } from "../src/bench/statistics.ts";
import { burstRun } from "./burst-run.ts";

const run = (msgsPerSec: number, p99ms = 10, p50ms = 1): BurstFigures => burstRun(msgsPerSec, p50ms, p99ms);
const LABEL = "burst throughput, X -> occupant (msgs/s)";
const common = {
  pacedRatePerSec: 200,
  duplicates: 0,
  server: "test",
  node: "v0",
  loadAverage: [0.501, 0.7549] as const,
  cpus: 2,
  warmUpRoundRatios: [0.512],
  cpu: { bridge: { processUs: 150.4, serverUs: 259.6 }, ceiling: { processUs: 40, serverUs: null } },
};

describe("network burst bench results", () => {
  it("keeps the figures under the names earlier results.json files use", () => {
    const r = networkBurstResults({
      ...common,
      paced: { ...run(200, 7.04, 0.84), messages: 1000 },
      bridge: [run(900, 300, 100), run(3000, 500, 200), run(800.4, 400, 150)],
      ceiling: [run(1000, 250), run(1000, 350), run(1000, 450)],
    });
    assert.deepEqual(r, {
      figures: {
        msgsPerSec: 900,
        ceilingMsgsPerSec: 1000,
        p50ms: 0.8,
        p99ms: 7,
        pacedRatePerSec: 200,
        pacedMessages: 1000,
        burstMessages: 100,
        burstP50ms: 150,
        burstP99ms: 400,
        ceilingP99ms: 350,
        rounds: 3,
        roundRatios: [0.9, 3, 0.8],
        warmUpRoundRatios: [0.512],
        duplicates: 0,
        server: "test",
        node: "v0",
        loadAverage: [0.5, 0.75],
        cpus: 2,
        cpuUsPerMsg: { bridge: { processUs: 150, serverUs: 260 }, ceiling: { processUs: 40, serverUs: null } },
      },
      ratios: { vsCeiling: 0.9 },
    });
  });

  it("says in the table whether each target is met", () => {
    const good = networkBurstResults({ ...common, paced: run(200, 7), bridge: [run(900)], ceiling: [run(1000)] });
    const table = networkBurstTable(good, LABEL);
    assert.match(table, /\| burst throughput, X -> occupant \(msgs\/s\) +\| 900 +\|/);
    assert.match(table, /\| 0\.90 \(target >= 0\.8: meets target\) +\|/);
    assert.match(table, /\| 7 \(target < 50: meets target\) +\|/);
    assert.match(table, /150 \/ 260 \\\| 40 \/ n\/a/);
    assert.match(table, /\| warm-up burst ratios \(not counted\) +\| 0\.512 +\|/);
    const slow = networkBurstResults({ ...common, paced: run(200, 80), bridge: [run(100)], ceiling: [run(1000)] });
    assert.match(networkBurstTable(slow, LABEL), /0\.10 \(target >= 0\.8: MISSES target\)/);
    assert.match(networkBurstTable(slow, LABEL), /80 \(target < 50: MISSES target\)/);
  });

  it("refuses rounds that do not pair up", () => {
    assert.throws(() => networkBurstResults({ ...common, paced: run(1), bridge: [], ceiling: [] }), RoundsError);
    assert.throws(() => networkBurstResults({ ...common, paced: run(1), bridge: [run(1)], ceiling: [] }), RoundsError);
  });
});
