/**
 * A delivery counts once the other side has it: the queue's "sent" and
 * "confirmed" states, the store's unconfirmed records, the reconcile at start
 * against a real Prosody's room archive (found: confirmed, not sent again;
 * absent: sent again, in order, before anything newer), the drain at stop, and
 * a catch-up bounded by age past the old 1,000-message cap.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { type DeliveryLedger, DeliveryQueue, MemoryDeliveryLedger } from "../src/delivery/index.ts";
import { stanzaIdFor } from "../src/engine/stanza-ids.ts";
import { type BridgeStore, openStore } from "../src/store/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

describe("delivery confirmation: the queue", () => {
  it("holds a job that awaits confirmation as sent, not delivered, until the other side confirms it", async () => {
    const ledger = new MemoryDeliveryLedger();
    const queue = new DeliveryQueue({ ledger });
    let runs = 0;
    const job = {
      key: "k1",
      lane: "room",
      describe: "a message",
      awaitsConfirmation: true,
      run: async () => {
        runs++;
        return "origin-1";
      },
    };
    const first = await queue.enqueue(job);
    assert.equal(first.status, "sent");
    assert.equal(await ledger.deliveredResult("k1"), undefined, "sent is not delivered");
    assert.equal(queue.unconfirmed, 1);
    assert.equal((await queue.enqueue(job)).status, "duplicate", "not sent twice while it awaits confirmation");
    assert.equal(runs, 1);
    assert.equal(await queue.drain(30), false, "a drain waits for the confirmation");
    const drained = queue.drain(5_000);
    await queue.confirm("k1");
    assert.equal(await drained, true);
    assert.equal(await ledger.deliveredResult("k1"), "origin-1", "confirmed: delivered, with what the job returned");
    assert.equal(queue.unconfirmed, 0);
    assert.equal((await queue.enqueue(job)).status, "duplicate", "and never sent again");
    assert.equal(runs, 1);
  });

  it("counts a confirmation that comes before the send returns, and abandons without losing the record", async () => {
    const ledger = new MemoryDeliveryLedger();
    const queue = new DeliveryQueue({ ledger });
    const outcome = await queue.enqueue({
      key: "quick",
      lane: "room",
      describe: "a quick one",
      awaitsConfirmation: true,
      run: async () => {
        await queue.confirm("quick"); // the reflection overtook the write's callback
        return "x";
      },
    });
    assert.equal(outcome.status, "sent");
    assert.equal(queue.unconfirmed, 0);
    assert.equal(await queue.drain(0), true);
    await ledger.recordUnconfirmed({
      key: "later",
      network: "n",
      target: "room",
      sender: "p",
      id: "later",
      data: "<message/>",
      at: 1,
      seq: 0,
    });
    queue.expectConfirmation("later");
    await queue.abandon("later");
    assert.equal((await ledger.unconfirmed("n")).length, 1, "kept for the next start");
    queue.expectConfirmation("later");
    await queue.abandon("later", { drop: true });
    assert.deepEqual(await ledger.unconfirmed("n"), [], "given up for good");
  });
});

/**
 * What every ledger that keeps unconfirmed deliveries does with them (the
 * stores and the memory ledger alike): kept per network in their order,
 * forgotten once confirmed or marked delivered, not kept again for a key
 * delivered already.
 */
async function keepsUnconfirmedInOrder(ledger: Required<DeliveryLedger>): Promise<void> {
  const u = (key: string, at: number, seq: number, network = "discord") => ({
    key,
    network,
    target: "room@muc.example",
    sender: "p1",
    id: `id-${key}`,
    data: `<message id='id-${key}'/>`,
    at,
    seq,
  });
  await ledger.recordUnconfirmed(u("c", 2000, 0));
  await ledger.recordUnconfirmed(u("b", 1000, 1));
  await ledger.recordUnconfirmed(u("a", 1000, 0));
  await ledger.recordUnconfirmed(u("m", 500, 0, "matrix"));
  assert.deepEqual(
    (await ledger.unconfirmed("discord")).map((x) => x.key),
    ["a", "b", "c"],
  );
  assert.equal((await ledger.unconfirmed("discord"))[0]?.data, "<message id='id-a'/>");
  await ledger.confirmDelivery("b", "id-b");
  assert.equal(await ledger.deliveredResult("b"), "id-b");
  assert.deepEqual(
    (await ledger.unconfirmed("discord")).map((x) => x.key),
    ["a", "c"],
  );
  // Handed over again once confirmed: not unconfirmed again.
  await ledger.recordUnconfirmed(u("b", 3000, 0));
  assert.deepEqual(
    (await ledger.unconfirmed("discord")).map((x) => x.key),
    ["a", "c"],
  );
  await ledger.dropUnconfirmed("a");
  assert.deepEqual(
    (await ledger.unconfirmed("discord")).map((x) => x.key),
    ["c"],
  );
  assert.deepEqual(
    (await ledger.unconfirmed("matrix")).map((x) => x.key),
    ["m"],
  );
  // Marked delivered another way (a reconciliation at start): no longer unconfirmed either.
  await ledger.markDelivered("c", "id-c");
  assert.deepEqual(await ledger.unconfirmed("discord"), []);
}

describe("delivery confirmation: the memory ledger", () => {
  it("keeps unconfirmed deliveries as the stores do", async () => {
    await keepsUnconfirmedInOrder(new MemoryDeliveryLedger());
  });
});

describe("delivery confirmation: the store", () => {
  let dir: string;
  let store: BridgeStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-unconfirmed-"));
    store = await openStore(`sqlite:${join(dir, "parley.db")}`);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps unconfirmed deliveries per network in their order, and forgets them once confirmed", async () => {
    await keepsUnconfirmedInOrder(store);
  });

  it("keeps the unconfirmed record when marking the delivery fails (the mark and the drop are asked for together)", async () => {
    await store.recordUnconfirmed({
      key: "refused",
      network: "slack",
      target: "room@muc.example",
      sender: "p1",
      id: "id-refused",
      data: "<message id='id-refused'/>",
      at: 1000,
      seq: 0,
    });
    const raw = new DatabaseSync(join(dir, "parley.db"));
    raw.exec(`CREATE TRIGGER refuse_mark BEFORE INSERT ON parley_deliveries WHEN NEW.delivery_key = 'refused'
              BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    try {
      // Another write in the same turn: the failing mark is in a group commit with it.
      const other = store.markDelivered("other");
      await assert.rejects(store.confirmDelivery("refused", "id-refused"), /refused by the test/);
      await other;
      assert.equal(await store.deliveredResult("other"), null);
      assert.equal(await store.deliveredResult("refused"), undefined);
      assert.deepEqual(
        (await store.unconfirmed("slack")).map((x) => x.key),
        ["refused"],
      );
    } finally {
      raw.exec("DROP TRIGGER refuse_mark");
      raw.close();
    }
    await store.confirmDelivery("refused", "id-refused");
    assert.deepEqual(await store.unconfirmed("slack"), []);
  });
});

describe("delivery confirmation against Prosody", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("prosody", { server: { archiveItemLimit: 10_000 } });
  });
  after(async () => {
    await h?.close();
  });

  /**
   * The next `n` messages alice received from Anna (the puppet of u1) whose
   * body starts with `prefix`, in the order they came; then nothing more of
   * them for a moment.
   */
  async function annaSaid(prefix: string, n: number): Promise<string[]> {
    const from = `${h.room.toLowerCase()}/anna`;
    const match = isMessage(
      (m) => m.type === "groupchat" && (m.from ?? "").toLowerCase() === from && (m.body ?? "").startsWith(prefix),
    );
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(((await h.alice.waitFor(match)).stanza as Message).body ?? "");
    await assert.rejects(h.alice.waitFor(match, { timeoutMs: 300 }), Error, `more than ${n} "${prefix}"`);
    return out;
  }

  it("reconciles at start what the last run left unconfirmed: archived ones are confirmed, absent ones sent again in order, before anything newer", async () => {
    const room = h.room.toLowerCase();
    const puppet = `u1@${h.domain}/bridge`;
    const arrived = h.alice.waitFor(isMessage((m) => m.body === "reconcile A"));
    const a = h.net.post("u1", "general", "reconcile A");
    await arrived;
    const keyA = `to-xmpp reference ${a.id} ${room}`;
    const idA = stanzaIdFor(keyA, h.domain);
    // The confirmation and the end of the unconfirmed record are two writes: wait for both.
    await waitUntil(
      "A confirmed by its reflection",
      async () =>
        (await h.store.deliveredResult(keyA)) !== undefined && (await h.store.unconfirmed("reference")).length === 0,
    );
    assert.deepEqual(await h.store.unconfirmed("reference"), [], "the reflection confirmed it");
    await h.bridge.stop();

    // As a crash would leave it: A's confirmation never recorded; B and C handed over and never sent.
    await h.store.prune("deliveries", Date.now() + 1, 100_000);
    const stanza = (key: string, body: string) => {
      const id = stanzaIdFor(key, h.domain);
      return {
        id,
        data: buildMessage({ type: "groupchat", id, originId: id, from: puppet, to: room, body }).toString(),
      };
    };
    const now = Date.now();
    await h.store.recordUnconfirmed({
      key: keyA,
      network: "reference",
      target: room,
      sender: "u1",
      id: idA,
      data: stanza(keyA, "reconcile A").data,
      at: now - 3000,
      seq: 0,
    });
    const keyB = `to-xmpp reference lost-b ${room}`;
    const keyC = `to-xmpp reference lost-c ${room}`;
    await h.store.recordUnconfirmed({
      key: keyC,
      network: "reference",
      target: room,
      sender: "u1",
      ...stanza(keyC, "reconcile C"),
      at: now - 1000,
      seq: 0,
    });
    await h.store.recordUnconfirmed({
      key: keyB,
      network: "reference",
      target: room,
      sender: "u1",
      ...stanza(keyB, "reconcile B"),
      at: now - 2000,
      seq: 0,
    });

    h.alice.inbox.clear();
    await h.restartBridge();
    h.net.post("u1", "general", "reconcile D");
    assert.deepEqual(
      await annaSaid("reconcile", 3),
      ["reconcile B", "reconcile C", "reconcile D"],
      "A is in the archive and is not sent again; B and C go again, in order, before D",
    );
    assert.equal(await h.store.deliveredResult(keyA), idA, "A confirmed from the archive");
    await waitUntil("B and C confirmed", async () => (await h.store.deliveredResult(keyC)) !== undefined);
    assert.deepEqual(await h.store.unconfirmed("reference"), []);
  });

  it("drains at stop: what was sent is confirmed before the link closes", async () => {
    h.alice.inbox.clear();
    for (let i = 0; i < 200; i++) h.net.post("u1", "general", `drain ${i}`);
    await h.bridge.stop();
    assert.deepEqual(await h.store.unconfirmed("reference"), [], "nothing left unconfirmed");
    assert.deepEqual(
      await annaSaid("drain ", 200),
      Array.from({ length: 200 }, (_, i) => `drain ${i}`),
    );
    await h.restartBridge();
  });

  it("catches up by age, past the old 1,000-message cap, in order", async () => {
    // Something read live first, so that the room has a mark to catch up from.
    const said = h.alice.waitFor(isMessage((m) => m.body === "before the gap" && m.type === "groupchat"));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("g"), body: "before the gap" }));
    await said;
    await apiCall(h, (c) => c.method === "post" && c.args.text === "before the gap");
    await h.bridge.stop();
    const total = 1_200;
    let last: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < total; i++) {
      const id = stanzaId("gap");
      if (i === total - 1)
        last = h.alice.waitFor(
          isMessage((m) => (m as Message).id === id),
          { timeoutMs: 60_000 },
        );
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, body: `away ${i}` }));
    }
    await last;
    const from = h.net.calls.length;
    await h.restartBridge();
    await apiCall(h, (c) => c.method === "post" && c.args.text === `away ${total - 1}`, 60_000);
    const posted = h.net.calls
      .slice(from)
      .filter((c) => c.method === "post" && String(c.args.text).startsWith("away "))
      .map((c) => String(c.args.text));
    assert.deepEqual(
      posted,
      Array.from({ length: total }, (_, i) => `away ${i}`),
      "all of them, once, in order",
    );
  });
});

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
