/** The benchmark's arithmetic and its probe: what the printed figures rest on. */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { xml } from "@parley/stanza";
import { BenchSettingsError, benchSettings } from "./bench-settings.ts";
import { BurstTimingsError, benchResults, burstFigures, median, percentile, resultsTable } from "./bench-stats.ts";
import { BurstIncompleteError, BurstProbe, burstBody, parseBurstBody } from "./burst-probe.ts";
import { IdlePuppetError, parseIdleInput, parseIdleReport } from "./idle-puppets.ts";
import { cpuMsFromStat } from "./process-cpu.ts";

describe("percentile and median", () => {
  it("takes the nearest rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 0.5), 50);
    assert.equal(percentile(xs, 0.99), 99);
    assert.equal(percentile(xs, 1), 100);
    assert.equal(percentile(xs, 0), 1);
    assert.equal(percentile([7], 0.99), 7);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });

  it("medians odd and even counts without reordering the input", () => {
    const xs = [3, 1, 2];
    assert.equal(median(xs), 2);
    assert.deepEqual(xs, [3, 1, 2]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe("burstFigures", () => {
  it("measures throughput from first send to last arrival and latency per message", () => {
    // Four messages sent at 0..3 ms, received at 10, 12, 20, 1000 ms.
    const f = burstFigures({ sentAt: [0, 1, 2, 3], receivedAt: [10, 12, 20, 1000] });
    assert.equal(f.messages, 4);
    assert.equal(f.durationMs, 1000);
    assert.equal(f.msgsPerSec, 4);
    assert.equal(f.p50ms, 11); // latencies 10, 11, 18, 997
    assert.equal(f.p99ms, 997);
    assert.equal(f.maxMs, 997);
  });

  it("refuses an incomplete or empty burst with a typed error", () => {
    assert.throws(() => burstFigures({ sentAt: [0, 1], receivedAt: [5, undefined] }), BurstTimingsError);
    assert.throws(() => burstFigures({ sentAt: [0, Number.NaN], receivedAt: [5, 6] }), BurstTimingsError);
    assert.throws(() => burstFigures({ sentAt: [], receivedAt: [] }), BurstTimingsError);
    assert.throws(() => burstFigures({ sentAt: [0], receivedAt: [] }), BurstTimingsError);
  });
});

describe("benchResults", () => {
  const run = (msgsPerSec: number, p50ms = 1, p99ms = 2) => ({
    messages: 100,
    msgsPerSec,
    p50ms,
    p99ms,
    maxMs: p99ms,
    durationMs: 1,
    duplicates: 0,
    loopDelayMaxMs: msgsPerSec / 100,
    cpuUsPerMsg: { bench: msgsPerSec / 10, server: p50ms as number | null },
  });
  const idle = { puppets: 10_000, heapBytesPerPuppet: 812.4, rssBytesPerPuppet: 1500.6, createMs: 900 };
  const common = { idle, server: "test", node: "v0", engineWarnings: 0 };

  it("takes medians over rounds and the ratio of the medians", () => {
    const r = benchResults({
      ...common,
      ceiling: [run(1000), run(4000), run(2000)],
      engine: [run(500, 10, 90), run(1900, 30, 70), run(1000, 20, 80)],
    });
    assert.equal(r.figures.ceilingMsgsPerSec, 2000);
    assert.equal(r.figures.engineMsgsPerSec, 1000);
    assert.equal(r.ratios.vsCeiling, 0.5);
    assert.equal(r.figures.p50ms, 20);
    assert.equal(r.figures.p99ms, 80);
    assert.deepEqual(r.figures.roundRatios, [0.5, 0.475, 0.5]);
    assert.equal(r.figures.bytesPerIdlePuppet, 812);
    assert.equal(r.figures.rssBytesPerIdlePuppet, 1501);
    assert.equal(r.figures.burstMessages, 100);
    assert.equal(r.figures.rounds, 3);
    assert.equal(r.figures.loopDelayMaxMs, 10);
    assert.equal(r.figures.ceilingLoopDelayMaxMs, 20);
    assert.equal(r.figures.duplicates, 0);
    assert.equal(r.figures.engineCpuUsPerMsg, 100);
    assert.equal(r.figures.ceilingServerCpuUsPerMsg, 1);
    assert.equal(r.figures.engineServerCpuUsPerMsg, 20);
  });

  it("leaves server CPU unknown when a run could not read it", () => {
    const unknown = { ...run(1), cpuUsPerMsg: { bench: 1, server: null } };
    const r = benchResults({ ...common, ceiling: [run(1), run(1)], engine: [run(1), unknown] });
    assert.equal(r.figures.engineServerCpuUsPerMsg, null);
    assert.equal(r.figures.ceilingServerCpuUsPerMsg, 1);
    assert.match(resultsTable(r), /CPU per message in Prosody, µs \| 1 \| n\/a/);
  });

  it("adds up duplicates over all runs", () => {
    const r = benchResults({
      ...common,
      ceiling: [{ ...run(1), duplicates: 2 }],
      engine: [{ ...run(1), duplicates: 3 }],
    });
    assert.equal(r.figures.duplicates, 5);
  });

  it("refuses rounds that do not pair up", () => {
    assert.throws(() => benchResults({ ...common, ceiling: [run(1)], engine: [] }), BurstTimingsError);
    assert.throws(() => benchResults({ ...common, ceiling: [], engine: [] }), BurstTimingsError);
  });

  it("says in the table whether each target is met", () => {
    const good = benchResults({ ...common, ceiling: [run(1000)], engine: [run(950)] });
    assert.match(resultsTable(good), /0\.95 \(target >= 0\.9: meets target\)/);
    assert.match(resultsTable(good), /812 \(target < 2048: meets target\) \| 7\.7 \|/);
    const bad = benchResults({
      ...common,
      idle: { ...idle, heapBytesPerPuppet: 4096 },
      ceiling: [run(1000)],
      engine: [run(100)],
    });
    assert.match(resultsTable(bad), /0\.10 \(target >= 0\.9: MISSES target\)/);
    assert.match(resultsTable(bad), /4096 \(target < 2048: MISSES target\)/);
  });
});

describe("benchSettings", () => {
  it("has defaults and reads whole numbers", () => {
    assert.deepEqual(benchSettings({}), { messages: 5000, rounds: 5, idlePuppets: 10_000, timeoutMs: 60_000 });
    assert.equal(benchSettings({ PARLEY_BENCH_MESSAGES: " 10_000 " }).messages, 10_000);
  });

  for (const bad of ["0", "-5", "1e3", "abc", "2.5", "99999999999999"]) {
    it(`refuses PARLEY_BENCH_MESSAGES=${bad} with a typed error`, () => {
      assert.throws(() => benchSettings({ PARLEY_BENCH_MESSAGES: bad }), BenchSettingsError);
    });
  }
});

describe("cpuMsFromStat", () => {
  it("reads utime and stime after a command name with spaces and parentheses", () => {
    const stat = "4401 (lua5.4 (x) y) S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 309231 3133440 381";
    assert.equal(cpuMsFromStat(stat), 3000);
    assert.equal(cpuMsFromStat("garbage"), undefined);
    assert.equal(cpuMsFromStat("1 (x) S 1 2"), undefined);
  });
});

describe("burst bodies", () => {
  it("carry the tag and sequence number and parse back", () => {
    assert.deepEqual(parseBurstBody(burstBody("e2", 4999)), { tag: "e2", seq: 4999 });
    assert.equal(parseBurstBody("hello"), undefined);
    assert.equal(parseBurstBody("burst e2 notanumber x"), undefined);
  });
});

describe("BurstProbe", () => {
  const room = "bench@muc.parley.test";
  const groupchat = (body: string, from = `${room}/Anna`) =>
    xml("message", { type: "groupchat", from, to: "alice@parley.test/test" }, xml("body", {}, body));

  function fakeClient() {
    const passed: string[] = [];
    return { passed, inbox: { push: (el: ReturnType<typeof xml>) => void passed.push(el.toString()) } };
  }

  it("times burst messages on the injected clock and lets everything else through to the inbox", async () => {
    let t = 0;
    const client = fakeClient();
    const probe = new BurstProbe(client, { now: () => t });
    const h = probe.expect({ tag: "c1", room, count: 2, timeoutMs: 60_000 });
    t = 5;
    h.markSent(0);
    t = 6;
    h.markSent(1);
    t = 40;
    client.inbox.push(groupchat(burstBody("c1", 1)));
    client.inbox.push(groupchat("an ordinary message"));
    client.inbox.push(groupchat(burstBody("c1", 0), "other@muc.parley.test/Anna")); // same text, other room
    client.inbox.push(groupchat(burstBody("c1", 1))); // a duplicate
    t = 50;
    client.inbox.push(groupchat(burstBody("c1", 0)));
    const timings = await h.done;
    assert.deepEqual(timings.sentAt, [5, 6]);
    assert.deepEqual(timings.receivedAt, [50, 40]);
    assert.equal(timings.duplicates, 1);
    assert.equal(client.passed.length, 2);
    assert.match(client.passed[0] as string, /an ordinary message/);
    assert.match(client.passed[1] as string, /other@muc/);
    probe.detach();
    client.inbox.push(groupchat(burstBody("c1", 0)));
    assert.equal(client.passed.length, 3, "after detach the inbox gets everything again");
  });

  it("rejects with BurstIncompleteError naming how many arrived", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const client = fakeClient();
      const probe = new BurstProbe(client, { now: () => 0 });
      const h = probe.expect({ tag: "e1", room, count: 3, timeoutMs: 1000 });
      client.inbox.push(groupchat(burstBody("e1", 2)));
      mock.timers.tick(1000);
      await assert.rejects(h.done, (e: unknown) => {
        assert.ok(e instanceof BurstIncompleteError);
        assert.equal(e.received, 1);
        assert.equal(e.expected, 3);
        return true;
      });
    } finally {
      mock.timers.reset();
    }
  });

  it("refuses a burst of no messages and a tag already being timed", () => {
    const probe = new BurstProbe(fakeClient());
    assert.throws(() => probe.expect({ tag: "x", room, count: 0, timeoutMs: 1 }), RangeError);
    const h = probe.expect({ tag: "x", room, count: 1, timeoutMs: 60_000 });
    assert.throws(() => probe.expect({ tag: "x", room, count: 1, timeoutMs: 1 }), /already being timed/);
    probe.detach();
    return assert.rejects(h.done, /abandoned/);
  });
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
