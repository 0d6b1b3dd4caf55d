/** Slack timestamps compared exactly (sixteen digits do not fit a float) and converted to times. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareTs, tsMillis, tsOf } from "../src/slack-ts.ts";

describe("Slack ts", () => {
  it("orders timestamps a float would confuse", () => {
    assert.ok(compareTs("1700000000.000001", "1700000000.000002") < 0);
    assert.ok(compareTs("1700000000.1", "1700000000.000002") > 0);
    assert.equal(compareTs("1700000000.100000", "1700000000.1"), 0);
    assert.ok(compareTs("999999999.9", "1000000000.0") < 0);
  });

  it("agrees with the order of the times they stand for", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 4e12 }), (a, b) => {
        assert.equal(Math.sign(compareTs(tsOf(a), tsOf(b))), Math.sign(a - b));
        assert.equal(tsMillis(tsOf(a)), a);
      }),
    );
  });
});
