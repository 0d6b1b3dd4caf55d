/**
 * HandledOnce's group commit: events are handed over without waiting for
 * their mark to be written, marks made while a commit runs share the next
 * one, and a crash before a commit leaves exactly the uncommitted events
 * to be handed over again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectorState } from "@parley/bridge";
import { HandledOnce } from "../src/handled-once.ts";

/**
 * A store whose writes become durable only when the test commits them:
 * `durable` is what survives a crash; `inFlight` the writes asked for and not
 * yet committed; `autoCommit` commits every write at once (next turn).
 */
function gatedState() {
  const durable = new Map<string, string>();
  let inFlight: Array<{ key: string; value: string; done: () => void }> = [];
  const batches: number[] = [];
  let autoCommit = false;
  let arrived: () => void = () => undefined;
  const commit = () => {
    const now = inFlight;
    inFlight = [];
    if (now.length === 0) return;
    batches.push(now.length);
    for (const w of now) durable.set(w.key, w.value);
    for (const w of now) w.done();
  };
  const state: ConnectorState = {
    get: async (key) => durable.get(key),
    set: (key, value) =>
      new Promise<void>((resolve) => {
        inFlight.push({ key, value, done: resolve });
        arrived();
        if (autoCommit) setImmediate(commit);
      }),
  };
  return {
    state,
    durable,
    batches,
    commit,
    get inFlight() {
      return inFlight.length;
    },
    setAutoCommit(on: boolean) {
      autoCommit = on;
      if (on) commit();
    },
    /** Resolves once at least `n` writes are in flight. */
    writesInFlight(n: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (inFlight.length >= n) resolve();
        };
        arrived = check;
        check();
      });
    },
  };
}

describe("HandledOnce", () => {
  // A bound, not a measure: HandledOnce that waited for each write would hang here.
  it("hands many events over without waiting for the store; marks made meanwhile share the next commit", {
    timeout: 20_000,
  }, async () => {
    const g = gatedState();
    const once = new HandledOnce(g.state, 60_000);
    const handed: string[] = [];
    for (let i = 0; i < 100; i++) {
      // One at a time, as the connector's event queue runs them; the first commit is still running.
      assert.equal(
        await once.once(`ev:${i}`, async () => {
          handed.push(`ev:${i}`);
        }),
        true,
      );
    }
    assert.equal(handed.length, 100, "every event handed over while the first commit ran");
    assert.equal(g.inFlight, 1, "one commit at a time: only the first key is being written");
    g.commit();
    await g.writesInFlight(99);
    g.commit();
    await once.flush();
    assert.deepEqual(g.batches, [1, 99], "the 99 keys marked during the first commit went in the second");
    assert.equal(once.commits, 2);
    assert.equal(g.durable.size, 100);
    for (let i = 0; i < 100; i++) assert.equal(g.durable.get(`once:ev:${i}`), "1");
  });

  it("knows a key from the moment it is marked, before it is written", async () => {
    const g = gatedState();
    const once = new HandledOnce(g.state, 60_000);
    let hands = 0;
    await once.once("m:C1:1.0001", async () => {
      hands++;
    });
    await once.once("m:C1:1.0002", async () => {
      hands++;
    });
    assert.equal(g.durable.size, 0, "nothing written yet");
    assert.equal(await once.once("m:C1:1.0002", async () => void hands++), false);
    assert.equal(await once.once("m:C1:1.0001", async () => void hands++), false);
    assert.equal(hands, 2);
    g.setAutoCommit(true);
    await once.flush();
    assert.equal(g.durable.size, 2);
  });

  it("writes a key only after its event was handed over", async () => {
    const g = gatedState();
    g.setAutoCommit(true);
    const once = new HandledOnce(g.state, 60_000);
    await once.once("ev:before", async () => undefined);
    let release: () => void = () => undefined;
    const slow = once.once("ev:slow", async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await once.flush();
    assert.ok(g.durable.has("once:ev:before"), "the earlier key is committed meanwhile");
    assert.ok(!g.durable.has("once:ev:slow"), "not marked while it is being handed over");
    release();
    await slow;
    await once.flush();
    assert.ok(g.durable.has("once:ev:slow"));
  });

  it("after a crash, hands over again exactly the events whose keys were not committed", {
    timeout: 20_000,
  }, async () => {
    const g = gatedState();
    g.setAutoCommit(true);
    const before = new HandledOnce(g.state, 60_000);
    for (let i = 0; i < 10; i++) await before.once(`ev:${i}`, async () => undefined);
    await before.flush();
    // The store stops committing; ten more events are handed over, their keys not written.
    g.setAutoCommit(false);
    for (let i = 10; i < 20; i++) await before.once(`ev:${i}`, async () => undefined);
    assert.ok(g.inFlight > 0, "a commit is waiting on the store");
    // Crash: what is in flight never reaches the store; a new process reads what did.
    const after = new HandledOnce(g.state, 60_000);
    const again: number[] = [];
    for (let i = 0; i < 20; i++) {
      await after.once(`ev:${i}`, async () => {
        again.push(i);
      });
    }
    assert.deepEqual(
      again,
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      "committed events are not handed over twice; uncommitted ones are not lost",
    );
  });

  it("a failed write is logged and the key is still known in this process", async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => void warnings.push(m),
      error: () => undefined,
      child: () => logger,
    };
    const state: ConnectorState = {
      get: async () => undefined,
      set: async () => {
        throw new Error("disk full");
      },
    };
    const once = new HandledOnce(state, 60_000, logger);
    await once.once("ev:x", async () => undefined);
    await once.flush();
    assert.equal(warnings.length, 1);
    assert.equal(await once.once("ev:x", async () => assert.fail("handed twice")), false);
  });
});
