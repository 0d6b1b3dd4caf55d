import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyedChains } from "../src/store/keyed-chains.ts";

describe("KeyedChains", () => {
  it("settles a key once the work chained under it so far has, failures included, and then forgets it", async () => {
    const chains = new KeyedChains();
    assert.equal(chains.settled("k"), undefined);
    const a = Promise.withResolvers<void>();
    const b = Promise.withResolvers<void>();
    chains.add("k", a.promise);
    chains.add("k", b.promise);
    chains.add("other", new Promise(() => undefined)); // never settles: other keys do not wait for it
    let settled = false;
    const waiting = chains.settled("k")?.then(() => {
      settled = true;
    });
    assert.ok(waiting);
    b.reject(new Error("the second write failed"));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, "the first piece of work is still in flight");
    // Work added after the lookup asked is not waited for.
    chains.add("k", new Promise(() => undefined));
    a.resolve();
    await waiting;
    assert.equal(settled, true);
    assert.ok(chains.settled("k"), "the later work is still in flight");
  });

  it("forgets a key whose work is done", async () => {
    const chains = new KeyedChains();
    chains.add("k", Promise.resolve());
    chains.add("k", Promise.reject(new Error("failed")));
    await chains.settled("k");
    await new Promise((r) => setImmediate(r));
    assert.equal(chains.settled("k"), undefined);
    await chains.all();
  });
});
