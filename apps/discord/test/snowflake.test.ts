import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareSnowflakes, DISCORD_EPOCH_MS, isSnowflake, snowflakeAt, timeOfSnowflake } from "../src/snowflake.ts";

describe("snowflakes", () => {
  it("compares as 64-bit numbers, not as strings", () => {
    assert.ok(compareSnowflakes("9", "10") < 0);
    assert.ok(compareSnowflakes("1234567890123456789", "234567890123456789") > 0);
    assert.equal(compareSnowflakes("42", "42"), 0);
  });

  it("makes the smallest id of a millisecond, which reads back as that time", () => {
    const t = Date.UTC(2024, 5, 1, 12, 0, 0, 123);
    const id = snowflakeAt(t);
    assert.equal(timeOfSnowflake(id), t);
    assert.ok(compareSnowflakes(id, snowflakeAt(t + 1)) < 0);
    assert.equal(snowflakeAt(DISCORD_EPOCH_MS - 5), "0");
    // A real message id posted at that millisecond (worker, process and increment bits set) sorts after it.
    assert.ok(compareSnowflakes((BigInt(id) + 4095n).toString(), id) > 0);
  });

  it("recognises ids", () => {
    assert.ok(isSnowflake("175928847299117063"));
    assert.ok(!isSnowflake(""));
    assert.ok(!isSnowflake("12a"));
    assert.ok(!isSnowflake(1759288472));
    assert.ok(!isSnowflake("99999999999999999999"));
  });
});
