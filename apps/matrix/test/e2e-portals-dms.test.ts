/**
 * Portals and direct chats against real Synapse and real Prosody: a Matrix
 * user joins a MUC room through a room alias (the alias query creates the
 * portal), and an XMPP user and a Matrix user talk 1:1 in a real Matrix DM
 * room with the XMPP user's ghost, whichever side starts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildMessage, localFromRemoteId, type Message } from "@parley/stanza";
import { isMessage, isPresence } from "@parley/testkit";
import { eventually, type Harness, startHarness } from "./matrix-harness.ts";
import { MatrixHttpError } from "./matrix-user.ts";

let h: Harness;
const T = { timeoutMs: 15_000 };

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

describe("portals", () => {
  test("joining #_xmpp_<room>=<muc domain>:<server> creates a public portal room linked with that MUC room", async () => {
    const name = `portal-${process.pid}`;
    const muc = `${name}@${h.xmpp.mucDomain}`;
    await h.alice.joinRoom(muc, "alice");
    const relaySeen = h.alice.waitFor(
      isPresence((p) => (p.from ?? "").startsWith(`${muc}/`) && p.from !== `${muc}/alice`),
      T,
    );
    const alias = `#_xmpp_${name}=${h.xmpp.mucDomain}:localhost`;
    const roomId = await h.bob.join(alias);
    await relaySeen;
    assert.deepEqual(h.bridge.connectorHost.roomsOf(roomId), [muc]);
    // The room is public and found through the directory under the alias.
    const resolved = await h.bob.request<{ room_id: string }>(
      "GET",
      `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`,
    );
    assert.equal(resolved.room_id, roomId);

    await h.bob.sendText(roomId, "hello through the portal");
    await h.alice.waitFor(
      isMessage((m) => m.type === "groupchat" && m.from === `${muc}/Bob` && m.body === "hello through the portal"),
      T,
    );
    await h.alice.send(buildMessage({ type: "groupchat", to: muc, id: "portal-1", body: "and back" }));
    await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.roomId === roomId && i.event.content.body === "and back",
      15_000,
      "alice's answer in the portal",
    );
  });

  test("an alias in the bridge's namespace that names no room is refused (404), and nothing is created", async () => {
    const links = h.bridge.connectorHost.linkedChannels().length;
    for (const alias of ["#_xmpp_no-domain-here:localhost", "#_xmpp_bad room=x y:localhost"]) {
      await assert.rejects(h.bob.join(alias), (e: unknown) => e instanceof MatrixHttpError && e.status === 404);
    }
    assert.equal(h.bridge.connectorHost.linkedChannels().length, links);
  });
});

describe("linked rooms that want an invitation", () => {
  test("the bot accepts an invitation; when the room is linked, its members join the MUC room and the bot invites the ghosts it needs", async () => {
    const roomId = await h.bob.createRoom({ preset: "private_chat", name: "invite only" });
    await h.bob.invite(roomId, "@xmppbridge:localhost");
    await h.bob.waitFor(
      (i) =>
        i.kind === "timeline" &&
        i.roomId === roomId &&
        i.event.state_key === "@xmppbridge:localhost" &&
        i.event.content.membership === "join",
      15_000,
      "the bot accepting the invitation",
    );
    const muc = `private-${process.pid}@${h.xmpp.mucDomain}`;
    await h.alice.joinRoom(muc, "alice");
    // Bob was in the room before it was linked: the link brings him into the MUC room.
    const bobJoined = h.alice.waitFor(
      isPresence((p) => p.from === `${muc}/Bob` && p.type === "available"),
      T,
    );
    await h.bridge.connectorHost.link(roomId, muc);
    await bobJoined;
    await h.alice.send(buildMessage({ type: "groupchat", to: muc, id: "private-1", body: "hello, private room" }));
    const got = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.roomId === roomId && i.event.content.body === "hello, private room",
      15_000,
      "alice's message in the private room",
    );
    const invite = h.bob.seen(
      (i) =>
        i.roomId === roomId &&
        i.event.type === "m.room.member" &&
        i.event.state_key === got.event.sender &&
        i.event.content.membership === "invite",
    );
    assert.equal(invite[0]?.event.sender, "@xmppbridge:localhost", "the bot invited the ghost");
  });
});

describe("direct messages", () => {
  test("a Matrix user opens a DM with an XMPP user's ghost: the ghost joins and messages go 1:1", async () => {
    const aliceJid = h.xmpp.accounts[0]?.jid ?? "";
    const ghost = h.ghostOf(aliceJid);
    const dm = await h.bob.createRoom({ is_direct: true, invite: [ghost], preset: "trusted_private_chat" });
    await h.bob.waitFor(
      (i) =>
        i.kind === "timeline" &&
        i.roomId === dm &&
        i.event.type === "m.room.member" &&
        i.event.state_key === ghost &&
        i.event.content.membership === "join",
      15_000,
      "the ghost accepting the DM",
    );
    await h.bob.sendText(dm, "psst, alice");
    const got = (
      await h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.body === "psst, alice"),
        T,
      )
    ).stanza as Message;
    const puppet = `${localFromRemoteId(h.bob.userId)}@${h.domain}`;
    assert.equal(got.from?.split("/")[0], puppet);

    // alice answers the puppet: the answer lands in the same DM room, from her ghost.
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: "dm-answer-1", body: "yes, Bob?" }));
    const answer = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.content.body === "yes, Bob?",
      15_000,
      "alice's answer",
    );
    assert.equal(answer.roomId, dm);
    assert.equal(answer.event.sender, ghost);
  });

  test("an XMPP user writes to a Matrix user's puppet: the ghost opens a DM room (is_direct) and invites them", async () => {
    const carol = await h.addMatrixUser("carol", "Carol");
    const puppet = `${localFromRemoteId(carol.userId)}@${h.domain}`;
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: "dm-open-1", body: "hi Carol, from XMPP" }));
    const invite = await carol.waitFor(
      (i) => i.kind === "invite" && i.event.type === "m.room.member" && i.event.state_key === carol.userId,
      15_000,
      "the DM invitation",
    );
    assert.equal(invite.event.content.is_direct, true);
    assert.equal(invite.event.sender, h.ghostOf(h.xmpp.accounts[0]?.jid ?? ""));
    await carol.join(invite.roomId);
    const history = await carol.request<{ chunk: Array<{ type: string; content: { body?: string } }> }>(
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(invite.roomId)}/messages?dir=b&limit=20`,
    );
    assert.ok(history.chunk.some((e) => e.type === "m.room.message" && e.content.body === "hi Carol, from XMPP"));

    // A second message goes to the same room; Carol's answer comes back to alice from Carol's puppet.
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: "dm-open-2", body: "still there?" }));
    const second = await carol.waitFor(
      (i) => i.kind === "timeline" && i.event.content.body === "still there?",
      15_000,
      "the second DM",
    );
    assert.equal(second.roomId, invite.roomId);
    await carol.sendText(invite.roomId, "yes!");
    const back = (
      await h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.body === "yes!"),
        T,
      )
    ).stanza as Message;
    assert.equal(back.from?.split("/")[0], puppet);

    // Text and a file are two events (one each), both in the message map: a retraction redacts both, and
    // the connector keeps no `parts:` state of its own.
    const url = "http://127.0.0.1:9/dm-file.png";
    await h.alice.send(
      buildMessage({ type: "chat", to: puppet, id: "dm-file-1", body: "a file for you", oob: [{ url }] }),
    );
    const text = await carol.waitFor((i) => i.event.content.body === "a file for you", 15_000, "the DM's text");
    const file = await carol.waitFor((i) => i.event.content.body === url, 15_000, "the DM's file, as its link");
    const ids = [text.event.event_id ?? "", file.event.event_id ?? ""];
    await eventually("both events in the message map", async () => {
      for (const id of ids) if ((await h.store.byRemoteId("matrix", id)).length === 0) return undefined;
      return true;
    });
    assert.equal(await h.store.getState("connector:matrix", `parts:${ids[0]}`), undefined);
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: "dm-file-2", retract: { id: "dm-file-1" } }));
    for (const id of ids) {
      await carol.waitFor(
        (i) => i.event.type === "m.room.redaction" && (i.event.redacts ?? i.event.content.redacts) === id,
        15_000,
        "a part's redaction",
      );
    }
  });
  test("a private message through the MUC room reaches the Matrix member from the occupant's nick; the answer comes back through the room", async () => {
    const bobPuppet = localFromRemoteId(h.bob.userId);
    await eventually("Bob's puppet in the room", () => h.bridge.occupancy.nickIn(h.room, bobPuppet) ?? undefined);
    await h.alice.send(buildMessage({ type: "chat", to: `${h.room}/Bob`, id: "pm-1", body: "psst, Bob" }));
    const invite = await h.bob.waitFor(
      (i) => i.kind === "invite" && i.event.type === "m.room.member" && i.event.state_key === h.bob.userId,
      15_000,
      "the private message's DM invitation",
    );
    assert.equal(invite.event.sender, h.ghostOf(`${h.room}/alice`), "from the occupant's own ghost, not the room's");
    await h.bob.join(invite.roomId);
    await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.roomId === invite.roomId && i.event.content.body === "psst, Bob",
      15_000,
      "the private message",
    );
    await h.bob.sendText(invite.roomId, "got it, alice");
    const back = (
      await h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.body === "got it, alice"),
        T,
      )
    ).stanza as Message;
    assert.equal(back.from, `${h.room}/Bob`, "through the room, from Bob's occupant JID");
  });
});
