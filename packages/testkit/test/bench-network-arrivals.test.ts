/** XMPP -> network benches: waiting for a burst on the network side, and the burst sides of network -> XMPP benches. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awaitNetworkArrivals, BurstIncompleteError, benchBody, type PollArrivals } from "../src/index.ts";

/** A poll that hands out the given batches one per call, then nothing. */
function batches(...list: Array<Array<[string, number]>>): PollArrivals {
  return async () => list.shift() ?? [];
}

describe("awaitNetworkArrivals", () => {
  it("gathers a burst over several polls, with the last time and the order it was made in", async () => {
    const r = await awaitNetworkArrivals({
      tag: "t",
      count: 3,
      timeoutMs: 5000,
      intervalMs: 1,
      poll: batches(
        [[benchBody("t", 0), 10]],
        [
          ["someone else", 11],
          [benchBody("other", 0), 12],
          [benchBody("t", 2), 30],
        ],
        [[benchBody("t", 1), 20]],
      ),
    });
    assert.deepEqual(r, { lastAt: 30, arrived: 3, outOfOrder: 1 });
  });

  it("fails a message made twice", async () => {
    await assert.rejects(
      awaitNetworkArrivals({
        tag: "t",
        count: 2,
        timeoutMs: 5000,
        intervalMs: 1,
        poll: batches([
          [benchBody("t", 0), 1],
          [benchBody("t", 0), 2],
        ]),
      }),
      /message 0 was made twice/,
    );
  });

  it("settles for fewer once nothing new came for quietMs", async () => {
    const r = await awaitNetworkArrivals({
      tag: "t",
      count: 5,
      timeoutMs: 5000,
      quietMs: 50,
      intervalMs: 5,
      poll: batches([[benchBody("t", 0), 7]]),
    });
    assert.deepEqual(r, { lastAt: 7, arrived: 1, outOfOrder: 0 });
  });

  it("throws BurstIncompleteError at the deadline without quietMs", async () => {
    await assert.rejects(
      awaitNetworkArrivals({
        tag: "t",
        count: 2,
        timeoutMs: 50,
        intervalMs: 5,
        poll: batches([[benchBody("t", 1), 3]]),
      }),
      (e: unknown) => e instanceof BurstIncompleteError && e.received === 1 && e.expected === 2,
    );
  });
});
