import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import bolt from "@slack/bolt";
import { LogLevel } from "@slack/web-api";
import { freePort } from "../src/free-port.ts";
import { type FakeSlack, slackSignature, startFakeSlack } from "../src/slack/index.ts";

const { App } = bolt;

describe("fake Slack: HTTP Events with bolt's HTTPReceiver", () => {
  let fake: FakeSlack;
  let app: InstanceType<typeof App>;
  const seen: Array<Record<string, unknown>> = [];
  let alice: string;
  let channel: string;
  before(async () => {
    fake = await startFakeSlack();
    alice = fake.createUser({ name: "alice" }).id;
    channel = fake.createChannel({ name: "general", members: [alice] }).id;
    const port = await freePort();
    app = new App({
      token: fake.botToken,
      signingSecret: fake.signingSecret,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl },
    });
    app.event("message", async ({ event }) => {
      seen.push(event as unknown as Record<string, unknown>);
    });
    await app.start(port);
    fake.useHttpEvents({ url: `http://127.0.0.1:${port}/slack/events`, retryDelayMs: 100 });
  });
  after(async () => {
    await app.stop();
    await fake.stop();
  });

  it("passes the url_verification handshake", async () => {
    assert.equal(await fake.verifyRequestUrl(), true);
  });

  it("a correctly signed event reaches the listener", async () => {
    const m = fake.post(channel, alice, "over HTTP");
    await fake.waitFor(() => seen.find((e) => e.ts === m.ts), { what: "the event at the app" });
    const d = fake.httpDeliveries.find((x) => x.body.includes(`"ts":"${m.ts}"`));
    assert.ok(d);
    // The listener may run before the app's answer reaches the fake.
    await fake.waitFor(() => d.delivered || d.failed, { what: "the app's answer" });
    assert.equal(d.delivered, true);
    assert.deepEqual(
      d.attempts.map((a) => a.status),
      [200],
    );
  });

  it("a body changed after signing, or signed with another secret, is refused with 401 and retried in vain", async () => {
    for (const how of ["tampered", "wrong-secret"] as const) {
      const d = fake.deliverBadlySigned({ type: "message", channel, user: alice, text: how, ts: "1.000001" }, how);
      await fake.waitFor(() => d.failed, { what: `the ${how} delivery to give up` });
      assert.deepEqual(
        d.attempts.map((a) => a.status),
        [401, 401, 401, 401],
      );
      assert.equal(
        seen.some((e) => e.text === how),
        false,
      );
    }
  });

  it("slackSignature is Slack's v0 HMAC", () => {
    // The example of Slack's "Verifying requests from Slack" page.
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert.equal(
      slackSignature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });
});

describe("fake Slack: HTTP Events retries", () => {
  it("retries a failed delivery with X-Slack-Retry-Num and X-Slack-Retry-Reason", async () => {
    const fake = await startFakeSlack();
    const got: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      got.push(req.headers);
      req.resume();
      res.writeHead(got.length === 1 ? 500 : 200).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      fake.useHttpEvents({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, retryDelayMs: 50 });
      const alice = fake.createUser({ name: "alice" });
      await fake.waitFor(() => fake.httpDeliveries[0]?.delivered, { what: "the team_join delivery" });
      assert.equal(alice.name, "alice");
      assert.equal(got.length, 2);
      assert.equal(got[0]?.["x-slack-retry-num"], undefined);
      assert.equal(got[1]?.["x-slack-retry-num"], "1");
      assert.equal(got[1]?.["x-slack-retry-reason"], "http_error");
      assert.match(String(got[1]?.["x-slack-signature"]), /^v0=[0-9a-f]{64}$/);
    } finally {
      server.close();
      await fake.stop();
    }
  });
});
