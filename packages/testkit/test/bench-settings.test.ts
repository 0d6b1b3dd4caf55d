/** Bench settings from the environment. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BenchSettingsError, wholeNumberSetting } from "../src/bench/index.ts";

const range = { fallback: 5000, min: 1, max: 1_000_000 };

describe("wholeNumberSetting", () => {
  it("falls back when unset or blank and reads whole numbers, underscores allowed", () => {
    assert.equal(wholeNumberSetting({}, "PARLEY_BENCH_MESSAGES", range), 5000);
    assert.equal(wholeNumberSetting({ PARLEY_BENCH_MESSAGES: "  " }, "PARLEY_BENCH_MESSAGES", range), 5000);
    assert.equal(wholeNumberSetting({ PARLEY_BENCH_MESSAGES: " 10_000 " }, "PARLEY_BENCH_MESSAGES", range), 10_000);
    assert.equal(wholeNumberSetting({ PARLEY_BENCH_MESSAGES: "1" }, "PARLEY_BENCH_MESSAGES", range), 1);
  });

  for (const bad of ["0", "-5", "1e3", "abc", "2.5", "99999999999999", "0x10"]) {
    it(`refuses PARLEY_BENCH_MESSAGES=${bad} with a typed error naming the variable and the range`, () => {
      assert.throws(
        () => wholeNumberSetting({ PARLEY_BENCH_MESSAGES: bad }, "PARLEY_BENCH_MESSAGES", range),
        (e: unknown) =>
          e instanceof BenchSettingsError && /^PARLEY_BENCH_MESSAGES=.*from 1 to 1000000$/.test(e.message),
      );
    });
  }
});
