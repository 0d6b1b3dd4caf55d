/** Rounds against the ceiling: pairing, medians, ratios. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alternateRounds, type BurstFigures, compareRounds, describeRun, RoundsError } from "../src/bench/index.ts";
import { burstRun } from "./burst-run.ts";

const run = (msgsPerSec: number, p50ms = 1, p99ms = 2): BurstFigures => burstRun(msgsPerSec, p50ms, p99ms);

describe("compareRounds", () => {
  it("takes medians over rounds and the median of the rounds' ratios, rounded as results.json keeps them", () => {
    const c = compareRounds(
      [run(1000.4, 5, 50), run(4000, 6, 60), run(2000, 7, 70)],
      [run(500, 10.04, 90), run(1900, 30, 70), run(1000.6, 20.06, 80.04)],
    );
    assert.deepEqual(c, {
      rounds: 3,
      burstMessages: 100,
      msgsPerSec: 1001,
      ceilingMsgsPerSec: 2000,
      p50ms: 20.1,
      p99ms: 80,
      ceilingP50ms: 6,
      ceilingP99ms: 60,
      roundRatios: [0.5, 0.475, 0.5],
      vsCeiling: 0.5,
    });
  });

  it("judges each subject run against the ceiling run of its own round, on a server that slows round after round", () => {
    // Each round's ratio is 1.07, 1.05, 0.71, 0.92 and 0.93; the subject's median run (920) came in the round
    // whose ceiling ran at 1,000, the ceiling's median (1,200) in another: their ratio would be 0.77.
    const c = compareRounds(
      [run(2000), run(1600), run(1200), run(1000), run(900)],
      [run(2140), run(1680), run(852), run(920), run(837)],
    );
    assert.deepEqual(c.roundRatios, [1.07, 1.05, 0.71, 0.92, 0.93]);
    assert.equal(c.vsCeiling, 0.93);
    assert.equal(c.msgsPerSec, 920);
    assert.equal(c.ceilingMsgsPerSec, 1200);
  });

  it("refuses runs that do not pair up", () => {
    assert.throws(() => compareRounds([run(1)], []), RoundsError);
    assert.throws(() => compareRounds([], []), /rounds must pair up: 0 ceiling runs and 0 subject runs/);
  });
});

describe("alternateRounds", () => {
  it("runs the ceiling, then the subject, round after round, numbered from 1", async () => {
    const order: string[] = [];
    const runs = await alternateRounds({
      rounds: 3,
      ceiling: async (r) => {
        order.push(`c${r}`);
        return r * 10;
      },
      subject: async (r) => {
        order.push(`s${r}`);
        return r * 100;
      },
    });
    assert.deepEqual(order, ["c1", "s1", "c2", "s2", "c3", "s3"]);
    assert.deepEqual(runs, { ceiling: [10, 20, 30], subject: [100, 200, 300] });
  });

  it("stops at the first failing run and refuses a count of rounds that is not whole and positive", async () => {
    const order: string[] = [];
    await assert.rejects(
      alternateRounds({
        rounds: 3,
        ceiling: async (r) => {
          order.push(`c${r}`);
        },
        subject: async (r) => {
          if (r === 2) throw new Error("burst s2 timed out");
          order.push(`s${r}`);
        },
      }),
      /burst s2 timed out/,
    );
    assert.deepEqual(order, ["c1", "s1", "c2"]);
    await assert.rejects(alternateRounds({ rounds: 0, ceiling: async () => 1, subject: async () => 1 }), RoundsError);
    await assert.rejects(alternateRounds({ rounds: 1.5, ceiling: async () => 1, subject: async () => 1 }), RoundsError);
  });
});

describe("describeRun", () => {
  it("says the round, the side, the rate and the latencies, then the note", () => {
    assert.equal(
      describeRun("ceiling", 2, run(3743.4, 644.94, 1269.4)),
      "round 2 ceiling   3743 msgs/s  p50 644.9 ms  p99 1269.4 ms",
    );
    assert.match(describeRun("engine", 1, run(10), "(3 duplicates!)"), /^round 1 engine .* ms {2}\(3 duplicates!\)$/);
  });
});
