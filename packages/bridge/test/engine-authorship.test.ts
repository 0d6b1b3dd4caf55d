/**
 * No one speaks for someone else, against real Prosody and ejabberd: a
 * correction or retraction of another occupant's message is not relayed, a
 * remote edit by someone other than the author does not become a correction
 * on XMPP, and an occupant who changes nick stays the same sender on the
 * other side (the room's occupant-id says who), so their earlier messages
 * stay theirs to correct.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildMessage,
  buildPresence,
  buildRetraction,
  type Element,
  type Message,
  type MessageInput,
  stanzaIdBy,
} from "@parley/stanza";
import { isMessage, isPresence, stanzaId, TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import type { OutgoingMessage, RefApiCall } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** A client says something in the room (a message input, or a built stanza); resolves with the room's copy. */
async function sayAs(client: TestClient, said: MessageInput | Element): Promise<Message> {
  const el = "attrs" in said ? said : buildMessage(said);
  const id = el.attrs.id;
  const back = client.waitFor(isMessage((m) => m.id === id && m.type === "groupchat"));
  await client.send(el);
  return (await back).stanza as Message;
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`authorship on ${kind}`, () => {
    let h: Harness;
    let bob: TestClient;
    /** The sender JID the connector was handed for each text posted. */
    const senders = new Map<string, string>();
    before(async () => {
      h = await startHarness(kind);
      const send = h.connector.send.bind(h.connector);
      h.connector.send = async (m: OutgoingMessage) => {
        senders.set(JSON.stringify(m.text), m.sender.jid);
        return send(m);
      };
      const b = h.server.accounts[1];
      assert.ok(b);
      bob = await TestClient.connect(h.server, b);
      await bob.joinRoom(h.room, "bob");
    });
    after(async () => {
      await bob?.stop();
      await h?.close();
    });

    const posted = (text: string) => (c: RefApiCall) => c.method === "post" && c.args.text === text;
    const say = (client: TestClient, body: string, extra: Partial<MessageInput> = {}) =>
      sayAs(client, { type: "groupchat", to: h.room, id: stanzaId("a"), body, ...extra });

    it("relays no correction or retraction of someone else's message", async () => {
      const alices = await say(h.alice, "alice's words");
      await apiCall(h, posted("alice's words"));
      const from = h.net.calls.length;
      await say(bob, "words bob puts in alice's mouth", { replace: { id: alices.id ?? "" } });
      await sayAs(
        bob,
        buildRetraction({
          type: "groupchat",
          to: h.room,
          id: stanzaId("r"),
          retractId: stanzaIdBy(alices, h.room) ?? "",
        }),
      );
      await say(bob, "bob's next message");
      await apiCall(h, posted("bob's next message"));
      const since = h.net.calls.slice(from).map((c) => c.method);
      assert.ok(!since.includes("edit"), `no edit relayed: ${since.join(", ")}`);
      assert.ok(!since.includes("delete"), `no deletion relayed: ${since.join(", ")}`);
    });

    it("does not turn a remote edit by someone else into a correction", async () => {
      const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Anna` && m.body === "anna's words"));
      const original = h.net.post("u1", "general", "anna's words");
      await seen;
      // Bob's edit of Anna's message, as a network that let it through would hand it over.
      await h.bridge.connectorHost.edit({
        channel: "general",
        id: original.id,
        author: { id: "u2", displayName: "Bob" },
        text: { blocks: [{ type: "paragraph", children: [{ type: "text", text: "bob's words for anna" }] }] },
      });
      const corrected = h.alice.waitFor(isMessage((m) => m.replace !== undefined && m.from === `${h.room}/Anna`));
      h.net.edit(original.id, "anna's own edit");
      const fix = (await corrected).stanza as Message;
      assert.equal(fix.body, "anna's own edit", "the first correction to arrive is Anna's own");
    });

    it("marks an XMPP nick that copies a remote user's name, so it does not pass for them", async () => {
      const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Bob` && m.body === "the real bob"));
      h.net.post("u2", "general", "the real bob");
      await seen;
      // The XMPP user "bob" now shares a name with the remote Bob (letter case aside).
      await say(bob, "i am bob, trust me");
      assert.equal((await apiCall(h, posted("i am bob, trust me"))).args.senderName, "bob (XMPP)");
      await say(h.alice, "alice is just alice");
      assert.equal((await apiCall(h, posted("alice is just alice"))).args.senderName, "alice");
    });

    it("keeps the same sender across a nick change, and earlier messages stay the author's to correct", async () => {
      const before = await say(h.alice, "before the rename");
      await apiCall(h, posted("before the rename"));
      const renamed = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/alicia`));
      await h.alice.send(buildPresence({ to: `${h.room}/alicia` }));
      await renamed;
      await say(h.alice, "after the rename");
      await apiCall(h, posted("after the rename"));
      const [first, second] = [...senders.entries()]
        .filter(([text]) => text.includes("the rename"))
        .map(([, jid]) => jid);
      assert.ok(first !== undefined && second !== undefined);
      assert.equal(second, first, "one sender before and after the nick change");
      await say(h.alice, "before the rename, corrected", { replace: { id: before.id ?? "" } });
      await apiCall(h, (c) => c.method === "edit" && c.args.text === "before the rename, corrected");
      // Bob takes the nick alice left: he does not become her on the other side, nor can he correct her.
      const bobRenamed = bob.waitFor(isPresence((p) => p.from === `${h.room}/alice`));
      await bob.send(buildPresence({ to: `${h.room}/alice` }));
      await bobRenamed;
      await say(bob, "bob under alice's old nick");
      await apiCall(h, posted("bob under alice's old nick"));
      const bobs = [...senders.entries()].find(([text]) => text.includes("bob under"))?.[1];
      assert.notEqual(bobs, first, "a new holder of the nick is someone else");
      const from = h.net.calls.length;
      await say(bob, "bob rewrites alice", { replace: { id: before.id ?? "" } });
      await say(bob, "bob's last word");
      await apiCall(h, posted("bob's last word"));
      assert.ok(!h.net.calls.slice(from).some((c) => c.method === "edit"));
    });
  });
}
