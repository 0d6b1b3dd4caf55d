/** parley doctor for Slack against the fake: token, scopes, app token, and the bot's membership of each linked channel. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BridgeConfig, silentLogger } from "@parley/bridge";
import { type FakeSlack, startFakeSlack } from "@parley/testkit";
import { diagnose } from "../src/index.ts";

describe("parley doctor for Slack", () => {
  let fake: FakeSlack;
  before(async () => {
    fake = await startFakeSlack();
  });
  after(async () => {
    await fake?.stop();
  });

  const options = () => ({ botToken: fake.botToken, appToken: fake.appToken, apiUrl: fake.apiUrl });
  const context = (channels: string[]) => ({ logger: silentLogger, config: {} as BridgeConfig, channels });

  it("passes a working setup and fails a channel the bot is not in, with the fix", async () => {
    const member = fake.createChannel({ name: "general" });
    const outside = fake.createChannel({ name: "random", bot: false });
    const checks = await diagnose(options(), context([member.id, outside.id]));
    const by = (subject: string) => checks.find((c) => c.subject.includes(subject));
    assert.equal(by("bot token")?.status, "ok");
    assert.equal(by("scopes")?.status, "ok");
    assert.equal(by("app-level token")?.status, "ok");
    assert.equal(by(member.id)?.status, "ok");
    assert.equal(by(outside.id)?.status, "fail");
    assert.match(by(outside.id)?.fix ?? "", /\/invite/);
  });

  it("names the scopes the token lacks", async () => {
    fake.setScopes(["chat:write", "channels:read"]);
    const checks = await diagnose(options(), context([]));
    const scopes = checks.find((c) => c.subject.includes("scopes"));
    assert.equal(scopes?.status, "fail");
    assert.match(scopes?.finding ?? "", /chat:write\.customize/);
  });

  it("fails a revoked token, saying where to put a new one", async () => {
    fake.revokeToken();
    const [check] = await diagnose(options(), context([]));
    assert.equal(check?.status, "fail");
    assert.match(check?.finding ?? "", /token_revoked/);
    assert.match(check?.fix ?? "", /connectors\.slack\.botToken/);
  });
});
