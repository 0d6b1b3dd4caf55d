import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { argCheck } from "../src/slack/arg-check.ts";
import { startFakeSlack } from "../src/slack/fake-slack.ts";
import { compareTs } from "../src/slack/ids.ts";
import { SLACK_TIERS, SlackRateLimiter } from "../src/slack/rate-limits.ts";
import { richTextBlock } from "../src/slack/rich-text.ts";

describe("fake Slack: argument checks against the vendored description", () => {
  const check = argCheck();

  it("types form values as the description declares, keeping timestamps as the strings they came as", () => {
    const r = check.check("conversations.history", {
      channel: "C1",
      limit: "15",
      inclusive: "1",
      latest: "1700000000.000100",
    });
    assert.equal(r.ok, true);
    assert.ok(r.ok);
    assert.deepEqual(r.args, { channel: "C1", limit: 15, inclusive: true, latest: "1700000000.000100" });
    assert.deepEqual(r.unknown, []);
  });

  it("names a missing required argument and an ill-typed one", () => {
    const missing = check.check("reactions.add", { channel: "C1", timestamp: "1.2" });
    assert.equal(missing.ok, false);
    assert.ok(!missing.ok && missing.kind === "invalid");
    assert.deepEqual(missing.missing, ["name"]);
    const typed = check.check("conversations.list", { limit: "lots" });
    assert.ok(!typed.ok && typed.kind === "invalid");
    assert.match(typed.messages.join(), /limit/);
  });

  it("knows the methods added since 2021 from Slack's reference, and takes team_id everywhere", () => {
    assert.equal(check.knows("apps.connections.open"), true);
    const r = check.check("files.getUploadURLExternal", { filename: "a.txt", length: "3", team_id: "T1" });
    assert.ok(r.ok);
    assert.equal(r.args.length, 3);
    assert.deepEqual(check.check("files.completeUploadExternal", {}).ok, false);
    assert.equal(check.check("chat.nonexistent", {}).ok, false);
  });

  it("takes a JSON-encoded argument given as JSON, and reports arguments the method does not take", () => {
    const r = check.check("chat.postMessage", { channel: "C1", blocks: [{ type: "divider" }], colour: "red" });
    assert.ok(r.ok);
    assert.equal(r.args.blocks, '[{"type":"divider"}]');
    assert.deepEqual(r.unknown, ["colour"]);
  });
});

describe("fake Slack: rate limits", () => {
  it("a Tier 2 method allows its burst of 20, then asks to wait for the next call's share of a minute", () => {
    const limiter = new SlackRateLimiter(undefined);
    const verdicts = Array.from({ length: 21 }, () => limiter.take("users.list", undefined));
    assert.deepEqual(verdicts.slice(0, 20), Array(20).fill(undefined));
    const wait = verdicts[20];
    assert.ok(wait !== undefined && wait >= 1 && wait <= 3, String(wait));
  });

  it("chat.postMessage is counted per channel", () => {
    const limiter = new SlackRateLimiter(undefined);
    const burst = SLACK_TIERS.postMessage.burst;
    for (let i = 0; i < burst; i++) assert.equal(limiter.take("chat.postMessage", "C1"), undefined);
    assert.notEqual(limiter.take("chat.postMessage", "C1"), undefined);
    assert.equal(limiter.take("chat.postMessage", "C2"), undefined);
  });

  it("`false` turns counting off and per-method figures can be replaced", () => {
    const off = new SlackRateLimiter(false);
    for (let i = 0; i < 50; i++) assert.equal(off.take("apps.connections.open", undefined), undefined);
    const strict = new SlackRateLimiter({ methods: { "conversations.history": { perMinute: 1, burst: 1 } } });
    assert.equal(strict.take("conversations.history", undefined), undefined);
    assert.notEqual(strict.take("conversations.history", undefined), undefined);
  });
});

describe("fake Slack: message helpers", () => {
  it("orders timestamps numerically", () => {
    assert.equal(compareTs("1700000000.000100", "1700000000.000099"), 1);
    assert.equal(compareTs("999999999.999999", "1000000000.000000"), -1);
    assert.equal(compareTs("1.5", "1.500000"), 0);
  });

  it("makes the rich_text block a Slack client would: mentions, links, emoji, escapes undone", () => {
    const b = richTextBlock("a &lt;b&gt; <@U1> <#C2|general> <!subteam^S3> <!here> <https://x.org|x> :wave:", "b1");
    const section = (b.elements as Array<{ elements: unknown[] }>)[0];
    assert.deepEqual(section?.elements, [
      { type: "text", text: "a <b> " },
      { type: "user", user_id: "U1" },
      { type: "text", text: " " },
      { type: "channel", channel_id: "C2" },
      { type: "text", text: " " },
      { type: "usergroup", usergroup_id: "S3" },
      { type: "text", text: " " },
      { type: "broadcast", range: "here" },
      { type: "text", text: " " },
      { type: "link", url: "https://x.org", text: "x" },
      { type: "text", text: " " },
      { type: "emoji", name: "wave" },
    ]);
  });
});

describe("fake Slack: event subscriptions", () => {
  it("sends only the subscribed events, message events by Slack's subscription names", async () => {
    const fake = await startFakeSlack({ events: ["message.channels", "member_joined_channel"] });
    try {
      const sent: string[] = [];
      fake.on("event", (p) => {
        const e = p.event as { type: string; channel_type?: string };
        sent.push(`${e.type}/${e.channel_type}`);
      });
      const alice = fake.createUser({ name: "alice" }).id;
      const c = fake.createChannel({ name: "general" }).id;
      fake.joinChannel(c, alice);
      const m = fake.post(c, alice, "in the channel");
      fake.react(c, m.ts, alice, "eyes");
      fake.post(fake.openDm(alice).id, alice, "in a DM");
      assert.deepEqual(sent, ["member_joined_channel/C", "message/channel"]);
      assert.equal(fake.envelopes.length, 2);
    } finally {
      await fake.stop();
    }
  });
});
