/**
 * The engine's thread map, through the reference connector on real Prosody:
 * a thread an XMPP user starts continues as one thread on the network (its
 * first message the root), the network's answers in it come back under the
 * XMPP thread id, a reply starts a thread on the message it answers, and
 * the map survives a restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

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
