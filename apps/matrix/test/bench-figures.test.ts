/**
 * The Matrix bench's own results: the names results.json keeps (later runs
 * are compared by them) and the table it prints. The shared arithmetic is
 * tested in @parley/testkit (test/bench-*.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BurstFigures, RoundsError } from "@parley/testkit";
import { matrixResults, matrixTable } from "../bench/bench-figures.ts";

const run = (msgsPerSec: number, p50ms: number, p99ms: number, messages = 3000): BurstFigures => ({
  messages,
  msgsPerSec,
  p50ms,
  p99ms,
  maxMs: p99ms,
  durationMs: (messages * 1000) / msgsPerSec,
});
const common = { eventsPerTransaction: 50, bridgeWarnings: 0, server: "test", node: "v0" };

describe("Matrix bench results", () => {
  it("keeps the figures under the names earlier results.json files use", () => {
    const r = matrixResults({
      ...common,
      ceiling: [run(3000, 400, 800), run(3500, 450, 860), run(3342.4, 445.44, 862.16)],
      bridge: [run(2700, 230, 410), run(3089.4, 233.46, 416.24), run(3300, 240, 420)],
      e2e: run(90.6, 51.24, 75.86, 200),
    });
    assert.deepEqual(r, {
      figures: {
        msgsPerSec: 3089,
        ceilingMsgsPerSec: 3342,
        p50ms: 233.5,
        p99ms: 416.2,
        ceilingP50ms: 445.4,
        ceilingP99ms: 860,
        synapseE2eMsgsPerSec: 91,
        synapseE2eP50ms: 51.2,
        synapseE2eP99ms: 75.9,
        synapseE2eMessages: 200,
        burstMessages: 3000,
        eventsPerTransaction: 50,
        rounds: 3,
        roundRatios: [0.9, 0.883, 0.987],
        bridgeWarnings: 0,
        server: "test",
        node: "v0",
      },
      ratios: { vsCeiling: 0.9 },
    });
  });

  it("prints one row per kind of run and the ratio to the ceiling", () => {
    const r = matrixResults({
      ...common,
      ceiling: [run(2000, 10, 20)],
      bridge: [run(1000, 30, 40)],
      e2e: run(90, 50, 75),
    });
    const lines = matrixTable(r).split("\n");
    assert.match(lines[0] as string, /^\| run +\| msgs\/s \| p50 ms \| p99 ms \|$/);
    assert.match(lines[2] as string, /^\| ceiling \(bare component\) +\| +2000 \| +10\.0 \| +20\.0 \|$/);
    assert.match(lines[3] as string, /^\| bridge \(AS transactions\) +\| +1000 \| +30\.0 \| +40\.0 \|$/);
    assert.match(lines[4] as string, /^\| end to end via Synapse +\| +90 \| +50\.0 \| +75\.0 \|$/);
    assert.equal(lines.at(-1), "bridge / ceiling: 0.5 (rounds: 0.5)");
  });

  it("refuses rounds that do not pair up", () => {
    const e2e = run(90, 50, 75);
    assert.throws(() => matrixResults({ ...common, ceiling: [], bridge: [], e2e }), RoundsError);
    assert.throws(() => matrixResults({ ...common, ceiling: [run(1, 1, 1)], bridge: [], e2e }), RoundsError);
  });
});
