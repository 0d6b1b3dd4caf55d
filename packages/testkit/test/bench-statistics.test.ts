/** The arithmetic every bench's printed figures rest on. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BurstTimingsError, burstFigures, median, medianOf, percentile, roundTo } from "../src/bench/index.ts";

describe("percentile", () => {
  it("takes the nearest rank of values in any order", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(xs, 0.5), 50);
    assert.equal(percentile(xs, 0.99), 99);
    assert.equal(percentile(xs, 1), 100);
    assert.equal(percentile(xs, 0), 1);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(xs[0], 100, "the input keeps its order");
  });

  it("clamps q to 0..1 and has no value for no values", () => {
    assert.equal(percentile([1, 2, 3], 5), 3);
    assert.equal(percentile([1, 2, 3], -1), 1);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });
});

describe("median", () => {
  it("takes the middle of an odd count and the mean of the middle two of an even one", () => {
    const xs = [3, 1, 2];
    assert.equal(median(xs), 2);
    assert.deepEqual(xs, [3, 1, 2], "the input keeps its order");
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it("medianOf picks one figure of each run", () => {
    const runs = [{ p99ms: 9 }, { p99ms: 1 }, { p99ms: 5 }];
    assert.equal(
      medianOf(runs, (r) => r.p99ms),
      5,
    );
  });
});

describe("roundTo", () => {
  it("rounds to a number of decimals and keeps a number", () => {
    assert.equal(roundTo(1269.4499, 1), 1269.4);
    assert.equal(roundTo(0.9756, 3), 0.976);
    assert.equal(roundTo(3650.5, 0), 3651);
  });
});

describe("burstFigures", () => {
  it("measures throughput from first send to last arrival and latency per message", () => {
    // Sent at 0..3 ms, arrived at 10, 12, 20 and 1000 ms: latencies 10, 11, 18, 997.
    const f = burstFigures({ sentAt: [0, 1, 2, 3], receivedAt: [10, 12, 20, 1000] });
    assert.deepEqual(f, { messages: 4, msgsPerSec: 4, p50ms: 11, p99ms: 997, maxMs: 997, durationMs: 1000 });
  });

  it("counts from the earliest send whatever the order of the sends", () => {
    const f = burstFigures({ sentAt: [0, 0, 10, 10], receivedAt: [5, 20, 30, 400] });
    assert.equal(f.msgsPerSec, 10);
    assert.equal(f.p50ms, 20);
    assert.equal(f.p99ms, 390);
  });

  it("gives a burst faster than the clock a finite rate", () => {
    const f = burstFigures({ sentAt: [5, 5], receivedAt: [5, 5] });
    assert.ok(Number.isFinite(f.msgsPerSec));
    assert.equal(f.p50ms, 0);
  });

  it("refuses an incomplete or empty burst with a typed error that names the message", () => {
    assert.throws(() => burstFigures({ sentAt: [0, 1], receivedAt: [5, undefined] }), /message 1 .*never arrived/);
    assert.throws(() => burstFigures({ sentAt: [0, Number.NaN], receivedAt: [5, 6] }), /message 1 .*no send time/);
    assert.throws(() => burstFigures({ sentAt: [0], receivedAt: [Number.NaN] }), BurstTimingsError);
    assert.throws(() => burstFigures({ sentAt: [], receivedAt: [] }), BurstTimingsError);
    assert.throws(() => burstFigures({ sentAt: [0], receivedAt: [] }), BurstTimingsError);
  });
});
