/**
 * A message too long for one post on a network that says so
 * (`Connector.limits`), end to end on a real Prosody with a real XMPP
 * client: the engine posts it in parts, and corrections, reactions,
 * retractions and the network's replies treat the parts as the one message.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { type ChannelLimits, ReferenceConnector, toMarkdown } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** The reference network, with posts of at most 20 characters of Markdown. */
class ShortPosts extends ReferenceConnector {
  limits(): ChannelLimits {
    return { maxTextLength: 20, textLength: (t) => toMarkdown(t).length };
  }
}

describe("a long XMPP message in parts on prosody", () => {
  let h: Harness;
  let sid: string;
  let id: string;
  /** The network's posts of Alice's message, in order. */
  let parts: string[];

  before(async () => {
    h = await startHarness("prosody", { connector: (net) => new ShortPosts(net) });
  });
  after(async () => {
    await h?.close();
  });

  const textsOf = (ids: readonly string[]) => ids.map((x) => h.net.messages.get(x)?.text);
  const posted = () => h.net.calls.filter((c) => c.method === "post" && c.args.senderName === "alice");

  it("posts a message too long for one post as parts, in order", async () => {
    id = stanzaId("long");
    const reflected = h.alice.waitFor(isMessage((m) => m.id === id));
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id,
        originId: id,
        body: "part one is here\n\npart two is here\n\npart three",
      }),
    );
    sid = stanzaIdBy((await reflected).stanza as Message, h.room) ?? "";
    assert.notEqual(sid, "");
    await apiCall(h, (c) => c.method === "post" && c.args.text === "part three");
    const ids = [...h.net.messages.values()].filter((m) => m.bridgeSender?.name === "alice").map((m) => m.id);
    assert.deepEqual(textsOf(ids), ["part one is here", "part two is here", "part three"]);
    parts = ids;
    assert.equal(posted().length, 3);
  });

  it("puts a reaction on the first part", async () => {
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), reactions: { id: sid, emojis: ["👍"] } }),
    );
    const call = await apiCall(h, (c) => c.method === "react" && c.args.emoji === "👍");
    assert.equal(call.args.id, parts[0]);
  });

  it("relays a network reply to a later part as a reply to the one XMPP message", async () => {
    const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Bob` && m.reply !== undefined));
    h.net.post("u2", "general", "about part two", { replyTo: parts[1] as string });
    const m = (await seen).stanza as Message;
    assert.equal(m.reply?.id, sid);
  });

  it("edits every part of a correction and posts the parts a longer text needs", async () => {
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: stanzaId("c"),
        body: "part one was fixed\n\npart two was fixed\n\npart three fixed\n\nand a fourth",
        replace: { id },
      }),
    );
    await apiCall(h, (c) => c.method === "post" && c.args.text === "and a fourth");
    const fourth = [...h.net.messages.values()].find((m) => m.text === "and a fourth");
    assert.ok(fourth);
    parts.push(fourth.id);
    assert.deepEqual(textsOf(parts), ["part one was fixed", "part two was fixed", "part three fixed", "and a fourth"]);
  });

  it("deletes the parts a shorter correction leaves over", async () => {
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("c"), body: "all in one now", replace: { id } }),
    );
    await apiCall(h, (c) => c.method === "delete" && c.args.id === parts[3]);
    assert.deepEqual(textsOf(parts.slice(0, 1)), ["all in one now"]);
    for (const gone of parts.slice(1)) assert.equal(h.net.messages.get(gone)?.deleted, true);
    parts = parts.slice(0, 1);
  });

  it("deletes every part of a retracted message", async () => {
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: stanzaId("c"),
        body: "one two three four five six\n\nseven eight nine",
        replace: { id },
      }),
    );
    await apiCall(h, (c) => c.method === "post" && c.args.text === "seven eight nine");
    const byText = (text: string) => [...h.net.messages.values()].find((m) => m.text === text)?.id ?? "";
    const all = [parts[0] as string, byText("five six"), byText("seven eight nine")];
    assert.deepEqual(textsOf(all), ["one two three four", "five six", "seven eight nine"]);
    // Queued behind the correction in the channel's lane: it finds every part the correction mapped.
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), retract: { id: sid } }));
    await apiCall(h, (c) => c.method === "delete" && c.args.id === all[2]);
    for (const gone of all) assert.equal(h.net.messages.get(gone)?.deleted, true);
  });
});
