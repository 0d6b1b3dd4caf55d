/**
 * The relay bench's own parts: the figures results.json keeps (their names
 * are what later runs are compared by), the printed verdicts, its settings,
 * and the idle-puppet child's input and report. The shared arithmetic is
 * tested in @parley/testkit (test/bench-*.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BenchSettingsError, RoundsError } from "@parley/testkit";
import { benchSettings } from "./bench-settings.ts";
import { IdlePuppetError, parseIdleInput, parseIdleReport } from "./idle-puppets.ts";
import { type RunFigures, relayResults, relayTable } from "./relay-results.ts";

const run = (msgsPerSec: number, p50ms = 1, p99ms = 2): RunFigures => ({
  messages: 100,
  msgsPerSec,
  p50ms,
  p99ms,
  maxMs: p99ms,
  durationMs: 1,
  duplicates: 0,
  loopDelayMaxMs: msgsPerSec / 100,
  cpu: { processUs: msgsPerSec / 10, serverUs: p50ms },
});
const idle = { puppets: 10_000, heapBytesPerPuppet: 812.4, rssBytesPerPuppet: 1500.6, createMs: 900.2 };
const common = { idle, server: "test", node: "v0", engineWarnings: 0 };

describe("relayResults", () => {
  it("keeps the figures under the names earlier results.json files use", () => {
    const r = relayResults({
      ...common,
      ceiling: [run(1000), run(4000), run(2000)],
      engine: [run(500, 10, 90), run(1900, 30, 70), run(1000, 20, 80)],
    });
    assert.deepEqual(r, {
      figures: {
        engineMsgsPerSec: 1000,
        ceilingMsgsPerSec: 2000,
        p50ms: 20,
        p99ms: 80,
        ceilingP50ms: 1,
        ceilingP99ms: 2,
        loopDelayMaxMs: 10,
        ceilingLoopDelayMaxMs: 20,
        engineCpuUsPerMsg: 100,
        ceilingCpuUsPerMsg: 200,
        engineCpuVsCeiling: 0.5,
        engineServerCpuUsPerMsg: 20,
        ceilingServerCpuUsPerMsg: 1,
        bytesPerIdlePuppet: 812,
        rssBytesPerIdlePuppet: 1501,
        idlePuppets: 10_000,
        idlePuppetCreateMs: 900,
        burstMessages: 100,
        rounds: 3,
        roundRatios: [0.5, 0.475, 0.5],
        engineWarnings: 0,
        duplicates: 0,
        server: "test",
        node: "v0",
      },
      ratios: { vsCeiling: 0.5 },
    });
  });

  it("sets the engine's CPU per message against the ceiling's, and says whether it meets the aim", () => {
    const within = relayResults({ ...common, ceiling: [run(1000)], engine: [run(2000)] });
    assert.equal(within.figures.engineCpuVsCeiling, 2);
    assert.match(
      relayTable(within),
      /CPU per message in the bench process, µs \| +100 \| +200 \| +2\.00 \(aim <= 2: meets aim\) \|/,
    );
    const over = relayResults({ ...common, ceiling: [run(1000)], engine: [run(3100)] });
    assert.equal(over.figures.engineCpuVsCeiling, 3.1);
    assert.match(relayTable(over), /\| +3\.10 \(aim <= 2: misses aim\) \|/);
  });

  it("leaves server CPU unknown when a run could not read it", () => {
    const unknown = { ...run(1), cpu: { processUs: 1, serverUs: null } };
    const r = relayResults({ ...common, ceiling: [run(1), run(1)], engine: [run(1), unknown] });
    assert.equal(r.figures.engineServerCpuUsPerMsg, null);
    assert.equal(r.figures.ceilingServerCpuUsPerMsg, 1);
    assert.match(relayTable(r), /CPU per message in Prosody, µs +\| +1 \| +n\/a \|/);
  });

  it("adds up duplicates over all runs", () => {
    const r = relayResults({
      ...common,
      ceiling: [{ ...run(1), duplicates: 2 }],
      engine: [{ ...run(1), duplicates: 3 }],
    });
    assert.equal(r.figures.duplicates, 5);
    assert.match(relayTable(r), /duplicate deliveries: 5$/);
  });

  it("refuses rounds that do not pair up", () => {
    assert.throws(() => relayResults({ ...common, ceiling: [run(1)], engine: [] }), RoundsError);
    assert.throws(() => relayResults({ ...common, ceiling: [], engine: [] }), RoundsError);
  });

  it("says in the table whether each target is met", () => {
    const good = relayResults({ ...common, ceiling: [run(1000)], engine: [run(950)] });
    assert.match(relayTable(good), /\| 0\.95 \(target >= 0\.9: meets target\) \|/);
    assert.match(relayTable(good), /812 \(target < 2048: meets target\) \| +7\.7 \|/);
    const bad = relayResults({
      ...common,
      idle: { ...idle, heapBytesPerPuppet: 4096 },
      ceiling: [run(1000)],
      engine: [run(100)],
    });
    assert.match(relayTable(bad), /0\.10 \(target >= 0\.9: MISSES target\)/);
    assert.match(relayTable(bad), /4096 \(target < 2048: MISSES target\)/);
  });
});

describe("benchSettings", () => {
  it("has defaults and reads whole numbers", () => {
    assert.deepEqual(benchSettings({}), {
      messages: 5000,
      rounds: 5,
      idlePuppets: 10_000,
      timeoutMs: 60_000,
      seated: 0,
    });
    assert.equal(benchSettings({ PARLEY_BENCH_MESSAGES: " 10_000 " }).messages, 10_000);
    assert.equal(benchSettings({ PARLEY_BENCH_SEATED: "20" }).seated, 20);
  });

  for (const [name, bad] of [
    ["PARLEY_BENCH_MESSAGES", "0"],
    ["PARLEY_BENCH_ROUNDS", "26"],
    ["PARLEY_BENCH_IDLE_PUPPETS", "2.5"],
    ["PARLEY_BENCH_TIMEOUT_MS", "999"],
    ["PARLEY_BENCH_SEATED", "201"],
  ] as const) {
    it(`refuses ${name}=${bad} with a typed error naming the variable`, () => {
      assert.throws(
        () => benchSettings({ [name]: bad }),
        (e: unknown) => e instanceof BenchSettingsError && e.message.startsWith(`${name}=`),
      );
    });
  }
});

describe("idle-puppet process I/O", () => {
  it("reads the child's input and refuses malformed input with a typed error", () => {
    const ok = { host: "127.0.0.1", port: 5347, domain: "idle.parley.test", secret: "s", count: 10, dir: "/tmp/x" };
    assert.deepEqual(parseIdleInput(JSON.stringify(ok)), ok);
    for (const bad of [
      undefined,
      "",
      "{",
      "[]",
      JSON.stringify({ ...ok, count: 0 }),
      JSON.stringify({ ...ok, port: "x" }),
      JSON.stringify({ ...ok, dir: 1 }),
    ]) {
      assert.throws(() => parseIdleInput(bad), IdlePuppetError);
    }
  });

  it("takes the figures from the last line and refuses anything else", () => {
    const figures = { puppets: 10, heapBytesPerPuppet: 700, rssBytesPerPuppet: 900, createMs: 5 };
    assert.deepEqual(parseIdleReport(`noise\n${JSON.stringify(figures)}\n`), figures);
    assert.throws(() => parseIdleReport(""), IdlePuppetError);
    assert.throws(() => parseIdleReport('{"puppets":10}'), IdlePuppetError);
    assert.throws(() => parseIdleReport(JSON.stringify({ ...figures, createMs: "5" })), IdlePuppetError);
  });
});
