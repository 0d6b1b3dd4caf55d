/**
 * Moderation both ways against real Synapse and real Prosody (whose
 * mod_muc_moderation speaks XEP-0425 in its fastened v0.2 form). A Matrix
 * room moderator redacting what an XMPP user's ghost said makes the MUC room
 * moderate her message; an XMPP room moderator removing what a Matrix user's
 * puppet said makes the bridge bot redact the Matrix event, which it may only
 * do once the Matrix room gives it the power level to redact others' events.
 * Retraction by the author is covered in the other two e2e files.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  buildLegacyModerationIq,
  buildMessage,
  buildMucSetAffiliation,
  type Message,
  moderationOf,
  stanzaIdBy,
} from "@parley/stanza";
import { isMessage, type Received, stanzaId } from "@parley/testkit";
import { eventually, type Harness, startHarness } from "./matrix-harness.ts";
import type { MatrixEventJson, SyncItem } from "./matrix-user.ts";

let h: Harness;
const T = { timeoutMs: 15_000 };

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const bot = () => `@${h.options.botLocalpart}:localhost`;

/** The room's own moderation broadcast for the message with stanza-id `sid`. */
const roomModeration = (sid: string) => (r: Received) =>
  r.element.name === "message" && r.stanza !== undefined && r.element.attrs.from === h.room
    ? moderationOf(r.stanza as Message)?.id === sid
    : false;

/** A redaction in the linked room of `eventId` (older room versions put `redacts` at the top, v11 in content). */
const redactionOf =
  (eventId: string, sender?: string) =>
  (i: SyncItem): boolean =>
    i.kind === "timeline" &&
    i.roomId === h.roomId &&
    i.event.type === "m.room.redaction" &&
    (i.event.redacts ?? i.event.content.redacts) === eventId &&
    (sender === undefined || i.event.sender === sender);

let said = 0;

/** alice says `body` in the room; resolves with its stanza-id and the event her ghost sent. */
async function aliceSays(body: string): Promise<{ sid: string; event: MatrixEventJson }> {
  said++;
  const id = `mod-alice-${said}`;
  const reflected = h.alice.waitFor(
    isMessage((m) => m.from === `${h.room}/alice` && m.id === id),
    T,
  );
  await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body }));
  const sid = stanzaIdBy((await reflected).stanza as Message, h.room);
  assert.ok(sid, "the room gave alice's message a stanza-id");
  const item = await h.bob.waitFor(
    (i) => i.kind === "timeline" && i.roomId === h.roomId && i.event.sender?.startsWith("@_xmpp_") === true,
    15_000,
    `"${body}" from alice's ghost`,
  );
  assert.equal(item.event.content.body, body);
  return { sid, event: item.event };
}

/** Bob says `body` in Matrix; resolves with the event ID and the stanza-id the room gave his puppet's copy. */
async function bobSays(body: string): Promise<{ eventId: string; sid: string }> {
  const seen = h.alice.waitFor(
    isMessage((m) => m.type === "groupchat" && m.from === `${h.room}/Bob` && m.body === body),
    T,
  );
  const eventId = await h.bob.sendText(h.roomId, body);
  const sid = stanzaIdBy((await seen).stanza as Message, h.room);
  assert.ok(sid, "the room gave the puppet's message a stanza-id");
  return { eventId, sid };
}

/** Alice, the room's owner, moderates the message with stanza-id `sid`; the room accepts and broadcasts it. */
async function aliceModerates(sid: string, reason: string): Promise<void> {
  const broadcast = h.alice.waitFor(roomModeration(sid), T);
  const answer = await h.alice.iq(
    buildLegacyModerationIq({ room: h.room, iqId: stanzaId("mod"), request: { id: sid, reason } }),
  );
  assert.equal(answer.type, "result", `the room refused alice's moderation: ${answer.error?.condition}`);
  await broadcast;
}

describe("Matrix moderation <-> XEP-0425", () => {
  test("a Matrix moderator's redaction of an XMPP user's message makes the room moderate it", async () => {
    // The bridge asks the room from its relay: the room must count the bridge's domain as a moderator.
    const granted = await h.alice.iq(
      buildMucSetAffiliation({ room: h.room, id: stanzaId("aff"), jid: h.domain, affiliation: "admin" }),
    );
    assert.equal(granted.type, "result", `affiliation refused: ${granted.error?.condition}`);
    const { sid, event } = await aliceSays("an unwelcome remark");
    const eventId = event.event_id ?? "";
    const pl = await h.bob.powerLevels(h.roomId);
    assert.equal((pl.users as Record<string, number>)[h.bob.userId], 100, "Bob created the room: power 100");

    const moderated = h.alice.waitFor(roomModeration(sid), T);
    await h.bob.redact(h.roomId, eventId, "off topic");
    const m = (await moderated).stanza as Message;
    const mod = moderationOf(m);
    assert.equal(mod?.id, sid);
    assert.match(mod?.reason ?? "", /deleted on matrix by Bob/);

    // The room's broadcast is the bridge's own doing: nothing goes back to Matrix for it.
    const sentinel = await aliceSays("after the moderation");
    assert.ok(sentinel.event.event_id);
    const redactions = h.bob.seen(redactionOf(eventId));
    assert.deepEqual(
      redactions.map((r) => r.event.sender),
      [h.bob.userId],
      "only Bob's own redaction of the ghost's event",
    );
  });

  test("an XMPP moderator's removal of a Matrix message, without the power to redact: logged, admins told, no crash", async () => {
    const levels = await h.bob.powerLevels(h.roomId);
    const redactLevel = typeof levels.redact === "number" ? levels.redact : 50;
    const botLevel = (levels.users as Record<string, number> | undefined)?.[bot()] ?? levels.users_default ?? 0;
    assert.ok(Number(botLevel) < redactLevel, `the bot starts below the redact level (${botLevel} < ${redactLevel})`);

    const { eventId, sid } = await bobSays("buy cheap pills");
    const notice = h.alice.waitFor(
      isMessage((x) => x.type === "chat" && x.from === h.domain && /remove other people's messages/.test(x.body ?? "")),
      T,
    );
    await aliceModerates(sid, "spam");
    const body = ((await notice).stanza as Message).body ?? "";
    assert.match(body, new RegExp(`Matrix refused to let ${bot()} remove other people's messages in room !`));
    assert.match(body, new RegExp(`grant ${bot()} power level ${redactLevel} there`));
    const line = await eventually("the refusal in the bridge's log", () =>
      h.logs.find((l) => l.includes("refused an action for lack of power") && l.includes('"action":"redact"')),
    );
    assert.ok(line.includes(bot()), "the log line names who lacks the power");
    assert.ok(line.includes(`"level":${redactLevel}`), "the log line names the level required");
    assert.ok(!line.includes(h.options.asToken) && !line.includes(h.options.hsToken), "no token in the log");

    // Still there on Matrix, and the bridge goes on relaying both ways.
    const still = await h.bob.getEvent(h.roomId, eventId);
    assert.equal(still.content.body, "buy cheap pills");
    await bobSays("still relaying to XMPP");
    await aliceSays("still relaying to Matrix");
    assert.equal(h.bob.seen(redactionOf(eventId)).length, 0, "no redaction of Bob's message");
  });

  test("once Bob grants the bot power level 50, an XMPP moderator's removal redacts the Matrix event", async () => {
    await h.bob.setPowerLevel(h.roomId, bot(), 50);
    const users = (await h.bob.powerLevels(h.roomId)).users as Record<string, number>;
    assert.equal(users[bot()], 50);
    assert.equal(users[h.bob.userId], 100, "Bob keeps his own level");

    // The message the bot could not redact before: moderated again, it is redacted now.
    const earlier = await eventually("Bob's earlier message in the room's map", async () => {
      const records = await h.store.byRemoteId("matrix", await firstEventWithBody("buy cheap pills"));
      return records[0]?.stanzaId !== undefined ? records[0] : undefined;
    });
    const earlierId = earlier.remoteId;
    const landed = h.bob.waitFor(redactionOf(earlierId, bot()), 15_000, "the bot's redaction of the earlier message");
    await aliceModerates(earlier.stanzaId ?? "", "spam, again");
    await landed;
    assert.deepEqual((await h.bob.getEvent(h.roomId, earlierId)).content, {}, "the event's content is gone");

    // A fresh one goes the same way.
    const { eventId, sid } = await bobSays("more cheap pills");
    const redaction = h.bob.waitFor(redactionOf(eventId, bot()), 15_000, "the bot's redaction");
    await aliceModerates(sid, "spam");
    await redaction;
    assert.deepEqual((await h.bob.getEvent(h.roomId, eventId)).content, {});

    // The bot's redaction comes back to the bridge from Matrix: it must not turn into a retraction in the room.
    const sentinel = h.alice.waitFor(
      isMessage((x) => x.type === "groupchat" && x.from === `${h.room}/Bob` && x.body === "after the bot's redaction"),
      T,
    );
    await h.bob.sendText(h.roomId, "after the bot's redaction");
    await sentinel;
    const retracted = h.alice.waitFor(
      isMessage((x) => x.from === `${h.room}/Bob` && x.retract !== undefined && x.retract.id === sid),
      { timeoutMs: 1 },
    );
    await assert.rejects(retracted, "no XEP-0424 retraction from Bob's puppet for a moderated message");
  });
});

/** The ID of the event Bob sent with `body` (from his sync history). */
async function firstEventWithBody(body: string): Promise<string> {
  const hit = h.bob.seen(
    (i) => i.kind === "timeline" && i.roomId === h.roomId && i.event.sender === h.bob.userId && i.event.content.body === body,
  )[0];
  assert.ok(hit?.event.event_id, `Bob's "${body}" was seen in sync`);
  return hit.event.event_id;
}
