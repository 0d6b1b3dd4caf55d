import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  benchResults,
  IncompleteRunError,
  median,
  percentile,
  resultsTable,
  runFigures,
} from "../bench/bench-figures.ts";
import { cpuMsFromStat } from "../bench/process-cpu.ts";

describe("bench figures", () => {
  it("takes nearest-rank percentiles and medians", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(xs, 0.5), 50);
    assert.equal(percentile(xs, 0.99), 99);
    assert.equal(percentile([3], 0.99), 3);
    assert.ok(Number.isNaN(percentile([], 0.5)));
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("measures throughput from the first post to the last arrival", () => {
    const f = runFigures({ sentAt: [0, 1, 2, 3], receivedAt: [10, 12, 20, 1000] });
    assert.equal(f.msgsPerSec, 4);
    assert.equal(f.p50ms, 11);
    assert.equal(f.p99ms, 997);
    assert.equal(f.maxMs, 997);
  });

  it("refuses incomplete runs", () => {
    assert.throws(() => runFigures({ sentAt: [0, 1], receivedAt: [5, undefined] }), IncompleteRunError);
    assert.throws(() => runFigures({ sentAt: [], receivedAt: [] }), IncompleteRunError);
    assert.throws(() => runFigures({ sentAt: [Number.NaN], receivedAt: [1] }), IncompleteRunError);
  });

  it("reads CPU time from a /proc stat line whose command name has spaces and parentheses", () => {
    const stat = "4401 (lua5.4 (x) y) S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 309231 3133440 381";
    assert.equal(cpuMsFromStat(stat), 3000);
    assert.equal(cpuMsFromStat("garbage"), undefined);
  });

  it("rates the bridge against the ceiling with medians and says whether targets are met", () => {
    const run = (msgsPerSec: number, p99ms = 10) => ({ messages: 100, msgsPerSec, p50ms: 1, p99ms, maxMs: p99ms });
    const r = benchResults({
      paced: run(200, 7),
      pacedRatePerSec: 200,
      bridge: [run(900), run(3000), run(800)],
      ceiling: [run(1000), run(1000), run(1000)],
      duplicates: 0,
      server: "test",
      loadAverage: [0.5, 0.75],
      cpus: 2,
      cpu: { bridge: { processUs: 150, serverUs: 260 }, ceiling: { processUs: 40, serverUs: null } },
    });
    assert.equal(r.ratios.vsCeiling, 0.9);
    assert.equal(r.figures.p99ms, 7);
    assert.deepEqual(r.figures.roundRatios, [0.9, 3, 0.8]);
    const table = resultsTable(r);
    assert.match(table, /0\.90 \(target >= 0\.8: meets target\)/);
    assert.match(table, /7 \(target < 50: meets target\)/);
    assert.match(table, /150 \/ 260 \| 40 \/ n\/a/);
    const slow = benchResults({
      paced: run(200, 80),
      pacedRatePerSec: 200,
      bridge: [run(100)],
      ceiling: [run(1000)],
      duplicates: 2,
      server: "test",
      loadAverage: [0, 0],
      cpus: 2,
      cpu: { bridge: { processUs: 1, serverUs: 1 }, ceiling: { processUs: 1, serverUs: 1 } },
    });
    assert.match(resultsTable(slow), /0\.10 \(target >= 0\.8: MISSES target\)/);
    assert.match(resultsTable(slow), /80 \(target < 50: MISSES target\)/);
    assert.throws(
      () =>
        benchResults({
          paced: run(1),
          pacedRatePerSec: 1,
          bridge: [],
          ceiling: [],
          duplicates: 0,
          server: "",
          loadAverage: [0, 0],
          cpus: 1,
          cpu: slow.figures.cpuUsPerMsg,
        }),
      IncompleteRunError,
    );
  });
});
