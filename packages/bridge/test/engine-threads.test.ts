/**
 * The engine's thread map, through the reference connector on real Prosody:
 * a thread an XMPP user starts continues as one thread on the network (its
 * first message the root), the network's answers in it come back under the
 * XMPP thread id, a reply that starts a thread stays a reply and roots it, and
 * the map survives a restart; and a network's thread relayed to XMPP by one
 * bridge continues as a thread on another bridge's network, both ways.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, pollUntil, stanzaId } from "@parley/testkit";
import {
  Bridge,
  type BridgeStore,
  type OutgoingMessage,
  type RefApiCall,
  ReferenceConnector,
  ReferenceNetwork,
} from "../src/index.ts";
import { openStore } from "../src/internals.ts";
import { apiCall, bridgeConfig, type Harness, startHarness } from "./engine-harness.ts";

describe("engine threads on prosody", () => {
  let h: Harness;
  const fromNick = (nick: string) => (m: Message) => m.from === `${h.room}/${nick}`;

  before(async () => {
    h = await startHarness("prosody");
  });
  after(async () => {
    await h?.close();
  });

  /** Alice says `body` (in `thread`, replying to `reply`); resolves with the reference network's post of it. */
  async function aliceSays(body: string, o: { thread?: string; reply?: string } = {}) {
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: stanzaId("t"),
        body,
        ...(o.thread !== undefined && { thread: { id: o.thread } }),
        ...(o.reply !== undefined && { reply: { id: o.reply } }),
      }),
    );
    const call = await apiCall(h, (c) => c.method === "post" && c.args.text === body);
    const posted = [...h.net.messages.values()].find((m) => m.text === body);
    assert.ok(posted, `${body} is on the network`);
    return { call, id: posted.id };
  }

  it("continues an XMPP user's new thread as one thread, and brings the answers back under its id, across a restart", async () => {
    const thread = `xmpp-thread-${Date.now()}`;
    const root = await aliceSays("starting a thread", { thread });
    assert.equal(root.call.args.thread, undefined, "the thread's first message is posted as its root");
    const second = await aliceSays("more in the thread", { thread });
    assert.equal(second.call.args.thread, root.id, "the next message goes in the root's thread");

    await h.restartBridge();
    const answer = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "an answer in the thread"));
    h.net.post("u2", "general", "an answer in the thread", { thread: root.id });
    assert.equal(((await answer).stanza as Message).thread?.id, thread, "under the XMPP thread id");
    const third = await aliceSays("after the restart", { thread });
    assert.equal(third.call.args.thread, root.id, "the map outlived the restart");
  });

  it("keeps a reply that starts a thread a reply, rooting the thread at it; a plain reply to a message in a thread goes there", async () => {
    const seen = h.alice.waitFor(isMessage((m) => fromNick("Anna")(m) && m.body === "a remote message"));
    const remote = h.net.post("u1", "general", "a remote message");
    const sid = stanzaIdBy((await seen).stanza as Message, h.room);
    assert.ok(sid);
    // What a Matrix bridge sends for a plain reply: a thread of the reply's own id (any message may become a root).
    const thread = `xmpp-reply-thread-${Date.now()}`;
    const reply = await aliceSays("a reply that starts a thread", { thread, reply: sid });
    assert.equal(reply.call.args.thread, undefined, "a reply, not a thread on the answered message");
    assert.equal(reply.call.args.replyTo, remote.id);
    const next = await aliceSays("the thread goes on", { thread });
    assert.equal(next.call.args.thread, reply.id, "the reply is the thread's root");

    const answer = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "answered in there"));
    h.net.post("u2", "general", "answered in there", { thread: reply.id });
    const answered = (await answer).stanza as Message;
    assert.equal(answered.thread?.id, thread);
    const answerSid = stanzaIdBy(answered, h.room);
    assert.ok(answerSid);
    const plain = await aliceSays("a plain reply to a message in a thread", { reply: answerSid });
    assert.equal(plain.call.args.thread, reply.id);
  });

  it("keeps a thread that came from the network under the network's id, both ways", async () => {
    const seen = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "in a network thread"));
    h.net.post("u2", "general", "in a network thread", { thread: "net-thread-7" });
    assert.equal(((await seen).stanza as Message).thread?.id, "net-thread-7");
    const back = await aliceSays("answering the network thread", { thread: "net-thread-7" });
    assert.equal(back.call.args.thread, "net-thread-7");
  });

  it("names the thread a message sits in on the edits, deletions, reactions and replies that reach it", async () => {
    const seen: Array<{ readonly method: string; readonly id: string; readonly thread?: string }> = [];
    const c = h.connector;
    const wrap = <T extends { id: string; thread?: string }>(method: string, f: (o: T) => Promise<void>) =>
      Object.assign(c, {
        [method]: async (o: T) => {
          seen.push({ method, id: o.id, ...(o.thread !== undefined && { thread: o.thread }) });
          return f.call(c, o);
        },
      });
    wrap("edit", c.edit);
    wrap("delete", c.delete);
    wrap("react", c.react);
    const send = c.send;
    Object.assign(c, {
      send: async (o: OutgoingMessage) => {
        if (o.replyTo !== undefined) {
          seen.push({
            method: "reply",
            id: o.replyTo.id,
            ...(o.replyTo.thread !== undefined && { thread: o.replyTo.thread }),
          });
        }
        return send.call(c, o);
      },
    });
    const requestOf = (method: string, id: string) =>
      pollUntil(`${method} of ${id}`, () => seen.find((r) => r.method === method && r.id === id), {
        timeoutMs: 15_000,
        intervalMs: 20,
      });
    const react = async (sid: string, emoji: string) =>
      h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), reactions: { id: sid, emojis: [emoji] } }),
      );

    // A network message in a network thread, and one in no thread.
    const inThread = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "threaded, to react to"));
    const remote = h.net.post("u2", "general", "threaded, to react to", { thread: "net-thread-9" });
    const remoteSid = stanzaIdBy((await inThread).stanza as Message, h.room) ?? "";
    const outside = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "in no thread"));
    const plain = h.net.post("u2", "general", "in no thread");
    const plainSid = stanzaIdBy((await outside).stanza as Message, h.room) ?? "";
    await react(remoteSid, "👍");
    assert.equal((await requestOf("react", remote.id)).thread, "net-thread-9");
    await react(plainSid, "👍");
    assert.equal((await requestOf("react", plain.id)).thread, undefined);

    // A reply names the thread of the message it answers.
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: stanzaId("t"),
        body: "a reply to it",
        reply: { id: remoteSid },
      }),
    );
    const reply = await apiCall(h, (call) => call.method === "post" && call.args.text === "a reply to it");
    assert.equal(reply.args.replyTo, remote.id);
    assert.equal((await requestOf("reply", remote.id)).thread, "net-thread-9");

    // Alice's own message in the thread: its correction and retraction name the thread.
    const xmppId = stanzaId("own");
    const reflected = h.alice.waitFor(isMessage((m) => m.id === xmppId));
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: xmppId,
        originId: xmppId,
        body: "mine, in the thread",
        thread: { id: "net-thread-9" },
      }),
    );
    const ownSid = stanzaIdBy((await reflected).stanza as Message, h.room) ?? "";
    await apiCall(h, (call) => call.method === "post" && call.args.text === "mine, in the thread");
    const own = [...h.net.messages.values()].find((m) => m.text === "mine, in the thread");
    assert.ok(own);
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("c"), body: "mine, fixed", replace: { id: xmppId } }),
    );
    assert.equal((await requestOf("edit", own.id)).thread, "net-thread-9");
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), retract: { id: ownSid } }));
    assert.equal((await requestOf("delete", own.id)).thread, "net-thread-9");
  });
});

describe("a thread across two bridges in one room, on prosody", () => {
  let h: Harness;
  // The second bridge, of its own network, in the same room.
  const other = new ReferenceNetwork();
  let otherBridge: Bridge;
  let otherStore: BridgeStore;
  const otherDir = mkdtempSync(join(tmpdir(), "parley-engine-other-"));

  before(async () => {
    const components = [1, 2].map((n) => ({
      domain: `bridge${n}.parley.test`,
      secret: randomBytes(12).toString("hex"),
    }));
    h = await startHarness("prosody", { server: { components } });
    other.addChannel("general");
    other.addUser("u7", "Carla");
    const config = bridgeConfig(h.server, otherDir, h.room, "", { component: 1 });
    otherStore = await openStore(config.store.url);
    otherBridge = await Bridge.start({ config, connector: new ReferenceConnector(other), store: otherStore });
  });
  after(async () => {
    await otherBridge?.stop().catch(() => undefined);
    await otherStore?.close();
    rmSync(otherDir, { recursive: true, force: true });
    await h?.close();
  });

  /** The other network's post of `text`, once the other bridge made it. */
  async function postedOnOther(text: string): Promise<{ call: RefApiCall; id: string }> {
    const call = await pollUntil(
      `"${text}" posted on the other network`,
      () => other.calls.find((c) => c.method === "post" && c.args.text === text),
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    const posted = [...other.messages.values()].find((m) => m.text === text);
    assert.ok(posted);
    return { call, id: posted.id };
  }

  it("a network's thread becomes a thread on the other network (its first message the root), and answers go back into it", async () => {
    h.net.post("u2", "general", "first in the thread", { thread: "a-thread-1" });
    const root = await postedOnOther("first in the thread");
    assert.equal(root.call.args.thread, undefined, "the first message is the other network's root");
    h.net.post("u2", "general", "second in the thread", { thread: "a-thread-1" });
    const second = await postedOnOther("second in the thread");
    assert.equal(second.call.args.thread, root.id, "the next one in the root's thread");

    const seen = h.alice.waitFor(isMessage((m) => m.body === "an answer from the other side"));
    other.post("u7", "general", "an answer from the other side", { thread: root.id });
    assert.equal(((await seen).stanza as Message).thread?.id, "a-thread-1", "under the first network's thread id");
    const back = await apiCall(h, (c) => c.method === "post" && c.args.text === "an answer from the other side");
    assert.equal(back.args.thread, "a-thread-1", "and in the first network's thread");
  });
});
