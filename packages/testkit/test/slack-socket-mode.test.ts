import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import bolt from "@slack/bolt";
import { LogLevel } from "@slack/web-api";
import { type FakeSlack, startFakeSlack } from "../src/slack/index.ts";

const { App, SocketModeReceiver } = bolt;

interface Seen {
  type: string;
  event: Record<string, unknown>;
  retryNum: number | undefined;
  retryReason: string | undefined;
}

/** A bolt app in Socket Mode against the fake, collecting the events its listeners are given. */
async function socketApp(fake: FakeSlack) {
  const seen: Seen[] = [];
  // The receiver is built here to shorten the client's reconnect delay (clientPingTimeout × failures: 5 s by default).
  const receiver = new SocketModeReceiver({
    appToken: fake.appToken,
    logLevel: LogLevel.ERROR,
    clientPingTimeout: 2000,
    installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
  });
  const app = new App({
    token: fake.botToken,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fake.apiUrl },
  });
  app.event(/.*/, async ({ event, context }) => {
    seen.push({
      type: event.type,
      event: event as unknown as Record<string, unknown>,
      retryNum: context.retryNum,
      retryReason: context.retryReason,
    });
  });
  const opened = fake.connections.opened;
  await app.start();
  await fake.waitForConnection(opened + 1);
  return { app, seen };
}

describe("fake Slack: Socket Mode with the real bolt App", () => {
  let fake: FakeSlack;
  let app: InstanceType<typeof App>;
  let seen: Seen[];
  let alice: string;
  let channel: string;
  before(async () => {
    // Slack's 3 s ack timeout: a shorter one would redeliver whenever the machine is slow.
    fake = await startFakeSlack();
    alice = fake.createUser({ name: "alice", realName: "Alice Liddell" }).id;
    channel = fake.createChannel({ name: "general", members: [alice] }).id;
    ({ app, seen } = await socketApp(fake));
  });
  after(async () => {
    await app.stop();
    await fake.stop();
  });

  const messageSeen = (ts: string) =>
    fake.waitFor(() => seen.find((s) => s.type === "message" && s.event.ts === ts), {
      what: `message ${ts} at the app`,
    });

  it("says hello, delivers a user's message in an events_api envelope, and gets it acked once", async () => {
    const m = fake.post(channel, alice, `hello <@${fake.botUser.id}>`);
    const got = await messageSeen(m.ts);
    assert.equal(got.event.user, alice);
    assert.equal(got.event.channel, channel);
    assert.equal(got.event.channel_type, "channel");
    const blocks = got.event.blocks as Array<{ type: string; elements: Array<{ elements: unknown[] }> }>;
    assert.equal(blocks[0]?.type, "rich_text");
    assert.deepEqual(blocks[0]?.elements[0]?.elements[1], { type: "user", user_id: fake.botUser.id });
    await fake.waitForAcks();
    const record = fake.envelopes.find((r) => (r.envelope.payload.event as { ts?: string }).ts === m.ts);
    assert.ok(record);
    assert.equal(record.envelope.type, "events_api");
    assert.equal(record.envelope.payload.type, "event_callback");
    assert.equal(record.envelope.payload.team_id, fake.teamId);
    assert.equal(record.acked, true);
    assert.equal(record.sends, 1);
    assert.deepEqual(fake.violations, []);
  });

  it("redelivers an envelope whose ack was lost, with retry_attempt 1 and retry_reason timeout", async () => {
    fake.loseAcks(1);
    const m = fake.post(channel, alice, "is anybody there?");
    await fake.waitFor(() => seen.filter((s) => s.event.ts === m.ts).length === 2, { what: "the redelivery" });
    const deliveries = seen.filter((s) => s.event.ts === m.ts);
    assert.deepEqual(
      deliveries.map((d) => [d.retryNum, d.retryReason]),
      [
        [0, ""],
        [1, "timeout"],
      ],
    );
    await fake.waitForAcks();
    const record = fake.envelopes.find((r) => (r.envelope.payload.event as { ts?: string }).ts === m.ts);
    assert.equal(record?.sends, 2);
    assert.equal(record?.envelope.retry_attempt, 1);
  });

  it("sendRawFrame sends a frame as given: an envelope of the test's making reaches the app, and its ack is a stray ack", async () => {
    const ts = "1700000000.000100";
    const event = { type: "message", channel, user: alice, text: "raw", ts, channel_type: "channel" };
    const payload = fake.eventPayload(event);
    assert.equal(payload.type, "event_callback");
    assert.deepEqual(payload.event, { event_ts: (payload.event as { event_ts: string }).event_ts, ...event });
    const envelopesBefore = fake.envelopes.length;
    // Frames that are no envelope at all go first: the app must not take them for events.
    assert.equal(fake.sendRawFrame("not json {"), true);
    assert.equal(fake.sendRawFrame({ type: "hostile", payload: 42 }), true);
    const sent = fake.sendRawFrame({
      envelope_id: "raw-envelope-1",
      type: "events_api",
      payload,
      accepts_response_payload: false,
      retry_attempt: 7,
      retry_reason: "timeout",
    });
    assert.equal(sent, true);
    const got = await messageSeen(ts);
    assert.equal(got.event.text, "raw");
    assert.equal(got.retryNum, 7);
    await fake.waitFor(() => fake.strayAcks.includes("raw-envelope-1"), { what: "the raw envelope's ack" });
    // Outside the bookkeeping: no envelope record, so never redelivered.
    assert.equal(fake.envelopes.length, envelopesBefore);
    assert.equal(seen.filter((s) => s.event.ts === ts).length, 1);
  });

  it("edits, deletions, thread replies and reactions arrive as Slack sends them", async () => {
    const root = fake.post(channel, alice, "root");
    const reply = fake.post(channel, alice, "reply", { threadTs: root.ts });
    fake.edit(channel, root.ts, "root (edited)");
    fake.react(channel, root.ts, alice, "thumbsup");
    fake.remove(channel, reply.ts);
    await fake.waitFor(() =>
      seen.some((s) => s.event.subtype === "message_deleted" && s.event.deleted_ts === reply.ts),
    );
    const got = seen.filter(
      (s) => s.event.ts === reply.ts || s.event.subtype !== undefined || s.type.startsWith("reaction"),
    );
    const r = got.find((s) => s.event.ts === reply.ts);
    assert.equal(r?.event.thread_ts, root.ts);
    assert.equal(r?.event.parent_user_id, alice);
    const changed = got.find((s) => s.event.subtype === "message_changed");
    assert.ok(changed);
    const now = changed.event.message as { text: string; edited?: { user: string } };
    assert.equal(now.text, "root (edited)");
    assert.equal((changed.event.previous_message as { text: string }).text, "root");
    assert.equal(now.edited?.user, alice);
    const reaction = seen.find((s) => s.type === "reaction_added");
    assert.deepEqual(reaction?.event.item, { type: "message", channel, ts: root.ts });
    assert.equal(reaction?.event.reaction, "thumbsup");
  });

  it("after disconnect(refresh_requested) the client reconnects and events flow on the new connection", async () => {
    const before = fake.connections.opened;
    fake.disconnect("refresh_requested");
    await fake.waitForConnection(before + 1);
    const m = fake.post(channel, alice, "after the refresh");
    await messageSeen(m.ts);
    await fake.waitForAcks();
  });

  it("an envelope sent while the socket is cut goes out once the client is back", async () => {
    const before = fake.connections.opened;
    fake.dropSockets();
    await fake.waitFor(() => fake.connections.open === 0 || fake.connections.opened > before);
    const m = fake.post(channel, alice, "while you were away");
    await fake.waitForConnection(before + 1);
    await messageSeen(m.ts);
    await fake.waitForAcks();
  });

  it("a user writing to the bot in a DM arrives with channel_type im", async () => {
    const dm = fake.openDm(alice);
    const m = fake.post(dm.id, alice, "psst");
    const got = await messageSeen(m.ts);
    assert.equal(got.event.channel_type, "im");
    assert.equal(got.event.channel, dm.id);
  });

  it("after disconnect(link_disabled) no new connection is accepted until Socket Mode is enabled again", async () => {
    const before = fake.connections.opened;
    fake.disconnect("link_disabled");
    await fake.waitFor(() => fake.connections.open === 0, { what: "the socket to close" });
    const m = fake.post(channel, alice, "queued while disabled");
    assert.equal(fake.connections.opened, before);
    fake.enableSocketMode();
    await fake.waitForConnection(before + 1, { timeoutMs: 30_000 });
    await messageSeen(m.ts);
  });

  it("events of a channel the bot is not in are not delivered", async () => {
    const other = fake.createChannel({ name: "elsewhere", members: [alice], bot: false });
    const hidden = fake.post(other.id, alice, "not for the bot");
    const shown = fake.post(channel, alice, "for the bot");
    await messageSeen(shown.ts);
    assert.equal(
      seen.some((s) => s.event.ts === hidden.ts),
      false,
    );
    fake.joinChannel(other.id, fake.botUser.id);
    await fake.waitFor(() => seen.find((s) => s.type === "member_joined_channel" && s.event.channel === other.id));
  });
});
