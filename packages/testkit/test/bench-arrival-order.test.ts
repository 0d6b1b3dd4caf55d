import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BenchResultsError, outOfOrderCount, readBenchResults, writeMergedBenchResults } from "../src/index.ts";

describe("outOfOrderCount", () => {
  it("is 0 for a burst shown in the order it was sent", () => {
    assert.equal(outOfOrderCount([0, 1, 2, 3]), 0);
    assert.equal(outOfOrderCount([]), 0);
  });

  it("counts a message overtaken by later ones once", () => {
    assert.equal(outOfOrderCount([1, 2, 3, 0]), 1);
  });

  it("counts every message but the first of a reversed burst", () => {
    assert.equal(outOfOrderCount([3, 2, 1, 0]), 3);
  });

  it("counts two swapped neighbours as one", () => {
    assert.equal(outOfOrderCount([0, 2, 1, 3, 5, 4]), 2);
  });
});

describe("writeMergedBenchResults", () => {
  it("keeps the figures and ratios another bench wrote, and replaces its own", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-merged-"));
    try {
      const file = join(dir, "results.json");
      writeMergedBenchResults(file, { figures: { msgsPerSec: 10 }, ratios: { vsCeiling: 0.9 } });
      writeMergedBenchResults(file, { figures: { toMatrixMsgsPerSec: 5 }, ratios: { toMatrixVsCeiling: 0.5 } });
      writeMergedBenchResults(file, { figures: { toMatrixMsgsPerSec: 6 }, ratios: { toMatrixVsCeiling: 0.6 } });
      assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), {
        figures: { msgsPerSec: 10, toMatrixMsgsPerSec: 6 },
        ratios: { vsCeiling: 0.9, toMatrixVsCeiling: 0.6 },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a file that is not results, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-merged-"));
    try {
      const file = join(dir, "results.json");
      writeFileSync(file, "[1, 2]");
      assert.throws(
        () => readBenchResults(file),
        (e: unknown) => e instanceof BenchResultsError && e.message.includes(file),
      );
      assert.deepEqual(readBenchResults(join(dir, "none.json")), { figures: {}, ratios: {} });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
