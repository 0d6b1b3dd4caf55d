/**
 * Prosody's room archive options: `archiveItemLimit` raises the cap that keeps
 * only the last ~1,000 messages of a room in Prosody's in-memory archive (the
 * fault suite counts 2,000 and more there), and `durableRooms` keeps rooms
 * and their archive on disk, so that both outlive a restart of the server.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildMamQueryIq, buildMessage, isRoomCreated, parseMamFin } from "@parley/stanza";
import { stanzaId, startXmppServer, TestClient, type XmppServer, type XmppServerOptions } from "../src/index.ts";

/** How many messages the room's archive holds, as the archive counts them (RSM count, no items). */
async function archived(alice: TestClient, room: string): Promise<number> {
  const answer = await alice.iq(buildMamQueryIq({ id: stanzaId("mam"), to: room, rsm: { max: 0 } }), 30_000);
  assert.equal(answer.type, "result", `the archive query answered ${answer.type}`);
  assert.ok(answer.payload, "the archive answered with <fin/>");
  const fin = parseMamFin(answer.payload);
  assert.ok(fin.ok && fin.value.rsm?.count !== undefined, "the archive says how many it holds");
  return fin.value.rsm.count;
}

async function withRoom(
  options: XmppServerOptions,
  run: (server: XmppServer, alice: TestClient, room: string) => Promise<void>,
): Promise<void> {
  const server = await startXmppServer("prosody", { ...options, accounts: [{ local: "alice", password: "alice-pw" }] });
  const account = server.accounts[0];
  assert.ok(account);
  const alice = await TestClient.connect(server, account);
  const room = `archive@${server.mucDomain}`;
  try {
    await alice.joinRoom(room, "alice");
    await run(server, alice, room);
  } finally {
    await alice.stop();
    await server.stop();
  }
}

async function say(alice: TestClient, room: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await alice.send(buildMessage({ type: "groupchat", to: room, id: stanzaId("m"), body: `message ${i}` }));
  }
}

describe("Prosody archive options", () => {
  it("keeps only about the last 1,000 messages of a room by default, every one with archiveItemLimit", async () => {
    await withRoom({}, async (_server, alice, room) => {
      await say(alice, room, 1100);
      const held = await archived(alice, room);
      assert.ok(held < 1100 && held >= 900, `Prosody's in-memory archive cut the run to ~1,000: ${held}`);
    });
    await withRoom({ archiveItemLimit: 100_000 }, async (_server, alice, room) => {
      await say(alice, room, 1100);
      assert.equal(await archived(alice, room), 1100);
    });
  });

  it("durableRooms keeps the room and its archive across a restart", async () => {
    await withRoom({ durableRooms: true }, async (server, alice, room) => {
      await say(alice, room, 20);
      assert.equal(await archived(alice, room), 20);
      await server.restart();
      const account = server.accounts[0];
      assert.ok(account);
      const again = await TestClient.connect(server, account, "again");
      try {
        const joined = await again.joinRoom(room, "alice");
        assert.ok(!isRoomCreated(joined.self), "the room was still there (not created anew)");
        assert.equal(await archived(again, room), 20);
      } finally {
        await again.stop();
      }
    });
  });
});
