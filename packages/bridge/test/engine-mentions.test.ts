/**
 * Mentions from XMPP reach the network as its own mentions: `Nick:` and
 * `Nick,` at the start of a message, `@Nick`, and XEP-0372 references to a
 * puppet's occupant JID; nicks that match two occupants are left as text.
 * On real Prosody and ejabberd, the reference network rendering mentions as
 * `<@id>`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Presence } from "@parley/stanza";
import { isPresence, XMPP_SERVER_KINDS } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`mentions from XMPP on ${kind}`, () => {
    let h: Harness;
    let n = 0;

    /** Alice says `body` (with `references`) in the room; resolves with the text the network was asked to post. */
    async function aliceSays(
      body: string,
      references?: Array<{ type: "mention"; uri: string; begin: number; end: number }>,
    ): Promise<string> {
      const marker = ` #${++n}`;
      await h.alice.send(
        buildMessage({
          type: "groupchat",
          to: h.room,
          id: `mention-${n}`,
          body: `${body}${marker}`,
          ...(references && { references }),
        }),
      );
      const call = await apiCall(h, (c) => c.method === "post" && String(c.args.text).endsWith(marker));
      return String(call.args.text).slice(0, -marker.length);
    }

    before(async () => {
      h = await startHarness(kind, { users: [{ id: "u3", name: "Alice" }] });
      // Anna, Bob and a network user named Alice (the XMPP user is "alice") sit in the room.
      for (const [id, name] of [
        ["u1", "Anna"],
        ["u2", "Bob"],
        ["u3", "Alice"],
      ] as const) {
        const seated = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/${name}` && p.type === "available"));
        await h.bridge.connectorHost.memberPresence("general", { id, displayName: name }, { status: "online" });
        await seated;
      }
    });
    after(async () => {
      await h?.close();
    });

    it("turns `Nick:` and `Nick,` at the start into a mention", async () => {
      assert.equal(await aliceSays("Anna: are you there?"), "<@u1>: are you there?");
      assert.equal(await aliceSays("bob, look"), "<@u2>, look");
    });

    it("turns @Nick into a mention", async () => {
      assert.equal(await aliceSays("thanks @Anna and @Bob!"), "thanks <@u1> and <@u2>!");
    });

    it("turns a XEP-0372 reference to a puppet's occupant JID into a mention", async () => {
      assert.equal(
        await aliceSays("ping Anna now", [{ type: "mention", uri: `xmpp:${h.room}/Anna`, begin: 5, end: 9 }]),
        "ping <@u1> now",
      );
    });

    it("does not guess between two occupants whose nicks match", async () => {
      // "alice" (XMPP) and "Alice" (a puppet) both match ALICE; "alice" is exactly the XMPP user.
      assert.equal(await aliceSays("ALICE: who is that?"), "ALICE: who is that?");
      assert.equal(await aliceSays("alice, me"), "alice, me");
      assert.equal(await aliceSays("Alice: you"), "<@u3>: you");
    });

    it("does not guess between two members with the same name, one of them under a suffixed nick", async () => {
      const nicks: string[] = [];
      for (const id of ["u4", "u5"]) {
        const seated = h.alice.waitFor(
          isPresence((p) => (p.from ?? "").startsWith(`${h.room}/Sam`) && !nicks.includes(p.from ?? "")),
        );
        await h.bridge.connectorHost.memberPresence("general", { id, displayName: "Sam" }, { status: "online" });
        nicks.push(((await seated).stanza as Presence).from ?? "");
      }
      const suffixed = (nicks[1] ?? "").slice(h.room.length + 1);
      assert.notEqual(suffixed, "Sam", "the room tells the two apart");
      assert.equal(await aliceSays("Sam: which one?"), "Sam: which one?");
      assert.equal(await aliceSays("hi @Sam"), "hi @Sam");
      assert.equal(await aliceSays(`${suffixed}: you`), "<@u5>: you");
    });
  });
}
