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

/**
 * Whether `userId` may redact others' events in the linked room. Synapse
 * creates rooms of version 12 now, where the creator has unbounded power and
 * is left out of `users`; in older versions the creator has 100 there.
 */
async function isModerator(userId: string): Promise<boolean> {
  const state = await h.bob.request<MatrixEventJson[]>(
    "GET",
    `/_matrix/client/v3/rooms/${encodeURIComponent(h.roomId)}/state`,
  );
  const create = state.find((e) => e.type === "m.room.create");
  const levels = state.find((e) => e.type === "m.room.power_levels")?.content ?? {};
  const additional = Array.isArray(create?.content.additional_creators) ? create.content.additional_creators : [];
  const creators = [create?.sender, ...additional];
  if (create?.content.room_version === "12" && creators.includes(userId)) return true;
  const users = (levels.users ?? {}) as Record<string, unknown>;
  return Number(users[userId] ?? levels.users_default ?? 0) >= Number(levels.redact ?? 50);
}

let said = 0;
/** Bob's message the bot was refused the redaction of; the next test has it moderated again. */
let refused: { eventId: string; sid: string } | undefined;

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
    (i) =>
      i.kind === "timeline" &&
      i.roomId === h.roomId &&
      i.event.type === "m.room.message" &&
      i.event.sender?.startsWith("@_xmpp_") === true &&
      i.event.content.body === body,
    15_000,
    `"${body}" from alice's ghost`,
  );
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
  test("without moderator rights in the room, a Matrix moderator's redaction is refused by the room: logged, no crash", async () => {
    const { sid, event } = await aliceSays("said before the bridge may moderate");
    const eventId = event.event_id ?? "";
    const before = h.logs.length;
    await h.bob.redact(h.roomId, eventId);
    const line = await eventually("the room's refusal in the bridge's log", () =>
      h.logs.slice(before).find((l) => l.includes("the room refused to moderate a message deleted on the remote side")),
    );
    assert.match(line, /"condition":"forbidden"/);
    // Nothing was moderated, and the bridge goes on relaying both ways.
    await bobSays("the bridge still relays to XMPP");
    await aliceSays("and to Matrix");
    await assert.rejects(h.alice.waitFor(roomModeration(sid), { timeoutMs: 1 }), "no moderation of alice's message");
  });

  test("a Matrix moderator's redaction of an XMPP user's message makes the room moderate it", async () => {
    // The bridge asks the room from its relay: the room must count the bridge's domain as a moderator.
    const granted = await h.alice.iq(
      buildMucSetAffiliation({ room: h.room, id: stanzaId("aff"), jid: h.domain, affiliation: "admin" }),
    );
    assert.equal(granted.type, "result", `affiliation refused: ${granted.error?.condition}`);
    const { sid, event } = await aliceSays("an unwelcome remark");
    const eventId = event.event_id ?? "";
    assert.ok(await isModerator(h.bob.userId), "Bob, who created the room, may redact others' events");

    const moderated = h.alice.waitFor(roomModeration(sid), T);
    await h.bob.redact(h.roomId, eventId, "off topic");
    const m = (await moderated).stanza as Message;
    const mod = moderationOf(m);
    assert.equal(mod?.id, sid);
    assert.equal(mod?.reason, "deleted on matrix by Bob: off topic", "who, where and why");

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
    refused = { eventId, sid };
    const notice = h.alice.waitFor(
      isMessage((x) => x.type === "chat" && x.from === h.domain && /remove other people's messages/.test(x.body ?? "")),
      T,
    );
    await aliceModerates(sid, "spam");
    const body = ((await notice).stanza as Message).body ?? "";
    assert.ok(
      body.includes(`Matrix refused to let ${bot()} remove other people's messages in room ${h.roomId}`),
      `the notice names the bot, the action and the room: ${body}`,
    );
    assert.ok(body.includes(`grant ${bot()} power level ${redactLevel} there`), `the notice names the level: ${body}`);
    const line = await eventually("the refusal in the bridge's log", () =>
      h.logs.find((l) => l.includes("Matrix refused to let") && l.includes('"action":"redact"')),
    );
    assert.ok(line.includes(bot()), "the log line names who lacks the power");
    const fields = JSON.parse(line) as Record<string, unknown>;
    assert.ok(
      Object.entries(fields).some(([k, v]) => k.endsWith("level") && v === redactLevel),
      `the log line names the level required: ${line}`,
    );
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
    assert.ok(await isModerator(h.bob.userId), "Bob is still a moderator");

    // The message the bot could not redact before: moderated again, it is redacted now.
    assert.ok(refused, "the previous test left the message the bot could not redact");
    const landed = h.bob.waitFor(
      redactionOf(refused.eventId, bot()),
      15_000,
      "the bot's redaction of the earlier message",
    );
    await aliceModerates(refused.sid, "spam, again");
    await landed;
    assert.deepEqual((await h.bob.getEvent(h.roomId, refused.eventId)).content, {}, "the event's content is gone");

    // A fresh one goes the same way.
    const { eventId, sid } = await bobSays("more cheap pills");
    const redaction = h.bob.waitFor(redactionOf(eventId, bot()), 15_000, "the bot's redaction");
    await aliceModerates(sid, "spam");
    const redacted = await redaction;
    assert.equal(redacted.event.content.reason, "spam", "the XMPP moderator's reason is the redaction's");
    assert.deepEqual((await h.bob.getEvent(h.roomId, eventId)).content, {});

    // The bot's redaction comes back to the bridge from Matrix: it must not turn into a retraction in the room.
    const sentinel = h.alice.waitFor(
      isMessage((x) => x.type === "groupchat" && x.from === `${h.room}/Bob` && x.body === "after the bot's redaction"),
      T,
    );
    await h.bob.sendText(h.roomId, "after the bot's redaction");
    await sentinel;
    const retracted = h.alice.waitFor(
      isMessage((x) => x.from === `${h.room}/Bob` && x.retract !== undefined),
      { timeoutMs: 1 },
    );
    await assert.rejects(retracted, "no XEP-0424 retraction from Bob's puppet for a moderated message");
  });
});
