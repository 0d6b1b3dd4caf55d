/**
 * The Discord bench's own part of its results: the bridged path's name in the
 * table. The figures, their names and the verdicts are the testkit's
 * (test/bench-network-burst-figures.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BurstFigures } from "@parley/testkit";
import { discordResults, discordTable } from "../bench/bench-figures.ts";

describe("Discord bench results", () => {
  it("names the bridged path Discord's gateway and keeps the shared names", () => {
    const run: BurstFigures = { messages: 100, msgsPerSec: 900, p50ms: 1, p99ms: 10, maxMs: 10, durationMs: 111 };
    const cpu = { processUs: 1, serverUs: null };
    const r = discordResults({
      ...{
        pacedRatePerSec: 200,
        duplicates: 0,
        server: "test",
        node: "v0",
        loadAverage: [0, 0],
        cpus: 2,
        warmUpRoundRatios: [],
      },
      ...{ paced: run, bridge: [run], ceiling: [{ ...run, msgsPerSec: 1000 }], cpu: { bridge: cpu, ceiling: cpu } },
    });
    assert.equal(r.ratios.vsCeiling, 0.9);
    assert.match(discordTable(r), /\| burst throughput, Discord gateway -> occupant \(msgs\/s\) +\| 900 +\|/);
  });
});
