/**
 * A job its caller knows was never queued before (`firstTime`) skips the
 * ledger look-up that every other job pays: one store read less for each new
 * message, and nothing else changes (it is still recorded once delivered).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryDeliveryLedger } from "../src/delivery/delivery-ledger.ts";
import { DeliveryQueue } from "../src/delivery/delivery-queue.ts";

/** A ledger that counts its look-ups. */
class CountingLedger extends MemoryDeliveryLedger {
  lookups = 0;
  override async deliveredResult(key: string): Promise<string | undefined | null> {
    this.lookups++;
    return super.deliveredResult(key);
  }
}

describe("delivery jobs queued for the first time", () => {
  it("runs a first-time job without asking the ledger, and records it delivered", async () => {
    const ledger = new CountingLedger();
    const queue = new DeliveryQueue({ ledger });
    const outcome = await queue.enqueue({
      key: "k1",
      lane: "a",
      describe: "new",
      firstTime: true,
      run: async () => "r1",
    });
    assert.equal(outcome.status, "delivered");
    assert.equal(ledger.lookups, 0, "no look-up for a first-time job");
    assert.equal(await ledger.deliveredResult("k1"), "r1", "recorded all the same");
  });

  it("still asks the ledger for any other job, and does not run one delivered before", async () => {
    const ledger = new CountingLedger();
    await ledger.markDelivered("k2", "earlier");
    const queue = new DeliveryQueue({ ledger });
    let runs = 0;
    const outcome = await queue.enqueue({
      key: "k2",
      lane: "a",
      describe: "replayed",
      run: async () => {
        runs++;
        return "again";
      },
    });
    assert.deepEqual(outcome, { status: "duplicate", result: "earlier" });
    assert.equal(runs, 0);
    assert.equal(ledger.lookups, 1);
  });
});
