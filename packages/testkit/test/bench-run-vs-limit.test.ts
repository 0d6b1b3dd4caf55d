/** An XMPP -> network run against what the network's rate limit allows, and a bench bridge's warnings. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BenchWarnings } from "../src/bench/bench-warnings.ts";
import { msgsPerSecOf, runVsLimit, runVsLimitRow } from "../src/bench/xmpp-to-network-figures.ts";

describe("runVsLimit", () => {
  it("counts every channel's messages and compares the pace with what the limit allows", () => {
    const asked: Array<[number, number]> = [];
    const r = runVsLimit({ channels: 10, perChannel: 20, durationMs: 4000, outOfOrder: 0 }, (channels, perChannel) => {
      asked.push([channels, perChannel]);
      return 100;
    });
    assert.deepEqual(asked, [[10, 20]]);
    assert.deepEqual(r, { messages: 200, measured: 50, allowed: 100, ratio: 0.5 });
  });

  it("keeps three places of the ratio and does not divide by a zero duration", () => {
    assert.equal(runVsLimit({ channels: 1, perChannel: 1, durationMs: 3000, outOfOrder: 0 }, () => 1).ratio, 0.333);
    assert.equal(msgsPerSecOf(5, 0), 5_000_000);
  });

  it("prints a row: what, msgs/s, what the limit allows, ratio, out of order", () => {
    assert.deepEqual(
      runVsLimitRow("1 channel, 4 messages", { msgsPerSec: 2.5, allowed: 4, ratio: 0.625, outOfOrder: 1 }),
      ["1 channel, 4 messages", "2.5", "4", "0.625", "1"],
    );
  });
});

describe("BenchWarnings", () => {
  it("counts what it is given, less the lines the bench expects", () => {
    const w = new BenchWarnings({ shown: 0, expected: (l) => l.includes("rate-limited") });
    w.write('{"msg":"rate-limited"}');
    w.write('{"msg":"could not post"}');
    w.write('{"msg":"could not post"}');
    assert.equal(w.count, 2);
  });
});
