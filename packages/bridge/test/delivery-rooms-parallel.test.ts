/**
 * Rooms proceed in parallel: a burst in one room never waits on another. A
 * lane waiting on its network (a rate-limited webhook waits up to 2 s with
 * nothing in flight) holds a slot, so the default bound must be far above the
 * rooms a bridge links at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryQueue } from "../src/delivery/index.ts";

const settle = () => new Promise((r) => setImmediate(r));

describe("delivery lanes of many rooms", () => {
  it("runs a job in each of 100 rooms at once, and another direction's beside them", async () => {
    const queue = new DeliveryQueue();
    const started = new Set<string>();
    const { promise: networkWaits, resolve: release } = Promise.withResolvers<void>();
    const outcomes = Array.from({ length: 100 }, (_, room) =>
      queue.enqueue({
        key: `to-remote ${room}`,
        lane: `remote:channel-${room}`,
        describe: "a message waiting on its webhook's rate limit",
        run: async () => {
          started.add(`remote:channel-${room}`);
          await networkWaits;
          return "posted";
        },
      }),
    );
    const toXmpp = queue.enqueue({
      key: "to-xmpp 1",
      lane: "xmpp:room-1",
      describe: "a message to XMPP",
      run: async () => "sent",
    });
    await settle();
    assert.equal(started.size, 100, "every room's lane runs while the others wait on their network");
    assert.equal((await toXmpp).status, "delivered", "the other direction does not wait for them either");
    release();
    for (const o of await Promise.all(outcomes)) assert.equal(o.status, "delivered");
  });
});
