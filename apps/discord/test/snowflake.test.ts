import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareSnowflakes, DISCORD_EPOCH_MS, isSnowflake, snowflakeAt, timeOfSnowflake } from "../src/snowflake.ts";

describe("snowflakes", () => {
  it("compares as 64-bit numbers, not as strings", () => {
    assert.ok(compareSnowflakes("9", "10") < 0);
    assert.ok(compareSnowflakes("1234567890123456789", "234567890123456789") > 0);
    assert.equal(compareSnowflakes("42", "42"), 0);
    assert.equal(compareSnowflakes("0042", "42"), 0, "leading zeros do not count");
    assert.ok(compareSnowflakes("0", "00") === 0 && compareSnowflakes("007", "10") < 0);
    assert.ok(compareSnowflakes("18446744073709551615", "9999999999999999999") > 0);
    // Against big-number arithmetic, on random ids of every length.
    for (let i = 0; i < 2000; i++) {
      const id = () =>
        String(BigInt(Math.floor(Math.random() * 2 ** 53)) * BigInt(1 + Math.floor(Math.random() * 2047)));
      const [a, b] = [id(), id()];
      const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
      assert.equal(Math.sign(compareSnowflakes(a, b)), expected, `${a} vs ${b}`);
    }
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
    assert.ok(isSnowflake("18446744073709551615"), "2^64 - 1");
    assert.ok(!isSnowflake("18446744073709551616"), "2^64");
    assert.ok(isSnowflake("9999999999999999999"), "19 digits");
  });
});
