import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import bolt from "@slack/bolt";
import { LogLevel } from "@slack/web-api";
import { type FakeSlack, startFakeSlack } from "../src/slack/index.ts";

const { App, SocketModeReceiver } = bolt;

/** A bolt app in Socket Mode against the fake, collecting the events it is given. */
async function socketApp(fake: FakeSlack, o: { clientPingTimeout?: number } = {}) {
  const seen: Array<{ type: string; event: Record<string, unknown>; retryNum?: number; retryReason?: string }> = [];
  // The receiver is built here to shorten the client's reconnect delay (clientPingTimeout × failures: 5 s by default).
  const receiver = new SocketModeReceiver({
    appToken: fake.appToken,
    logLevel: LogLevel.ERROR,
    clientPingTimeout: o.clientPingTimeout ?? 1000,
    installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
  });
  const app = new App({
    token: fake.botToken,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fake.apiUrl },
  });
  app.event(/.*/, async ({ event, body }) => {
    const b = body as { retry_attempt?: number };
    seen.push({ type: event.type, event: event as unknown as Record<string, unknown>, retryNum: b.retry_attempt });
  });
  await app.start();
  return { app, seen };
}

describe("fake Slack: Socket Mode with the real bolt App", () => {
  let fake: FakeSlack;
  before(async () => {
    fake = await startFakeSlack({ ackTimeoutMs: 300 });
  });
  after(async () => {
    await fake.stop();
  });

  it("says hello, delivers a user's message as an events_api envelope, and gets it acked", async () => {
    const { app, seen } = await socketApp(fake);
    try {
      await fake.waitForConnection();
      const alice = fake.createUser({ name: "alice", realName: "Alice Liddell" });
      const c = fake.createChannel({ name: "general", members: [alice.id] });
      const m = fake.post(c.id, alice.id, "hello <@" + fake.botUser.id + ">");
      await fake.waitFor(() => seen.find((s) => s.type === "message" && s.event.ts === m.ts), { what: "the message" });
      await fake.waitForAcks();
      const record = fake.envelopes.find((r) => (r.envelope.payload.event as { ts?: string }).ts === m.ts);
      assert.ok(record);
      assert.equal(record.acked, true);
      assert.equal(record.sends, 1);
      assert.equal(record.envelope.type, "events_api");
      assert.equal(record.envelope.payload.type, "event_callback");
      assert.deepEqual(fake.violations, []);
    } finally {
      await app.stop();
    }
  });
});
