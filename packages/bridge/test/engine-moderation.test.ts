/**
 * XEP-0425 moderation both ways on real servers. Prosody's mod_muc_moderation
 * speaks the fastened v0.2 form (urn:xmpp:message-moderate:0): a moderator's
 * removal in the room must delete the remote message, and a remote moderator's
 * deletion must make the room moderate the XMPP user's message (the bridge
 * falls back to the v0.2 request when the room refuses the current one).
 * ejabberd 23.01 has no moderation: the deletion is refused, logged, and
 * relaying goes on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildLegacyModerationIq,
  buildMessage,
  buildMucSetAffiliation,
  type Message,
  moderationOf,
  stanzaIdBy,
} from "@parley/stanza";
import { isMessage, type Received, stanzaId } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** Waits until the message map knows the room's stanza-id of a remote message. */
async function stanzaIdLearnt(h: Harness, remoteId: string, sid: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rec = (await h.store.byRemoteId("reference", remoteId))[0];
    if (rec?.stanzaId === sid) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`the message map never learnt the stanza-id of ${remoteId}`);
}

/** Alice says something in the room; returns its stanza-id and the network's copy once relayed. */
async function alicePosts(h: Harness, text: string): Promise<{ sid: string; remoteId: string }> {
  const id = stanzaId("a");
  const reflected = h.alice.waitFor(isMessage((m) => m.id === id && m.from === `${h.room}/alice`));
  await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body: text }));
  await apiCall(h, (c) => c.method === "post" && c.args.text === text);
  const posted = [...h.net.messages.values()].find((m) => m.text === text);
  assert.ok(posted, "the network has alice's message");
  const sid = stanzaIdBy((await reflected).stanza as Message, h.room);
  assert.ok(sid, "the room assigned a stanza-id");
  await stanzaIdLearnt(h, posted.id, sid);
  return { sid, remoteId: posted.id };
}

const roomModeration = (h: Harness, sid: string) => (r: Received) =>
  r.element.name === "message" && r.stanza !== undefined && r.element.attrs.from === h.room
    ? moderationOf(r.stanza as Message)?.id === sid
    : false;

describe("engine moderation on prosody (mod_muc_moderation, XEP-0425 v0.2)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("prosody");
  });
  after(async () => {
    await h?.close();
  });

  it("deletes the remote message when a room moderator removes a puppet's message", async () => {
    const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Anna` && m.body === "buy cheap pills"));
    const posted = h.net.post("u1", "general", "buy cheap pills");
    const sid = stanzaIdBy((await seen).stanza as Message, h.room);
    assert.ok(sid);
    await stanzaIdLearnt(h, posted.id, sid);
    // Alice created the room: she owns it, so she is a moderator.
    const answer = await h.alice.iq(
      buildLegacyModerationIq({ room: h.room, iqId: stanzaId("mod"), request: { id: sid, reason: "spam" } }),
    );
    assert.equal(answer.type, "result", `the room refused: ${answer.error?.condition}`);
    const broadcast = (await h.alice.waitFor(roomModeration(h, sid))).stanza as Message;
    assert.equal(broadcast.legacyModeration?.reason, "spam");
    const call = await apiCall(h, (c) => c.method === "delete" && c.args.id === posted.id);
    assert.equal(call.args.id, posted.id);
    assert.equal(call.args.reason, "spam", "the moderator's reason goes with the deletion");
    assert.equal(h.net.messages.get(posted.id)?.deleted, true);
  });

  it("has the room moderate alice's message when a network moderator deletes it", async () => {
    const granted = await h.alice.iq(
      buildMucSetAffiliation({ room: h.room, id: stanzaId("aff"), jid: h.domain, affiliation: "admin" }),
    );
    assert.equal(granted.type, "result", `affiliation refused: ${granted.error?.condition}`);
    const { sid, remoteId } = await alicePosts(h, "an unwelcome remark");
    const moderated = h.alice.waitFor(roomModeration(h, sid), { timeoutMs: 10_000 });
    h.net.remove(remoteId, "u1", "off topic");
    const m = (await moderated).stanza as Message;
    const mod = moderationOf(m);
    assert.equal(mod?.id, sid);
    assert.equal(mod?.reason, "deleted on reference by Anna: off topic");
    // The relay asked from outside the room, so Prosody names no moderator nick.
    assert.deepEqual(mod?.moderated, {});
    // The room's broadcast is the bridge's own doing: no second deletion goes to the network.
    const sentinel = h.alice.waitFor(isMessage((x) => x.from === `${h.room}/Bob` && x.body === "after moderation"));
    h.net.post("u2", "general", "after moderation");
    await sentinel;
    assert.equal(h.net.calls.filter((c) => c.method === "delete" && c.args.id === remoteId).length, 0);
  });
});

describe("engine moderation on ejabberd (no XEP-0425 in 23.01)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("ejabberd");
  });
  after(async () => {
    await h?.close();
  });

  it("refuses the deletion without harm: no moderation, and relaying goes on", async () => {
    const { sid, remoteId } = await alicePosts(h, "ejabberd keeps this");
    h.net.remove(remoteId, "u1");
    // The deletion and the next message share the room's delivery lane: by the
    // time the sentinel arrives, both moderation requests have been answered.
    const sentinel = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Bob` && m.body === "still here"));
    h.net.post("u2", "general", "still here");
    await sentinel;
    await assert.rejects(h.alice.waitFor(roomModeration(h, sid), { timeoutMs: 1 }));
    const reply = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/alice` && m.body === "and so am I"));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("b"), body: "and so am I" }));
    await reply;
    await apiCall(h, (c) => c.method === "post" && c.args.text === "and so am I");
  });
});
