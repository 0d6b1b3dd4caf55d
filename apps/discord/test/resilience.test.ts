/**
 * What goes wrong with Discord: a dropped gateway connection (resumed, and
 * nothing lost or doubled), the bridge being down (caught up on restart with
 * the original times), a fresh session, rate limits, a missing permission, a
 * bad or revoked token, and hostile content. The bridge says what to fix and
 * keeps relaying everything else.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { ConnectorHost, Logger } from "@parley/bridge";
import { ConfigError } from "@parley/bridge";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { DiscordConnector } from "../src/index.ts";
import {
  assertNoViolations,
  collectInRoom,
  type DiscordHarness,
  inRoom,
  nothingMoreInRoom,
  postAndSee,
  startHarness,
} from "./harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("resilience", () => {
  let h: DiscordHarness;
  before(async () => {
    h = await startHarness();
    await postAndSee(h, h.bob, h.general, h.room, "warming up");
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("resumes after a dropped gateway connection, losing and doubling nothing", async () => {
    const sessions = h.fake.gatewaySessions;
    const resumes = h.fake.resumes;
    h.fake.dropConnection();
    for (let i = 1; i <= 5; i++) h.fake.post(h.general.id, h.bob.id, `resume ${i}`);
    const got = await collectInRoom(h, h.room, h.bob.nick, "resume ", 5);
    assert.deepEqual(
      got.map((m) => m.body),
      [1, 2, 3, 4, 5].map((i) => `resume ${i}`),
    );
    await nothingMoreInRoom(h, h.room, "resume ");
    assert.ok(h.fake.resumes > resumes, "discord.js resumed the session");
    assert.equal(h.fake.gatewaySessions, sessions, "no new IDENTIFY");
  });

  it("catches up on a fresh session (the session could not be resumed)", async () => {
    const sessions = h.fake.gatewaySessions;
    h.fake.invalidateSession(false);
    // discord.js waits a moment before identifying again: these go to no session and only catch-up finds them.
    for (let i = 1; i <= 3; i++) h.fake.post(h.general.id, h.bob.id, `fresh ${i}`);
    const got = await collectInRoom(h, h.room, h.bob.nick, "fresh ", 3);
    assert.deepEqual(
      got.map((m) => m.body),
      ["fresh 1", "fresh 2", "fresh 3"],
    );
    assert.ok(h.fake.gatewaySessions > sessions, "a new IDENTIFY");
    await nothingMoreInRoom(h, h.room, "fresh ");
  });

  it("catches up after a restart: messages posted meanwhile arrive once, in order, with their original time", async () => {
    await h.stopBridge();
    const posted = [1, 2, 3].map((i) => h.fake.post(h.general.id, h.bob.id, `while down ${i}`));
    // Older than the engine's 5 s threshold, so the delay stamp is due.
    await sleep(5500);
    const seen = collectInRoom(h, h.room, h.bob.nick, "while down ", 3);
    await h.startBridge();
    const got = await seen;
    assert.deepEqual(
      got.map((m) => m.body),
      ["while down 1", "while down 2", "while down 3"],
    );
    for (const [i, m] of got.entries()) {
      assert.equal(m.delay?.stamp?.getTime(), Date.parse(posted[i]?.timestamp ?? ""), "XEP-0203 delay");
    }
    await nothingMoreInRoom(h, h.room, "while down ");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (m) => m.body === "warming up"),
        { timeoutMs: 100 },
      ),
      "an old message was relayed again",
    );
  });

  it("catches up edits made while the bridge was away to messages it relayed before, once", async () => {
    const { posted, seen } = await postAndSee(h, h.bob, h.general, h.room, "to be edited while down");
    await h.stopBridge();
    h.fake.edit(h.general.id, posted.id, "edited while down");
    const corrected = h.alice.waitFor(
      inRoom(h.room, h.bob.nick, (m) => m.replace !== undefined && m.body === "edited while down"),
      { timeoutMs: 15_000, description: "the correction of a message edited while the bridge was down" },
    );
    await h.startBridge();
    const correction = (await corrected).stanza as Message;
    assert.equal(correction.replace?.id, seen.originId ?? seen.id, "it corrects the message relayed before");
    // A second restart finds the same edit again, and does not send it twice.
    await h.stopBridge();
    await h.startBridge();
    await nothingMoreInRoom(h, h.room, "edited while down");
  });

  it("catches up deletions made while the bridge was away to messages it relayed before, once", async () => {
    const { posted, seen } = await postAndSee(h, h.bob, h.general, h.room, "to be deleted while down");
    await postAndSee(h, h.bob, h.general, h.room, "kept while down");
    await h.stopBridge();
    h.fake.remove(h.general.id, posted.id);
    const retracted = h.alice.waitFor(
      inRoom(h.room, h.bob.nick, (m) => m.retract !== undefined),
      { timeoutMs: 15_000, description: "the retraction of a message deleted while the bridge was down" },
    );
    await h.startBridge();
    const retraction = (await retracted).stanza as Message;
    assert.equal(retraction.retract?.id, stanzaIdBy(seen, h.room), "it retracts the message deleted on Discord");
    // A second restart retracts nothing again, and never the message that is still there.
    await h.stopBridge();
    await h.startBridge();
    await postAndSee(h, h.bob, h.general, h.room, "sentinel after the deletions");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, h.bob.nick, (m) => m.retract !== undefined),
        { timeoutMs: 300 },
      ),
      "a second retraction, or one of the message still there",
    );
  });

  it("reuses its channel webhook across restarts", async () => {
    const post = async (body: string) => {
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("w"), body }));
      await h.fake.waitFor(() => h.fake.messages(h.general.id).find((m) => m.content === body), { what: body });
    };
    await post("before the restart");
    assert.equal(h.fake.webhooksOf(h.general.id).length, 1);
    await h.stopBridge();
    await h.startBridge();
    await post("after the restart");
    assert.equal(h.fake.webhooksOf(h.general.id).length, 1, "no second webhook");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (m) => m.body === "after the restart" && !m.from?.endsWith("/alice")),
        {
          timeoutMs: 300,
        },
      ),
      "the webhook's own message came back as an echo",
    );
  });

  it("honors a 429 and delivers once", async () => {
    h.fake.rateLimitNext({ method: "POST", pathIncludes: "/webhooks/", retryAfterMs: 400 });
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("l"), body: "rate limited" }));
    await h.fake.waitFor(() => h.fake.messages(h.general.id).find((m) => m.content === "rate limited"), {
      what: "the message after the 429",
    });
    assert.ok(
      h.fake.requests.some((r) => r.status === 429),
      "Discord answered 429 once",
    );
    assert.equal(h.fake.messages(h.general.id).filter((m) => m.content === "rate limited").length, 1);
  });

  it("without Manage Webhooks: tells the admins what to grant, and keeps relaying elsewhere", async () => {
    h.fake.denyPermission(h.random.id, "ManageWebhooks");
    const notice = h.alice.waitFor(
      isMessage((m) => m.type === "chat" && m.from === h.domain),
      { timeoutMs: 15_000 },
    );
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room2, id: stanzaId("p"), body: "in random" }));
    const text = ((await notice).stanza as Message).body ?? "";
    assert.match(text, /Manage Webhooks/);
    assert.match(text, /#random/);
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room2, id: stanzaId("p"), body: "in random again" }));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("p"), body: "general still works" }));
    await h.fake.waitFor(() => h.fake.messages(h.general.id).find((m) => m.content === "general still works"), {
      what: "the message in the other channel",
    });
    await postAndSee(h, h.bob, h.random, h.room2, "random still reaches XMPP");
    await assert.rejects(
      h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.from === h.domain),
        { timeoutMs: 500 },
      ),
      "one notice per channel and permission, not one per message",
    );
    assert.equal(h.fake.messages(h.random.id).filter((m) => m.content.startsWith("in random")).length, 0);
  });

  it("never crashes on hostile content", async () => {
    const hostile = [
      "x".repeat(100_000),
      "<@ <@& <# <@!> <@&> <#> <:> <a:x:> <t:abc> <:ghost:999999999999999999> @everyone",
      "```\nunclosed code",
      "||||||||**__~~`",
      "\u0000\u0001\u200b\u202e reversed \ud83d",
      `${"> ".repeat(500)}deep`,
      `${"- ".repeat(500)}deep list`,
      "[masked](javascript:alert(1)) [x](<https://ok.example>)",
    ];
    for (const content of hostile) h.fake.post(h.general.id, h.bob.id, content);
    h.fake.post(h.general.id, h.bob.id, "", { embeds: [{ title: "", description: "\u0000".repeat(10) }] });
    await postAndSee(h, h.bob, h.general, h.room, "still alive");
    assert.ok(h.bridge, "the bridge runs");
  });

  it("tells the admins when the token is revoked while running", async () => {
    const notice = h.alice.waitFor(
      isMessage((m) => m.type === "chat" && m.from === h.domain && /token/.test(m.body ?? "")),
      { timeoutMs: 15_000 },
    );
    h.fake.revokeToken();
    h.fake.dropConnection();
    const text = ((await notice).stanza as Message).body ?? "";
    assert.match(text, /connectors\.discord\.token/);
    assert.ok(!text.includes(h.fake.token));
  });
});

describe("an invalid token", () => {
  it("makes start reject with an error naming connectors.discord.token, never the token", async () => {
    const { startFakeDiscord } = await import("@parley/testkit");
    const fake = await startFakeDiscord();
    const token = "MTAwMDAwMDAwMDAwMDAwMDAw.bogus.not-the-right-token";
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (m, f) => void warnings.push(`${m} ${JSON.stringify(f)}`),
      error: (m, f) => void warnings.push(`${m} ${JSON.stringify(f)}`),
      child: () => logger,
    };
    const host = {
      network: "discord",
      logger,
      state: { get: async () => undefined, set: async () => undefined },
      linkedChannels: () => [],
      roomsOf: () => [],
      connected: () => undefined,
      notifyAdmins: async () => undefined,
    } as unknown as ConnectorHost;
    const connector = new DiscordConnector(
      {
        token,
        apiUrl: fake.restUrl,
        cdnUrl: fake.cdnUrl,
        webhookName: "Parley",
        catchUpLimit: 5,
        catchUpMaxAgeHours: 24,
        rehostAttachments: true,
      },
      { logger },
    );
    try {
      const e = await connector.start(host).then(
        () => assert.fail("start resolved with a bad token"),
        (x: unknown) => x,
      );
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /connectors\.discord\.token/);
      assert.ok(!e.message.includes(token));
      assert.ok(!warnings.join("\n").includes(token));
      assert.deepEqual(fake.violations, []);
    } finally {
      await connector.stop();
      await fake.stop();
    }
  });
});
