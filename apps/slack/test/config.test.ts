/** connectors.slack: defaults, both modes, and errors that name the field and the fix without quoting secrets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "@parley/bridge";
import { parseSlackOptions } from "../src/config.ts";

const BOT = "xoxb-111-222-secretbotvalue";
const APP = "xapp-1-A1-333-secretappvalue";

function issues(input: unknown): ConfigError["issues"] {
  try {
    parseSlackOptions(input);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.ok(!/secretbotvalue|secretappvalue|user-secret/.test(e.message), "no secret is quoted");
    return e.issues;
  }
  assert.fail("expected a ConfigError");
}

describe("connectors.slack options", () => {
  it("defaults to Socket Mode and fills in the rest", () => {
    const o = parseSlackOptions({ botToken: BOT, appToken: APP });
    assert.equal(o.mode, "socket");
    assert.equal(o.path, "/slack/events");
    assert.equal(o.catchUpMaxAgeHours, 24);
    assert.equal(o.presence, true);
  });

  it("takes HTTP mode with a signing secret, and an API URL ending in a slash", () => {
    const o = parseSlackOptions({
      botToken: BOT,
      mode: "http",
      signingSecret: "s3cret",
      port: 8080,
      apiUrl: "http://127.0.0.1:9/api",
    });
    assert.equal(o.mode, "http");
    assert.equal(o.port, 8080);
    assert.equal(o.apiUrl, "http://127.0.0.1:9/api/");
  });

  it("names botToken when it is missing or not a bot token", () => {
    assert.deepEqual(
      issues({ appToken: APP }).map((i) => [i.path, i.problem]),
      [["connectors.slack.botToken", "is required"]],
    );
    const [issue] = issues({ botToken: "xoxp-user-secret", appToken: APP });
    assert.equal(issue?.path, "connectors.slack.botToken");
    assert.match(issue?.fix ?? "", /OAuth & Permissions/);
  });

  it("asks for the app token in Socket Mode and the signing secret in HTTP mode", () => {
    assert.deepEqual(
      issues({ botToken: BOT }).map((i) => i.path),
      ["connectors.slack.appToken"],
    );
    assert.deepEqual(
      issues({ botToken: BOT, mode: "http" }).map((i) => i.path),
      ["connectors.slack.signingSecret"],
    );
  });

  it("lists unknown settings and bad values, each with its fix", () => {
    const found = issues({ botToken: BOT, appToken: APP, token: "x", port: 0, path: "events", mode: "rtm" });
    assert.deepEqual(found.map((i) => i.path).sort(), [
      "connectors.slack.mode",
      "connectors.slack.path",
      "connectors.slack.port",
      "connectors.slack.token",
    ]);
    for (const i of found) assert.ok(i.fix.length > 10);
  });

  it("sets Socket Mode's ping timeouts to tolerate a busy bridge, and takes others", () => {
    const o = parseSlackOptions({ botToken: BOT, appToken: APP });
    assert.equal(o.clientPingTimeoutSeconds, 15, "longer than @slack/socket-mode's 5 s");
    assert.equal(o.serverPingTimeoutSeconds, 60, "longer than @slack/socket-mode's 30 s");
    const set = parseSlackOptions({
      botToken: BOT,
      appToken: APP,
      clientPingTimeoutSeconds: 7.5,
      serverPingTimeoutSeconds: 120,
    });
    assert.equal(set.clientPingTimeoutSeconds, 7.5);
    assert.equal(set.serverPingTimeoutSeconds, 120);
  });

  it("names a ping timeout out of range or not a number, with its bounds", () => {
    const found = issues({
      botToken: BOT,
      appToken: APP,
      clientPingTimeoutSeconds: 1,
      serverPingTimeoutSeconds: "60",
    });
    assert.deepEqual(found.map((i) => i.path).sort(), [
      "connectors.slack.clientPingTimeoutSeconds",
      "connectors.slack.serverPingTimeoutSeconds",
    ]);
    const client = found.find((i) => i.path.endsWith("clientPingTimeoutSeconds"));
    const server = found.find((i) => i.path.endsWith("serverPingTimeoutSeconds"));
    assert.match(client?.fix ?? "", /from 5 to 600/);
    assert.match(server?.fix ?? "", /from 30 to 600/);
    assert.deepEqual(
      issues({ botToken: BOT, appToken: APP, serverPingTimeoutSeconds: 601 }).map((i) => i.path),
      ["connectors.slack.serverPingTimeoutSeconds"],
    );
  });
});
