/**
 * What the SQL store keeps in memory of the message map: the messages the
 * bridge sent to XMPP until their stanza-id comes (so that a lookup waits for
 * it), and nothing of a message relayed from XMPP, which came with its own
 * stanza-id: remembering those kept every one up to the bound (issue 17).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BridgeStore, type MessageRecord, openSqliteStore } from "../src/store/index.ts";

const ROOM = "lobby@muc.parley.test";

const record = (over: Partial<MessageRecord>): MessageRecord => ({
  network: "acme",
  channel: "c1",
  remoteId: "r1",
  room: ROOM,
  sender: "u1",
  direction: "to-xmpp",
  createdAt: 1_700_000_000_000,
  ...over,
});

/** The SQL store's count of messages awaiting their stanza-id. */
function awaiting(store: BridgeStore): number {
  const n = (store as unknown as { awaitingStanzaIds?: unknown }).awaitingStanzaIds;
  assert.equal(typeof n, "number", "the SQLite store counts the messages awaiting their stanza-id");
  return n as number;
}

describe("messages awaiting their stanza-id, on SQLite", () => {
  let store: BridgeStore;
  before(async () => {
    store = await openSqliteStore(":memory:");
  });
  after(() => store?.close());

  it("remembers a message sent to XMPP until its stanza-id is set, and it is found with it", async () => {
    await store.recordMessage(record({ remoteId: "r1", originId: "o1" }));
    assert.equal(awaiting(store), 1);
    await store.setStanzaId("acme", ROOM, "o1", "s1");
    assert.equal(awaiting(store), 0);
    const [found] = await store.byRemoteId("acme", "r1");
    assert.equal(found?.stanzaId, "s1");
  });

  it("remembers nothing of messages relayed from XMPP, which carry their stanza-id", async () => {
    for (let i = 0; i < 50; i++) {
      await store.recordMessage(
        record({ remoteId: `x${i}`, originId: `xo${i}`, stanzaId: `xs${i}`, direction: "to-remote" }),
      );
    }
    assert.equal(awaiting(store), 0);
    const [found] = await store.byRemoteId("acme", "x7");
    assert.equal(found?.stanzaId, "xs7");
    assert.equal(found?.originId, "xo7");
  });
});
