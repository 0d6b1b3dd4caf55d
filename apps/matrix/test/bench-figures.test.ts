import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { burstFigures, median, quantile, table } from "../bench/bench-figures.ts";

describe("bench figures", () => {
  test("throughput over first send to last arrival; nearest-rank latency percentiles", () => {
    const f = burstFigures({ sentAt: [0, 0, 10, 10], arrivedAt: [5, 20, 30, 400] });
    assert.equal(f.messages, 4);
    assert.equal(f.msgsPerSec, 10);
    assert.equal(f.p50ms, 20);
    assert.equal(f.p99ms, 390);
  });

  test("a burst with a missing arrival or send has no figures", () => {
    assert.throws(() => burstFigures({ sentAt: [0, 1], arrivedAt: [2, undefined] }));
    assert.throws(() => burstFigures({ sentAt: [Number.NaN], arrivedAt: [2] }));
    assert.throws(() => burstFigures({ sentAt: [], arrivedAt: [] }));
  });

  test("median and quantile", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
  });

  test("the table aligns columns", () => {
    assert.equal(table(["a", "bb"], [["xyz", "1"]]), "  a  bb\n---  --\nxyz   1");
  });
});
