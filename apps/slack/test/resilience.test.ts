/**
 * What must not lose or double a message: a redelivered envelope (its ack
 * lost), a dropped Socket Mode connection, Slack's refresh `disconnect`, and
 * a bridge restart with messages said while it was away (caught up from
 * conversations.history and conversations.replies, in order, once).
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  assertNoViolations,
  collectInRoom,
  mapped,
  nothingMoreInRoom,
  postAndSee,
  type SlackHarness,
  startHarness,
  until,
} from "./harness.ts";

describe("resilience", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startHarness({ slack: { presence: false } });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("hands a redelivered envelope (retry_attempt) over once", async () => {
    // Everything before is acknowledged, so the lost ack is this message's.
    await h.fake.waitForAcks({ timeoutMs: 15_000 });
    h.fake.loseAcks(1);
    const { ts } = await postAndSee(h, h.bob, "redelivered once");
    await until("the envelope redelivered", () =>
      h.fake.envelopes.some((e) => JSON.stringify(e.envelope).includes(ts) && e.sends > 1),
    );
    await h.fake.waitForAcks({ timeoutMs: 15_000 });
    await nothingMoreInRoom(h, "redelivered once");
  });

  it("reconnects after a dropped socket and loses nothing said meanwhile", async () => {
    const opened = h.fake.connections.opened;
    h.fake.dropSockets();
    h.fake.post(h.general.id, h.anna.id, "dropped 1");
    h.fake.post(h.general.id, h.anna.id, "dropped 2");
    await h.fake.waitForConnection(opened + 1, { timeoutMs: 30_000 });
    h.fake.post(h.general.id, h.anna.id, "dropped 3");
    const got = await collectInRoom(h, "Annie", "dropped ", 3);
    assert.deepEqual(
      got.map((m) => m.body),
      ["dropped 1", "dropped 2", "dropped 3"],
    );
    await nothingMoreInRoom(h, "dropped ");
  });

  it("follows a refresh disconnect to a new connection without loss", async () => {
    const opened = h.fake.connections.opened;
    h.fake.disconnect("refresh_requested");
    await h.fake.waitForConnection(opened + 1, { timeoutMs: 30_000 });
    await postAndSee(h, h.anna, "after the refresh");
  });

  it("catches up what was said while the bridge was away, thread replies included, in order, once", async () => {
    const { ts: root } = await postAndSee(h, h.anna, "before the restart");
    await mapped(h, root);
    await h.stopBridge();
    h.fake.post(h.general.id, h.bob.id, "away 1");
    h.fake.post(h.general.id, h.anna.id, "away 2 in thread", { threadTs: root });
    h.fake.post(h.general.id, h.bob.id, "away 3");
    await h.startBridge();
    const bobs = await collectInRoom(h, "Bob", "away ", 2);
    assert.deepEqual(
      bobs.map((m) => m.body),
      ["away 1", "away 3"],
    );
    const [reply] = await collectInRoom(h, "Annie", "away 2", 1);
    assert.equal(reply?.thread?.id, root);
    await nothingMoreInRoom(h, "away ");
    // A second restart catches up nothing again.
    await h.stopBridge();
    await h.startBridge();
    await nothingMoreInRoom(h, "away ");
  });
});
