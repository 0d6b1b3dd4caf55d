/** The printed table and bench/results.json. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  BenchResultsError,
  benchResultsJson,
  markdownTable,
  targetVerdict,
  writeBenchResults,
} from "../src/bench/index.ts";

describe("markdownTable", () => {
  it("pads columns, left-aligns the first and right-aligns the figures", () => {
    const table = markdownTable(
      ["measure", "ceiling", "bridge"],
      [
        ["throughput, msgs/s", "3743", "3651"],
        ["p99, ms", "1269.4"],
      ],
    );
    assert.equal(
      table,
      [
        "| measure            | ceiling | bridge |",
        "|--------------------|--------:|-------:|",
        "| throughput, msgs/s |    3743 |   3651 |",
        "| p99, ms            |  1269.4 |        |",
      ].join("\n"),
    );
  });

  it("takes alignments, escapes the separator and keeps each row on one line", () => {
    const table = markdownTable(["a", "b"], [["x|y", "one\ntwo"]], ["right", "left"]);
    assert.equal(table, ["|    a | b       |", "|-----:|---------|", "| x\\|y | one two |"].join("\n"));
  });

  it("refuses a row longer than the header and a table of no columns", () => {
    assert.throws(() => markdownTable(["a"], [["1", "2"]]), /row 1 has 2 cells, the header 1/);
    assert.throws(() => markdownTable([], []), RangeError);
  });

  it("says whether a target is met", () => {
    assert.equal(targetVerdict(true), "meets target");
    assert.equal(targetVerdict(false), "MISSES target");
  });
});

describe("bench/results.json", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), "parley-bench-results-"));
    dirs.push(d);
    return d;
  };

  it("is two-space JSON of figures and ratios, with a final newline", () => {
    const file = join(scratch(), "results.json");
    const results = {
      figures: { msgsPerSec: 3094, roundRatios: [0.868, 0.909], cpu: { serverUs: null }, server: "Prosody" },
      ratios: { vsCeiling: 0.945 },
    };
    writeBenchResults(file, results);
    const text = readFileSync(file, "utf8");
    assert.ok(text.endsWith("}\n"));
    assert.match(text, /^\{\n {2}"figures": \{\n {4}"msgsPerSec": 3094,/);
    assert.deepEqual(JSON.parse(text), results);
  });

  it("keeps only figures and ratios", () => {
    const extra = { figures: { a: 1 }, ratios: { b: 2 }, scratch: "x" };
    assert.deepEqual(JSON.parse(benchResultsJson(extra)), { figures: { a: 1 }, ratios: { b: 2 } });
  });

  it("refuses a figure JSON would turn into null and leaves the previous file as it was", () => {
    const dir = scratch();
    const file = join(dir, "results.json");
    writeFileSync(file, "previous\n");
    assert.throws(
      () => writeBenchResults(file, { figures: { p99ms: Number.NaN }, ratios: { vsCeiling: 1 } }),
      (e: unknown) => e instanceof BenchResultsError && /figures\.p99ms is NaN/.test(e.message),
    );
    assert.throws(
      () => writeBenchResults(file, { figures: { rates: [1, Number.POSITIVE_INFINITY] }, ratios: {} }),
      /figures\.rates\[1\] is Infinity/,
    );
    assert.throws(
      () => writeBenchResults(file, { figures: {}, ratios: { vsCeiling: Number.NaN } }),
      /ratios\.vsCeiling/,
    );
    assert.equal(readFileSync(file, "utf8"), "previous\n");
    assert.deepEqual(readdirSync(dir), ["results.json"], "no temporary file is left behind");
  });

  it("refuses results without figures or ratios, or with a ratio that is not a number", () => {
    const bad = [
      { figures: null, ratios: {} },
      { figures: {}, ratios: null },
      { figures: {}, ratios: { vsCeiling: "0.9" } },
    ] as unknown as Parameters<typeof benchResultsJson>[0][];
    for (const r of bad) assert.throws(() => benchResultsJson(r), BenchResultsError);
  });
});
