/**
 * Matrix -> XMPP against real Synapse and real Prosody: what a Matrix user
 * does in a linked room reaches the XMPP user in the MUC room from their
 * puppet, through transactions the homeserver pushes to the bridge.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, isPresence } from "@parley/testkit";
import { type Harness, messageEvent, putTransaction, startHarness } from "./matrix-harness.ts";

let h: Harness;
const T = { timeoutMs: 15_000 };

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

function fromPuppet(nick: string, extra: (m: Message) => boolean) {
  return isMessage((m) => m.type === "groupchat" && m.from === `${h.room}/${nick}` && extra(m));
}

/** Bob says `body`; resolves with the event ID and the message as alice got it. */
async function bobSays(body: string): Promise<{ eventId: string; got: Message; stanzaId: string }> {
  const eventId = await h.bob.sendText(h.roomId, body);
  const got = (
    await h.alice.waitFor(
      fromPuppet("Bob", (m) => m.body === body),
      T,
    )
  ).stanza as Message;
  const stanzaId = stanzaIdBy(got, h.room);
  assert.ok(stanzaId, "the room gave the message a stanza-id");
  return { eventId, got, stanzaId };
}

describe("Matrix -> XMPP", () => {
  test("a message arrives from the Matrix user's puppet, under their display name", async () => {
    const { got } = await bobSays("hello from Matrix");
    assert.equal(got.body, "hello from Matrix");
  });

  test("formatted_body HTML goes through the formatting tree into XEP-0393 styling", async () => {
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "bold and italic",
      format: "org.matrix.custom.html",
      formatted_body: "<strong>bold</strong> and <em>italic</em>",
    });
    await h.alice.waitFor(
      fromPuppet("Bob", (m) => m.body === "*bold* and _italic_"),
      T,
    );
  });

  test("m.emote reads as /me", async () => {
    await h.bob.send(h.roomId, { msgtype: "m.emote", body: "waves" });
    await h.alice.waitFor(
      fromPuppet("Bob", (m) => m.body === "/me waves"),
      T,
    );
  });

  test("an edit (m.replace) is an XEP-0308 correction of the original", async () => {
    const { eventId, got } = await bobSays("tpyo here");
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "* typo here",
      "m.new_content": { msgtype: "m.text", body: "typo here" },
      "m.relates_to": { rel_type: "m.replace", event_id: eventId },
    });
    const fix = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.replace !== undefined),
        T,
      )
    ).stanza as Message;
    assert.equal(fix.body, "typo here");
    assert.equal(fix.replace?.id, got.originId ?? got.id);
  });

  test("an edit of someone else's message is not relayed, and the log says so", async () => {
    const eve = await h.addMatrixUser(`eve${process.pid}`, "Eve");
    const { eventId } = await bobSays("bob's own words");
    await eve.send(h.roomId, {
      msgtype: "m.text",
      body: "* words eve put in bob's mouth",
      "m.new_content": { msgtype: "m.text", body: "words eve put in bob's mouth" },
      "m.relates_to": { rel_type: "m.replace", event_id: eventId },
    });
    // Bob's own edit after Eve's comes through: Eve's, sent first, did not.
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "* bob's own words, edited",
      "m.new_content": { msgtype: "m.text", body: "bob's own words, edited" },
      "m.relates_to": { rel_type: "m.replace", event_id: eventId },
    });
    await h.alice.waitFor(
      isMessage((m) => m.body === "bob's own words, edited"),
      T,
    );
    // Relayed in order, so Eve's edit would have come before Bob's: it is not among what alice has unread.
    const leaked = await h.alice
      .waitFor(
        isMessage((m) => (m.body ?? "").includes("words eve put")),
        { timeoutMs: 1 },
      )
      .then(
        () => true,
        () => false,
      );
    assert.equal(leaked, false, "nothing of Eve's edit reached XMPP");
    assert.ok(h.logs.some((l) => l.includes("it edits a message someone else sent")));
  });

  test("a reply (m.in_reply_to) is an XEP-0461 reply, without Matrix's quoted fallback", async () => {
    const { eventId, stanzaId } = await bobSays("the question");
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: `> <${h.bob.userId}> the question\n\nthe answer`,
      format: "org.matrix.custom.html",
      formatted_body: `<mx-reply><blockquote>the question</blockquote></mx-reply>the answer`,
      "m.relates_to": { "m.in_reply_to": { event_id: eventId } },
    });
    const reply = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.reply !== undefined),
        T,
      )
    ).stanza as Message;
    assert.equal(reply.reply?.id, stanzaId);
    assert.ok(reply.body?.endsWith("the answer"), reply.body);
    assert.ok(!reply.body?.includes(h.bob.userId), "the Matrix fallback is not carried as text");
  });

  test("a reply to an XMPP user's message quotes their nick in the fallback, never the ghost's localpart", async () => {
    const said = "a question from XMPP";
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "alice-question", body: said }));
    const onMatrix = await h.bob.waitFor(
      (i) =>
        i.kind === "timeline" &&
        i.roomId === h.roomId &&
        i.event.sender?.startsWith("@_xmpp_") === true &&
        i.event.content.body === said,
      15_000,
      "alice's message from her ghost",
    );
    const ghost = onMatrix.event.sender ?? "";
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: `> <${ghost}> ${said}\n\nan answer for alice`,
      format: "org.matrix.custom.html",
      formatted_body: `<mx-reply><blockquote>${said}</blockquote></mx-reply>an answer for alice`,
      "m.relates_to": { "m.in_reply_to": { event_id: onMatrix.event.event_id } },
    });
    const reply = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.reply !== undefined && (m.body ?? "").endsWith("an answer for alice")),
        T,
      )
    ).stanza as Message;
    assert.match(reply.body ?? "", /alice/, reply.body);
    assert.ok(!(reply.body ?? "").includes("_xmpp_"), `no ghost localpart in ${reply.body}`);
    assert.ok(!(reply.body ?? "").includes("=40"), `no escaped JID in ${reply.body}`);
  });

  test("a message that becomes a thread root carries the thread its replies carry (XEP-0201)", async () => {
    const { eventId, got } = await bobSays("thread root to be");
    assert.equal(got.thread?.id, eventId, "the root is marked with its own thread");
  });

  test("a thread (m.thread) carries the root as the XEP-0201 thread", async () => {
    const { eventId } = await bobSays("thread root");
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "in the thread",
      "m.relates_to": {
        rel_type: "m.thread",
        event_id: eventId,
        is_falling_back: true,
        "m.in_reply_to": { event_id: eventId },
      },
    });
    const inThread = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.body === "in the thread"),
        T,
      )
    ).stanza as Message;
    assert.equal(inThread.thread?.id, eventId);
    assert.equal(inThread.reply, undefined, "a thread fallback is not a reply");
  });

  test("a reaction is XEP-0444; redacting the reaction event removes it", async () => {
    const { eventId, stanzaId } = await bobSays("react to me");
    const reaction = await h.bob.send(
      h.roomId,
      { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key: "👍" } },
      "m.reaction",
    );
    const added = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.reactions !== undefined),
        T,
      )
    ).stanza as Message;
    assert.deepEqual(added.reactions, { id: stanzaId, emojis: ["👍"] });
    await h.bob.redact(h.roomId, reaction);
    const removed = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.reactions !== undefined),
        T,
      )
    ).stanza as Message;
    assert.deepEqual(removed.reactions, { id: stanzaId, emojis: [] });
  });

  test("a redaction is an XEP-0424 retraction of the message", async () => {
    const { eventId, got } = await bobSays("regrettable");
    await h.bob.redact(h.roomId, eventId);
    const retraction = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.retract !== undefined),
        T,
      )
    ).stanza as Message;
    const ids = [got.originId, got.id, stanzaIdBy(got, h.room)];
    assert.ok(ids.includes(retraction.retract?.id), `retracts ${retraction.retract?.id}, one of ${ids.join(", ")}`);
  });

  test("an image (mxc://, authenticated media) is re-hosted and reaches XMPP as an OOB link with the same bytes", async () => {
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2a8d2a70000000049454e44ae426082",
      "hex",
    );
    const mxc = await h.bob.upload(png, "image/png", "dot.png");
    await h.bob.send(h.roomId, {
      msgtype: "m.image",
      body: "dot.png",
      url: mxc,
      info: { mimetype: "image/png", size: png.length },
    });
    const file = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => (m.oob?.length ?? 0) > 0),
        T,
      )
    ).stanza as Message;
    const url = file.oob?.[0]?.url ?? "";
    assert.ok(!url.includes("/_matrix/"), "not the homeserver's private URL");
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), png);
  });

  test("typing is an XEP-0085 chat state from the puppet", async () => {
    await h.bob.typing(h.roomId, true);
    await h.alice.waitFor(
      fromPuppet("Bob", (m) => m.chatState === "composing"),
      T,
    );
    await h.bob.typing(h.roomId, false);
    await h.alice.waitFor(
      fromPuppet("Bob", (m) => m.chatState === "paused"),
      T,
    );
  });

  test("a read receipt on an XMPP user's message is an XEP-0333 displayed marker from the puppet", async () => {
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "read-me", body: "read this, Bob" }));
    const own = (
      await h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/alice` && m.body === "read this, Bob"),
        T,
      )
    ).stanza as Message;
    const stanzaId = stanzaIdBy(own, h.room);
    const seen = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.content.body === "read this, Bob",
      15_000,
      "alice's message",
    );
    await h.bob.receipt(h.roomId, seen.event.event_id ?? "");
    const marker = (
      await h.alice.waitFor(
        fromPuppet("Bob", (m) => m.marker !== undefined),
        T,
      )
    ).stanza as Message;
    assert.deepEqual(marker.marker, { type: "displayed", id: stanzaId });
  });

  test("presence: away with a status message", async () => {
    await h.bob.setPresence("unavailable", "out for lunch");
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Bob` && p.show === "away" && p.status === "out for lunch"),
      T,
    );
    await h.bob.setPresence("online");
  });

  test("presence: offline takes the puppet out of the room (unavailable, not show=xa); online seats it again", async () => {
    const left = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Bob` && (p.type === "unavailable" || p.show === "xa")),
      T,
    );
    await h.bob.setPresence("offline");
    assert.equal((await left).stanza?.kind === "presence" && (await left).stanza?.type, "unavailable");
    const back = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Bob` && p.type === "available"),
      T,
    );
    await h.bob.setPresence("online");
    await back;
  });

  test("a display name change renames the puppet in the room", async () => {
    await h.bob.setDisplayName("Robert");
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Robert` && p.type !== "unavailable"),
      T,
    );
    await bobSaysAs("Robert", "new name, same me");
    await h.bob.setDisplayName("Bob");
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Bob` && p.type !== "unavailable"),
      T,
    );
  });

  test("an avatar change reaches the puppet: fetched through the signed media proxy, its hash in presence", async () => {
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478da63f8ffff3f0005fe02fea7d6a4b90000000049454e44ae426082",
      "hex",
    );
    const mxc = await h.bob.upload(png, "image/png", "me.png");
    await h.bob.request("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(h.bob.userId)}/avatar_url`, {
      avatar_url: mxc,
    });
    const hash = createHash("sha1").update(png).digest("hex");
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Bob` && p.vcardUpdate?.photo === hash),
      T,
    );
  });

  test("memberships: a join, a leave, a kick and a ban are mirrored as occupant presence with the reason", async () => {
    const carol = await h.addMatrixUser("carol", "Carol");
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type !== "unavailable"),
      T,
    );
    await carol.leave(h.roomId);
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type === "unavailable"),
      T,
    );
    await carol.join(h.roomId);
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type !== "unavailable"),
      T,
    );
    await h.bob.kick(h.roomId, carol.userId, "too loud");
    const kicked = await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type === "unavailable"),
      T,
    );
    assert.match((kicked.stanza as { status?: string }).status ?? "", /Kicked by Bob: too loud/);
    await carol.join(h.roomId);
    await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type !== "unavailable"),
      T,
    );
    await h.bob.ban(h.roomId, carol.userId, "spam");
    const banned = await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type === "unavailable"),
      T,
    );
    assert.match((banned.stanza as { status?: string }).status ?? "", /Banned by Bob: spam/);
  });

  test("a bad event in a transaction is logged and skipped; the rest of the transaction is bridged", async () => {
    const r = await putTransaction(h, `bad-${Date.now()}`, {
      events: [
        { type: "m.room.message", room_id: h.roomId, sender: h.bob.userId, event_id: "$no-content" },
        "not an event",
        { ...messageEvent(h, { eventId: `$after-bad-${Date.now()}`, body: "after the bad ones" }) },
      ],
    });
    assert.equal(r.status, 200);
    await h.alice.waitFor(
      fromPuppet("Bob", (m) => m.body === "after the bad ones"),
      T,
    );
    assert.ok(h.logs.some((l) => l.includes("a Matrix event was skipped")));
  });

  test("no log line carries the tokens", () => {
    const all = h.logs.join("\n");
    assert.ok(!all.includes(h.options.asToken), "as_token is never logged");
    assert.ok(!all.includes(h.options.hsToken), "hs_token is never logged");
  });
});

async function bobSaysAs(nick: string, body: string): Promise<void> {
  await h.bob.sendText(h.roomId, body);
  await h.alice.waitFor(
    fromPuppet(nick, (m) => m.body === body),
    T,
  );
}
