/**
 * `byXmppId` with a channel, on SQLite and a real PostgreSQL: a room linked
 * to several channels has one record of a message per channel, and the
 * channel picks the one asked for (the engine's check, before posting a
 * message again, that it was posted to that channel already).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BridgeStore, type MessageRecord, openStore } from "../src/store/index.ts";
import { postgresBackend, sqliteBackend } from "./store-backends.ts";

const ROOM = "lobby@muc.parley.test";

const sent = (channel: string, remoteId: string): MessageRecord => ({
  network: "acme",
  channel,
  remoteId,
  room: ROOM,
  stanzaId: "s1",
  originId: "o1",
  sender: "occupant:alice",
  direction: "to-remote",
  createdAt: channel === "c1" ? 1 : 2,
});

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`byXmppId in one channel, on ${backend.name}`, { timeout: 300_000 }, () => {
    let store: BridgeStore;
    before(async () => {
      await backend.setup();
      store = await openStore(await backend.fresh());
    });
    after(async () => {
      await store?.close();
      await backend.teardown();
    });

    it("finds the record of the channel asked for, and none in a channel the message did not reach", async () => {
      await store.recordMessage(sent("c1", "r1"));
      await store.recordMessage(sent("c2", "r2"));
      assert.equal((await store.byXmppId("acme", ROOM, "s1"))?.remoteId, "r1", "without a channel: the first");
      assert.equal((await store.byXmppId("acme", ROOM, "s1", "c2"))?.remoteId, "r2");
      assert.equal((await store.byXmppId("acme", ROOM, "o1", "c1"))?.remoteId, "r1", "by origin-id too");
      assert.equal(await store.byXmppId("acme", ROOM, "s1", "c3"), undefined);
      assert.equal(await store.byXmppId("acme", ROOM, "s1", ""), undefined);
    });
  });
}
