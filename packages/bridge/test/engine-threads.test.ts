/**
 * The engine's thread map, through the reference connector on real Prosody:
 * a thread an XMPP user starts continues as one thread on the network (its
 * first message the root), the network's answers in it come back under the
 * XMPP thread id, a reply starts a thread on the message it answers, and
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
import { Bridge, type BridgeStore, type RefApiCall, ReferenceConnector, ReferenceNetwork } from "../src/index.ts";
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

  it("starts a thread on the message an XMPP reply answers, and a plain reply to a message in a thread goes there", async () => {
    const seen = h.alice.waitFor(isMessage((m) => fromNick("Anna")(m) && m.body === "a remote message"));
    const remote = h.net.post("u1", "general", "a remote message");
    const sid = stanzaIdBy((await seen).stanza as Message, h.room);
    assert.ok(sid);
    const thread = `xmpp-reply-thread-${Date.now()}`;
    const reply = await aliceSays("a reply that starts a thread", { thread, reply: sid });
    assert.equal(reply.call.args.thread, remote.id, "the answered message is the root");
    assert.equal(reply.call.args.replyTo, remote.id);

    const answer = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "answered in there"));
    h.net.post("u2", "general", "answered in there", { thread: remote.id });
    const answered = (await answer).stanza as Message;
    assert.equal(answered.thread?.id, thread);
    const answerSid = stanzaIdBy(answered, h.room);
    assert.ok(answerSid);
    const plain = await aliceSays("a plain reply to a message in a thread", { reply: answerSid });
    assert.equal(plain.call.args.thread, remote.id);
  });

  it("keeps a thread that came from the network under the network's id, both ways", async () => {
    const seen = h.alice.waitFor(isMessage((m) => fromNick("Bob")(m) && m.body === "in a network thread"));
    h.net.post("u2", "general", "in a network thread", { thread: "net-thread-7" });
    assert.equal(((await seen).stanza as Message).thread?.id, "net-thread-7");
    const back = await aliceSays("answering the network thread", { thread: "net-thread-7" });
    assert.equal(back.call.args.thread, "net-thread-7");
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
