/**
 * Every row of the mapping table, both ways, through the engine with the
 * reference connector, on real Prosody and ejabberd with a real XMPP client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildIq, buildMessage, buildPresence, element, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, isPresence, stanzaId, XMPP_SERVER_KINDS } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`engine relay on ${kind}`, () => {
    let h: Harness;
    const from = (nick: string) => (m: Message) => m.from === `${h.room}/${nick}`;

    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    // Remote message ids and what Alice saw of them, shared between the steps below.
    let first: { remoteId: string; xmppId: string; stanzaId: string };

    it("relays a remote message from the author's puppet, with styling, and learns its stanza-id", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Anna")(m) && m.body !== undefined));
      const posted = h.net.post("u1", "general", "hello **world**");
      const m = (await seen).stanza as Message;
      assert.equal(m.type, "groupchat");
      assert.equal(m.body, "hello *world*");
      const sid = stanzaIdBy(m, h.room);
      assert.ok(sid, "the room assigned a stanza-id");
      assert.ok(m.id);
      first = { remoteId: posted.id, xmppId: m.id, stanzaId: sid };
      for (let i = 0; i < 100; i++) {
        const rec = (await h.store.byRemoteId("reference", posted.id))[0];
        if (rec?.stanzaId === sid) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail("the message map never learnt the stanza-id");
    });

    it("carries an edit as a correction of the original", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Anna")(m) && m.replace !== undefined));
      h.net.edit(first.remoteId, "hello again");
      const m = (await seen).stanza as Message;
      assert.equal(m.replace?.id, first.xmppId);
      assert.equal(m.body, "hello again");
    });

    it("carries a reply with XEP-0461 and a quoted fallback", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.reply !== undefined));
      h.net.post("u2", "general", "indeed", { replyTo: first.remoteId });
      const m = (await seen).stanza as Message;
      assert.equal(m.reply?.id, first.stanzaId);
      assert.ok(m.body?.endsWith("indeed"));
      assert.ok(m.body?.startsWith("> Anna wrote:"));
      assert.ok(m.fallbacks?.some((f) => f.for === "urn:xmpp:reply:0"));
    });

    it("carries reactions as the sender's full set", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.reactions !== undefined));
      h.net.react("u2", first.remoteId, "👍");
      const m = (await seen).stanza as Message;
      assert.deepEqual(m.reactions, { id: first.stanzaId, emojis: ["👍"] });
      const again = h.alice.waitFor(isMessage((x) => from("Bob")(x) && x.reactions !== undefined));
      h.net.react("u2", first.remoteId, "🎉");
      assert.deepEqual(((await again).stanza as Message).reactions?.emojis, ["👍", "🎉"]);
    });

    it("carries an attachment as a URL body with OOB", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Anna")(m) && m.oob !== undefined));
      h.net.post("u1", "general", "", {
        attachments: [{ url: "https://cdn.example.org/cat.png", filename: "cat.png" }],
      });
      const m = (await seen).stanza as Message;
      assert.equal(m.body, "https://cdn.example.org/cat.png");
      assert.deepEqual(m.oob, [{ url: "https://cdn.example.org/cat.png" }]);
    });

    it("carries a remote thread as an XEP-0201 thread, and an XMPP thread back", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.thread !== undefined));
      h.net.post("u2", "general", "in a thread", { thread: "t-42" });
      assert.equal(((await seen).stanza as Message).thread?.id, "t-42");
      await h.alice.send(
        buildMessage({
          type: "groupchat",
          to: h.room,
          id: stanzaId("t"),
          body: "threaded answer",
          thread: { id: "t-42" },
        }),
      );
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === "threaded answer");
      assert.equal(call.args.thread, "t-42");
    });

    it("carries typing as a chat state and presence as show/status", async () => {
      const typing = h.alice.waitFor(isMessage((m) => from("Anna")(m) && m.chatState === "composing"));
      h.net.typing("u1", "general");
      await typing;
      const busy = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Anna` && p.show === "dnd"));
      h.net.setPresence("u1", "dnd", "in a meeting");
      const p = (await busy).stanza;
      assert.equal(p?.kind === "presence" ? p.status : undefined, "in a meeting");
    });

    it("follows a rename with a nick change", async () => {
      const seen = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Anna K` && p.type === "available"));
      h.net.rename("u1", "Anna K");
      await seen;
    });

    it("carries joins and leaves as occupant presence", async () => {
      h.net.addUser("u3", "Carl");
      const joined = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Carl` && p.type === "available"));
      h.net.join("u3", "general");
      await joined;
      const left = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Carl` && p.type === "unavailable"));
      h.net.leave("u3", "general");
      await left;
    });

    it("carries a kick as the puppet's departure, saying who and why", async () => {
      h.net.addUser("u4", "Dora");
      const joined = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Dora` && p.type === "available"));
      h.net.join("u4", "general");
      await joined;
      const left = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/Dora` && p.type === "unavailable"));
      h.net.removeMember("u4", "general", { kind: "kick", by: "u2", reason: "spam" });
      const p = (await left).stanza;
      assert.equal(p?.kind === "presence" ? p.status : undefined, "Kicked by Bob: spam");
    });

    it("a message read the moment it is posted still gets its marker, once the room has given its stanza-id", async () => {
      const seen = h.alice.waitFor(isMessage((m) => m.body === "read at once"));
      const marker = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.marker?.type === "displayed"));
      const posted = h.net.post("u1", "general", "read at once");
      h.net.read("u2", posted.id); // before the bridge has even sent it to the room
      const sid = stanzaIdBy((await seen).stanza as Message, h.room);
      assert.ok(sid);
      assert.equal(((await marker).stanza as Message).marker?.id, sid);
    });

    it("carries a read receipt as a displayed marker naming the room's stanza-id", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.marker?.type === "displayed"));
      h.net.read("u2", first.remoteId);
      const m = (await seen).stanza as Message;
      assert.equal(m.marker?.id, first.stanzaId);
      assert.equal(m.body, undefined);
    });

    it("carries a deletion as a retraction by the puppet", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Anna K")(m) && m.retract !== undefined));
      h.net.remove(first.remoteId);
      const m = (await seen).stanza as Message;
      assert.equal(m.retract?.id, first.stanzaId);
    });

    // --- XMPP -> remote ---------------------------------------------------------------

    let mine: { xmppId: string; remoteId: string; stanzaId: string };

    it("posts an occupant's message under their nick, and never echoes it back", async () => {
      const id = stanzaId("a");
      const reflected = h.alice.waitFor(isMessage((m) => m.id === id && from("alice")(m)));
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body: "hi *there*" }));
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === "hi **there**");
      assert.equal(call.args.channel, "general");
      assert.equal(call.args.senderName, "alice");
      const posted = [...h.net.messages.values()].find((m) => m.text === "hi **there**");
      assert.ok(posted);
      const sid = stanzaIdBy((await reflected).stanza as Message, h.room);
      assert.ok(sid);
      mine = { xmppId: id, remoteId: posted.id, stanzaId: sid };
      // The network echoed the post back to the bridge; a later message proves the echo was dropped.
      const sentinel = h.alice.waitFor(isMessage((m) => m.body === "sentinel"));
      h.net.post("u2", "general", "sentinel");
      await sentinel;
      await assert.rejects(
        h.alice.waitFor(
          isMessage((m) => m.body === "hi *there*" && !from("alice")(m)),
          { timeoutMs: 50 },
        ),
      );
    });

    it("carries a correction as an edit of the posted message", async () => {
      const id = stanzaId("a");
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id, body: "hi everyone", replace: { id: mine.xmppId } }),
      );
      const call = await apiCall(h, (c) => c.method === "edit" && c.args.id === mine.remoteId);
      assert.equal(call.args.text, "hi everyone");
    });

    it("carries a reply to a remote message as a remote reply", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "question?"));
      const q = h.net.post("u2", "general", "question?");
      const sid = stanzaIdBy((await seen).stanza as Message, h.room);
      assert.ok(sid);
      const id = stanzaId("a");
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id, body: "answer", reply: { id: sid, to: `${h.room}/Bob` } }),
      );
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === "answer");
      assert.equal(call.args.replyTo, q.id);
    });

    it("carries reactions as additions and removals", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "react to me"));
      const target = h.net.post("u2", "general", "react to me");
      const sid = stanzaIdBy((await seen).stanza as Message, h.room);
      assert.ok(sid);
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), reactions: { id: sid, emojis: ["❤️"] } }),
      );
      await apiCall(
        h,
        (c) => c.method === "react" && c.args.id === target.id && c.args.action === "add" && c.args.emoji === "❤️",
      );
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), reactions: { id: sid, emojis: [] } }),
      );
      await apiCall(h, (c) => c.method === "react" && c.args.id === target.id && c.args.action === "remove");
    });

    it("carries an OOB file as an attachment", async () => {
      const url = "https://upload.example.org/x/photo.jpg";
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("f"), body: url, oob: [{ url }] }));
      const call = await apiCall(h, (c) => c.method === "post" && Array.isArray(c.args.attachments));
      assert.deepEqual(call.args.attachments, [{ url, filename: "photo.jpg" }]);
      assert.equal(call.args.text, "");
    });

    it("carries typing", async () => {
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, chatState: "composing" }));
      await apiCall(h, (c) => c.method === "typing" && c.args.as === "alice");
    });

    it("carries a displayed marker as a read receipt on the remote message", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "read me"));
      const target = h.net.post("u2", "general", "read me");
      const sid = stanzaIdBy((await seen).stanza as Message, h.room);
      assert.ok(sid);
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, marker: { type: "displayed", id: sid } }));
      const call = await apiCall(h, (c) => c.method === "read" && c.args.id === target.id);
      assert.equal(call.args.as, "alice");
      assert.equal(call.args.channel, "general");
    });

    it("carries an occupant's presence changes and departure to the network", async () => {
      await h.alice.send(buildPresence({ to: `${h.room}/alice`, show: "away", status: "lunch" }));
      await apiCall(
        h,
        (c) =>
          c.method === "occupant" && c.args.name === "alice" && c.args.kind === "update" && c.args.status === "idle",
      );
      await h.alice.send(buildPresence({ to: `${h.room}/alice` }));
      await apiCall(
        h,
        (c) =>
          c.method === "occupant" && c.args.name === "alice" && c.args.kind === "update" && c.args.status === "online",
      );
      // Puppets are not XMPP users: none of their presences becomes an occupant call.
      assert.ok(
        !h.net.calls.some(
          (c) => c.method === "occupant" && ["Anna K", "Bob", "Carl", "Dora"].includes(String(c.args.name)),
        ),
      );
    });

    it("carries a retraction as a deletion", async () => {
      await h.alice.send(
        buildMessage({
          type: "groupchat",
          to: h.room,
          id: stanzaId("x"),
          retract: { id: mine.stanzaId },
          body: "retracted",
        }),
      );
      await apiCall(h, (c) => c.method === "delete" && c.args.id === mine.remoteId);
    });

    // --- Direct messages ----------------------------------------------------------------

    it("answers a roster subscription to a puppet and sends its presence", async () => {
      const puppet = `u2@${h.domain}`;
      // Only a client that fetched its roster is "interested" in roster pushes (RFC 6121 §2.1.6).
      const roster = await h.alice.iq(
        buildIq({ type: "get", id: stanzaId("roster"), payload: element("query", { xmlns: "jabber:iq:roster" }) }),
      );
      assert.equal(roster.type, "result");
      // The user's server records the puppet's "subscribed" answer in the roster and pushes it to the client.
      const subscribed = h.alice.waitFor((r) => {
        const item = r.element.getChild("query", "jabber:iq:roster")?.getChild("item");
        return item?.attrs.jid === puppet && ["to", "both"].includes(item.attrs.subscription ?? "");
      });
      const presence = h.alice.waitFor(
        isPresence((p) => p.type === "available" && (p.from ?? "").startsWith(`${puppet}/`)),
      );
      await h.alice.send(buildPresence({ type: "subscribe", to: puppet }));
      await subscribed;
      await presence;
    });

    it("carries a 1:1 chat to the remote user's DMs and the answer back from the puppet", async () => {
      const puppet = `u2@${h.domain}`;
      await h.alice.send(buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), body: "psst" }));
      const call = await apiCall(h, (c) => c.method === "post" && c.args.dmWith === "u2");
      assert.equal(call.args.text, "psst");
      // The bridge has mapped the DM once its copy of the post is in the message map.
      const dm = [...h.net.messages.values()].find((x) => x.dmWith === "u2" && x.text === "psst");
      assert.ok(dm);
      for (let i = 0; i < 100 && (await h.store.byRemoteId("reference", dm.id)).length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const answer = h.alice.waitFor(isMessage((m) => m.type === "chat" && (m.from ?? "").startsWith(`${puppet}/`)));
      h.net.directMessage("u2", call.args.channel as string, "what?");
      assert.equal(((await answer).stanza as Message).body, "what?");
    });

    it("reaches a remote user the bridge has not seen yet, by asking the connector who they are", async () => {
      h.net.addUser("u9", "Zed");
      await h.alice.send(
        buildMessage({ type: "chat", to: `u9@${h.domain}`, id: stanzaId("dm"), body: "first contact" }),
      );
      const call = await apiCall(h, (c) => c.method === "post" && c.args.dmWith === "u9");
      assert.equal(call.args.text, "first contact");
    });

    it("answers a chat to an unknown puppet with an error", async () => {
      const seen = h.alice.waitFor(isMessage((m) => m.type === "error" && m.from === `nobody@${h.domain}`));
      await h.alice.send(buildMessage({ type: "chat", to: `nobody@${h.domain}`, id: stanzaId("dm"), body: "hello?" }));
      assert.equal(((await seen).stanza as Message).error?.condition, "item-not-found");
    });

    // --- Restart ------------------------------------------------------------------------------

    it("resolves edits, replies and reactions to messages from before a restart", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "before restart"));
      const old = h.net.post("u2", "general", "before restart");
      const oldMsg = (await seen).stanza as Message;
      const sid = stanzaIdBy(oldMsg, h.room);
      assert.ok(sid && oldMsg.id);
      for (let i = 0; i < 100 && (await h.store.byRemoteId("reference", old.id))[0]?.stanzaId !== sid; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await h.restartBridge();
      const edited = h.alice.waitFor(
        isMessage((m) => from("Bob")(m) && m.replace !== undefined && m.body === "after restart"),
      );
      h.net.edit(old.id, "after restart");
      assert.equal(((await edited).stanza as Message).replace?.id, oldMsg.id);
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("a"), body: "still here", reply: { id: sid } }),
      );
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === "still here");
      assert.equal(call.args.replyTo, old.id);
    });

    it("after a restart, a puppet that acts before it speaks again does so under its name", async () => {
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "deleted after a restart"));
      const posted = h.net.post("u2", "general", "deleted after a restart");
      const sid = stanzaIdBy((await seen).stanza as Message, h.room);
      assert.ok(sid);
      for (let i = 0; i < 100 && (await h.store.byRemoteId("reference", posted.id))[0]?.stanzaId !== sid; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await h.restartBridge();
      // A deletion names no author: the puppet is known by its localpart alone.
      const retracted = h.alice.waitFor(isMessage((m) => m.retract?.id === sid));
      h.net.remove(posted.id);
      assert.equal(((await retracted).stanza as Message).from, `${h.room}/Bob`);
    });

    it("survives a barrage of malformed and hostile stanzas and keeps relaying", async () => {
      const junk = [
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("j"), body: "x".repeat(200_000) }),
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("j"), reply: { id: "no-such-id" }, body: "?" }),
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("j"), replace: { id: "no-such-id" }, body: "?" }),
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("j"), retract: { id: "no-such-id" } }),
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("j"), reactions: { id: "nope", emojis: ["x"] } }),
        buildMessage({ type: "chat", to: `\\40weird@${h.domain}`, id: stanzaId("j"), body: "\u0000?" }),
        buildMessage({ type: "chat", to: h.domain, id: stanzaId("j"), body: "to the component" }),
        buildPresence({ type: "subscribe", to: `ghost@${h.domain}` }),
      ];
      for (const el of junk) await h.alice.send(el);
      // Raw payloads that are not what their namespace promises.
      const raw = buildMessage({ type: "groupchat", to: h.room, id: stanzaId("j"), body: "raw" });
      raw.c("reactions", { xmlns: "urn:xmpp:reactions:0" }).c("reaction").t("🙃");
      await h.alice.send(raw);
      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "still alive"));
      h.net.post("u2", "general", "still alive");
      await seen;
    });

    // --- the relay occupant and the reader puppet ------------------------------------------

    /** Waits until `check` holds (polling), failing with `what`. */
    async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
      for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
        if (check()) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail(`timed out waiting for ${what}`);
    }

    /** An XMPP user's message reaches the network. */
    async function aliceReachesTheNetwork(body: string): Promise<void> {
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), body }));
      await apiCall(h, (c) => c.method === "post" && c.args.text === body);
    }

    it("steps the relay aside while a puppet reads the room, and calls it back when the last puppet leaves", async () => {
      const relay = h.bridge.relay;
      const relayOccupant = () => `${h.room}/${relay.nickIn(h.room)}`;
      // A puppet in the room reads it; the relay is not an occupant, and the room is read all the same.
      const posted = h.alice.waitFor(isMessage((m) => m.body === "a puppet reads"));
      h.net.post("u2", "general", "a puppet reads");
      await posted;
      await until("a reader puppet", () => relay.readerOf(h.room) !== undefined && !relay.isRelayIn(h.room));
      await aliceReachesTheNetwork("read by a puppet");
      // Every puppet leaves: the relay joins again and reads the room.
      h.alice.inbox.clear();
      const back = h.alice.waitFor(
        isPresence((p) => p.from === relayOccupant() && p.type === "available"),
        {
          timeoutMs: 10_000,
        },
      );
      for (const local of h.bridge.occupancy.localsIn(h.room)) h.net.leave(local, "general");
      await back;
      await until("the relay reading again", () => relay.isRelayIn(h.room) && relay.readerOf(h.room) === undefined);
      await until("no puppet left", () => h.bridge.occupancy.localsIn(h.room).length === 0);
      await aliceReachesTheNetwork("read by the relay");
      // A puppet back in the room: the relay steps aside again.
      const gone = h.alice.waitFor(
        isPresence((p) => p.from === relayOccupant() && p.type === "unavailable"),
        {
          timeoutMs: 10_000,
        },
      );
      h.net.post("u1", "general", "a puppet is back");
      await gone;
      assert.equal(relay.readerOf(h.room), "u1");
      assert.ok(relay.isJoined(h.room) && !relay.isRelayIn(h.room));
      await aliceReachesTheNetwork("read by a puppet again");
      assert.equal(
        h.net.calls.filter((c) => c.method === "post" && c.args.text === "read by a puppet again").length,
        1,
      );
    });

    it("reads the room without a gap when the reading puppet leaves", async () => {
      const relay = h.bridge.relay;
      const reader = relay.readerOf(h.room);
      assert.ok(reader, "a puppet reads the room");
      const readerNick = h.bridge.occupancy.nickIn(h.room, reader);
      assert.ok(readerNick);
      for (const local of h.bridge.occupancy.localsIn(h.room)) {
        if (local !== reader) h.net.leave(local, "general");
      }
      await until("one puppet left", () => h.bridge.occupancy.localsIn(h.room).length === 1);
      // As soon as the room says the reader left, alice speaks: the relay must be in by then.
      const left = h.alice.waitFor(isPresence((p) => p.from === `${h.room}/${readerNick}` && p.type === "unavailable"));
      h.net.leave(reader, "general");
      await left;
      await aliceReachesTheNetwork("said as the reader left");
    });
  });
}
