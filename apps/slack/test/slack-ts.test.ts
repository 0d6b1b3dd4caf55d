/** Slack timestamps compared exactly (sixteen digits do not fit a float) and converted to times. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareTs, tsMillis, tsMillisExact, tsOf } from "../src/slack-ts.ts";

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

  it("keeps an edit's microseconds, so two edits in one millisecond keep their order", () => {
    assert.ok(tsMillisExact("1700000005.000100") < tsMillisExact("1700000005.000900"));
    assert.equal(tsMillis("1700000005.000100"), tsMillis("1700000005.000900"));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4e9 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 999_999 }),
        (s, a, b) => {
          const ts = (u: number) => `${s}.${String(u).padStart(6, "0")}`;
          assert.equal(Math.sign(tsMillisExact(ts(a)) - tsMillisExact(ts(b))), Math.sign(a - b));
        },
      ),
    );
  });
});
