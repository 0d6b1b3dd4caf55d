/**
 * Private messages through the room (XEP-0045 §7.5): an occupant writes to
 * `room@muc/Bob`, the remote user gets it from the occupant's own nick, and
 * the answer comes back to that occupant through the room, from Bob's
 * occupant JID. On real Prosody and ejabberd.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { isMessage, isPresence, stanzaId, XMPP_SERVER_KINDS } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`private messages through the room on ${kind}`, () => {
    let h: Harness;

    before(async () => {
      h = await startHarness(kind);
      const seated = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Bob` && p.type === "available"));
      await h.bridge.connectorHost.memberPresence("general", { id: "u2", displayName: "Bob" }, { status: "online" });
      await seated;
      // The room shows Bob to alice and to the bridge in no set order: the seat is the bridge's once its lane is done.
      await h.bridge.connectorHost.roomPresence.idle();
    });
    after(async () => {
      await h?.close();
    });

    it("reaches the remote user from the sender's own nick, and the answer comes back through the room", async () => {
      await h.alice.send(
        buildMessage({ type: "chat", to: `${h.room}/Bob`, id: stanzaId("pm"), body: "just between us" }),
      );
      const call = await apiCall(
        h,
        (c) => c.method === "post" && c.args.dmWith === "u2" && c.args.text === "just between us",
      );
      assert.equal(call.args.senderName, "alice", "from the occupant's nick, not the room's name");
      const dm = [...h.net.messages.values()].find((x) => x.dmWith === "u2" && x.text === "just between us");
      assert.ok(dm);
      for (let i = 0; i < 100 && (await h.store.byRemoteId("reference", dm.id)).length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const answer = h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.from === `${h.room}/Bob` && m.body === "sure, alice"),
      );
      h.net.directMessage("u2", call.args.channel as string, "sure, alice");
      const got = (await answer).stanza as Message;
      assert.equal(got.from, `${h.room}/Bob`, "a private message from Bob's occupant JID");
    });
  });
}
