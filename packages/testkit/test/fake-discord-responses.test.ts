/**
 * The fake Discord's answers are held to Discord's OpenAPI description: the
 * check itself (missing fields, wrong types, unlisted statuses, bodies on a
 * 204), its wiring into the REST pipeline, and a tour of every route the
 * fake implements through discord.js's REST client that must leave no
 * violation behind.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChannelType, DiscordAPIError, REST, RESTJSONErrorCodes, Routes } from "discord.js";
import type { APIChannel, APIMessage, APIWebhook } from "discord-api-types/v10";
import { DIRECTORY_ROUTES } from "../src/discord/directory-routes.ts";
import { type FakeDiscord, startFakeDiscord } from "../src/discord/index.ts";
import { MESSAGE_ROUTES } from "../src/discord/message-routes.ts";
import { describeResponseIssues, openApiCheck, specOverrides } from "../src/discord/openapi-check.ts";
import { WEBHOOK_ROUTES } from "../src/discord/webhook-routes.ts";

const MESSAGES = "/channels/{channel_id}/messages";
const MESSAGE = "/channels/{channel_id}/messages/{message_id}";

/** The DiscordAPIError a rejected call ends with. */
async function apiError(p: Promise<unknown>): Promise<DiscordAPIError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DiscordAPIError) return e;
    throw e;
  }
  assert.fail("the call was expected to fail");
}

/** What a test added to the violations, from the mark it took at its start. */
function violationsSince(fake: FakeDiscord, mark: number): string[] {
  return fake.violations.slice(mark);
}

function responseViolations(fake: FakeDiscord): string[] {
  return fake.violations.filter((v) => v.startsWith("response "));
}

describe("the response check against the OpenAPI description", () => {
  const check = openApiCheck();
  let fake: FakeDiscord;
  let message: APIMessage;

  before(async () => {
    fake = await startFakeDiscord();
    const guildId = fake.createGuild({ name: "Parley" }).id;
    const channelId = fake.createChannel(guildId, { name: "general" }).id;
    const alice = fake.addMember(guildId, { username: "alice" }).user.id;
    message = structuredClone(fake.post(channelId, alice, "a real message"));
  });

  after(async () => {
    await fake?.stop();
  });

  it("passes a message the fake built, and finds a missing required field in a copy of it", () => {
    assert.deepEqual(check.checkResponse("GET", MESSAGE, 200, message), []);
    const { channel_id: _dropped, ...withoutChannel } = message;
    assert.deepEqual(check.checkResponse("GET", MESSAGE, 200, withoutChannel), [
      { pointer: "/channel_id", detail: "is required" },
    ]);
    const { username: _name, ...anonymous } = message.author;
    assert.deepEqual(check.checkResponse("GET", "/users/{user_id}", 200, anonymous), [
      { pointer: "/username", detail: "is required" },
    ]);
  });

  it("finds a wrong type deep in a list and words it as the fake's fault", () => {
    const broken = { ...message, author: { ...message.author, id: 42 } };
    const issues = check.checkResponse("GET", MESSAGES, 200, [message, broken]);
    assert.deepEqual(
      issues.map((i) => i.pointer),
      ["/1/author/id"],
    );
    assert.equal(
      describeResponseIssues("GET", MESSAGES, 200, issues),
      "response GET /channels/{channel_id}/messages 200: /1/author/id must be string",
    );
    assert.notDeepEqual(check.checkResponse("GET", MESSAGE, 200, { ...message, pinned: "no" }), []);
    const page = Array.from({ length: 12 }, () => broken);
    const line = describeResponseIssues("GET", MESSAGES, 200, check.checkResponse("GET", MESSAGES, 200, page));
    assert.match(line, /: \/0\/author\/id must be string; .*\/9\/author\/id must be string; and 2 more$/);
  });

  it("a status the operation does not list is an issue; 4XX covers every client error", () => {
    const [unlisted] = check.checkResponse("GET", "/users/@me", 500, {
      code: 0,
      message: "500: Internal Server Error",
    });
    assert.match(unlisted?.detail ?? "", /^status 500 is not one the spec lists \(200, 429, 4XX\)$/);
    assert.equal(check.checkResponse("POST", MESSAGES, 201, message).length, 1, "sending a message answers 200");
    assert.deepEqual(check.checkResponse("GET", MESSAGE, 404, { code: 10008, message: "Unknown Message" }), []);
    assert.deepEqual(check.checkResponse("GET", MESSAGE, 403, { code: 50001, message: "Missing Access" }), []);
  });

  it("a 204 has no body, and an answer the spec gives a body to must have one", () => {
    assert.deepEqual(check.checkResponse("DELETE", MESSAGE, 204, undefined), []);
    assert.deepEqual(check.checkResponse("DELETE", MESSAGE, 204, {}), [
      { pointer: "", detail: "a 204 answer has no body in the spec" },
    ]);
    assert.deepEqual(check.checkResponse("GET", MESSAGE, 200, undefined), [
      { pointer: "", detail: "a 200 answer has a JSON body in the spec" },
    ]);
  });

  it("error bodies follow Discord's error schemas, with the two named departures from the spec", () => {
    assert.deepEqual(
      check.checkResponse("GET", MESSAGE, 404, { code: "10008", message: "Unknown Message" }).map((i) => i.pointer),
      ["/code"],
    );
    assert.deepEqual(
      check.checkResponse("GET", MESSAGE, 404, { message: "Unknown Message" }).map((i) => i.pointer),
      ["/code"],
    );
    const formErrors = {
      code: 50035,
      message: "Invalid Form Body",
      errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }] } },
    };
    assert.deepEqual(check.checkResponse("POST", MESSAGES, 400, formErrors), []);
    const badEntry = { ...formErrors, errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH" }] } } };
    assert.notDeepEqual(check.checkResponse("POST", MESSAGES, 400, badEntry), []);

    const limited = { message: "You are being rate limited.", retry_after: 0.5, global: false };
    assert.deepEqual(check.checkResponse("POST", MESSAGES, 429, limited), []);
    assert.deepEqual(
      check
        .checkResponse("POST", MESSAGES, 429, { message: "You are being rate limited.", global: false })
        .map((i) => i.pointer),
      ["/retry_after"],
    );
    assert.deepEqual([...specOverrides].sort(), ["field-error-codes-are-strings", "rate-limit-code-is-optional"]);
  });

  it("an operation the spec does not describe is not checked", () => {
    assert.deepEqual(check.checkResponse("GET", "/no/such/route", 200, { anything: true }), []);
  });
});

describe("the fake's answers are checked as it sends them", () => {
  let fake: FakeDiscord;
  let rest: REST;

  before(async () => {
    fake = await startFakeDiscord();
    rest = new REST({ api: fake.restUrl, cdn: fake.cdnUrl, retries: 0 }).setToken(fake.token);
  });

  after(async () => {
    await fake?.stop();
  });

  it("a shape Discord never sends becomes a violation that names the route, status and field", async () => {
    const bot = fake.bot as unknown as Record<string, unknown>;
    const before = bot.primary_guild;
    bot.primary_guild = "tag";
    try {
      await rest.get(Routes.user("@me"));
    } finally {
      bot.primary_guild = before;
    }
    assert.equal(responseViolations(fake).length, 1);
    assert.match(responseViolations(fake)[0] ?? "", /^response GET \/users\/@me 200: \/primary_guild /);
    await rest.get(Routes.user("@me"));
    assert.equal(responseViolations(fake).length, 1, "the restored object passes again");
  });
});

describe("a tour of every route of the fake through discord.js's REST client", () => {
  let fake: FakeDiscord;
  let rest: REST;
  let guildId: string;
  let generalId: string;
  let aliceId: string;

  before(async () => {
    fake = await startFakeDiscord();
    guildId = fake.createGuild({ name: "Parley" }).id;
    generalId = fake.createChannel(guildId, { name: "general" }).id;
    aliceId = fake.addMember(guildId, {
      username: "alice",
      globalName: "Alice",
      avatar: true,
    }).user.id;
    rest = new REST({ api: fake.restUrl, cdn: fake.cdnUrl, retries: 0 }).setToken(fake.token);
  });

  after(async () => {
    await fake?.stop();
  });

  it("directory routes: gateway, users, DMs, application, guild, channels, members, roles, emoji, threads", async () => {
    const mark = fake.violations.length;
    fake.createEmoji(guildId, { name: "parley" });
    fake.createRole(guildId, { name: "mods" });
    await rest.get(Routes.gateway());
    await rest.get(Routes.gatewayBot());
    await rest.get(Routes.user("@me"));
    await rest.get(Routes.user(aliceId));
    await rest.get(Routes.userGuilds());
    const dm = (await rest.post(Routes.userChannels(), { body: { recipient_id: aliceId } })) as APIChannel;
    await rest.post(Routes.channelMessages(dm.id), { body: { content: "hello in private" } });
    await rest.get(Routes.currentApplication());
    await rest.get(Routes.oauth2CurrentApplication());
    await rest.get(Routes.guild(guildId));
    await rest.get(Routes.guild(guildId), { query: new URLSearchParams({ with_counts: "true" }) });
    await rest.get(Routes.guildChannels(guildId));
    await rest.get(Routes.guildRoles(guildId));
    await rest.get(Routes.guildEmojis(guildId));
    await rest.get(Routes.guildMembers(guildId), { query: new URLSearchParams({ limit: "100" }) });
    await rest.get(Routes.guildMember(guildId, aliceId));
    await rest.get(Routes.channel(generalId));
    const thread = (await rest.post(Routes.threads(generalId), {
      body: { name: "a thread", type: ChannelType.PublicThread },
    })) as APIChannel;
    await rest.put(Routes.threadMembers(thread.id, "@me"));
    await rest.get(Routes.guildActiveThreads(guildId));
    await rest.get(Routes.channelThreads(generalId, "public"));
    await rest.get(Routes.channelThreads(generalId, "private"));
    await rest.delete(Routes.threadMembers(thread.id, "@me"));
    assert.deepEqual(violationsSince(fake, mark), []);
  });

  it("message routes: send (JSON, reply, file), read, page, edit, react, typing, threads, delete", async () => {
    const mark = fake.violations.length;
    const question = fake.post(generalId, aliceId, "anyone?", {
      embeds: [{ title: "an embed", description: "with words", url: "https://example.org/" }],
      attachments: [{ filename: "notes.txt", contentType: "text/plain" }],
    });
    const sent = (await rest.post(Routes.channelMessages(generalId), {
      body: {
        content: `yes <@${aliceId}>`,
        message_reference: { message_id: question.id },
        embeds: [{ title: "answer", description: "from the bot" }],
      },
      files: [{ name: "answer.txt", data: Buffer.from("yes") }],
    })) as APIMessage;
    await rest.get(Routes.channelMessage(generalId, sent.id));
    await rest.get(Routes.channelMessages(generalId), { query: new URLSearchParams({ limit: "10" }) });
    await rest.get(Routes.channelMessages(generalId), { query: new URLSearchParams({ after: question.id }) });
    await rest.patch(Routes.channelMessage(generalId, sent.id), { body: { content: "edited" } });

    const tada = encodeURIComponent("🎉");
    fake.react(generalId, question.id, aliceId, "🎉", "add");
    await rest.put(Routes.channelMessageOwnReaction(generalId, question.id, tada));
    await rest.get(Routes.channelMessageReaction(generalId, question.id, tada));
    await rest.delete(Routes.channelMessageOwnReaction(generalId, question.id, tada));
    await rest.delete(Routes.channelMessageUserReaction(generalId, question.id, tada, aliceId));
    await rest.put(Routes.channelMessageOwnReaction(generalId, question.id, tada));
    await rest.delete(Routes.channelMessageReaction(generalId, question.id, tada));
    await rest.put(Routes.channelMessageOwnReaction(generalId, question.id, tada));
    await rest.delete(Routes.channelMessageAllReactions(generalId, question.id));
    await rest.post(Routes.channelTyping(generalId));

    await rest.post(Routes.threads(generalId, sent.id), { body: { name: "from a message" } });
    const forumId = fake.createChannel(guildId, { name: "forum", type: "forum" }).id;
    await rest.post(Routes.threads(forumId), { body: { name: "a post", message: { content: "first words" } } });
    await rest.delete(Routes.channelMessage(generalId, sent.id));
    await rest.delete(Routes.channelMessage(generalId, question.id));
    assert.deepEqual(violationsSince(fake, mark), []);
  });

  it("webhook routes: create, list, read, change and delete by id and token, execute, and its messages", async () => {
    const mark = fake.violations.length;
    const hook = (await rest.post(Routes.channelWebhooks(generalId), { body: { name: "relay" } })) as APIWebhook;
    const token = hook.token ?? "";
    await rest.get(Routes.channelWebhooks(generalId));
    await rest.get(Routes.guildWebhooks(guildId));
    await rest.get(Routes.webhook(hook.id));
    await rest.patch(Routes.webhook(hook.id), { body: { name: "renamed relay" } });
    await rest.get(Routes.webhook(hook.id, token), { auth: false });
    await rest.patch(Routes.webhook(hook.id, token), { body: { name: "relay again" }, auth: false });

    await rest.post(Routes.webhook(hook.id, token), { body: { content: "no wait" }, auth: false });
    const posted = (await rest.post(Routes.webhook(hook.id, token), {
      body: { content: "from xmpp", username: "romeo (xmpp)", avatar_url: "https://example.org/romeo.png" },
      query: new URLSearchParams({ wait: "true" }),
      auth: false,
    })) as APIMessage;
    await rest.get(Routes.webhookMessage(hook.id, token, posted.id), { auth: false });
    await rest.patch(Routes.webhookMessage(hook.id, token, posted.id), { body: { content: "edited" }, auth: false });
    await rest.delete(Routes.webhookMessage(hook.id, token, posted.id), { auth: false });

    const thread = (await rest.post(Routes.threads(generalId), {
      body: { name: "hooked", type: ChannelType.PublicThread },
    })) as APIChannel;
    await rest.post(Routes.webhook(hook.id, token), {
      body: { content: "in the thread" },
      query: new URLSearchParams({ wait: "true", thread_id: thread.id }),
      files: [{ name: "hello.txt", data: Buffer.from("hello") }],
      auth: false,
    });
    const forumId = fake.createChannel(guildId, { name: "hooked forum", type: "forum" }).id;
    const forumHook = (await rest.post(Routes.channelWebhooks(forumId), {
      body: { name: "forum relay" },
    })) as APIWebhook;
    await rest.post(Routes.webhook(forumHook.id, forumHook.token ?? ""), {
      body: { content: "a post by a webhook", thread_name: "webhook post" },
      query: new URLSearchParams({ wait: "true" }),
      auth: false,
    });
    await rest.delete(Routes.webhook(forumHook.id, forumHook.token ?? ""), { auth: false });
    await rest.delete(Routes.webhook(hook.id));
    assert.deepEqual(violationsSince(fake, mark), []);
  });

  it("error answers: 404s, 403, 400 field errors, unknown emoji, bad webhook token, 401 and 429", async () => {
    const mark = fake.violations.length;
    const missing = "123456789012345678";
    assert.equal((await apiError(rest.get(Routes.channel(missing)))).code, RESTJSONErrorCodes.UnknownChannel);
    assert.equal(
      (await apiError(rest.get(Routes.channelMessage(generalId, missing)))).code,
      RESTJSONErrorCodes.UnknownMessage,
    );
    assert.equal((await apiError(rest.get(Routes.guild(missing)))).code, RESTJSONErrorCodes.UnknownGuild);
    assert.equal((await apiError(rest.get(Routes.user(missing)))).code, RESTJSONErrorCodes.UnknownUser);
    assert.equal((await apiError(rest.get(Routes.webhook(missing)))).code, RESTJSONErrorCodes.UnknownWebhook);
    const reply = await apiError(
      rest.post(Routes.channelMessages(generalId), {
        body: { content: "to nothing", message_reference: { message_id: missing } },
      }),
    );
    assert.equal(reply.code, RESTJSONErrorCodes.InvalidFormBodyOrContentType);
    const m = fake.post(generalId, aliceId, "react to me");
    const emoji = await apiError(rest.put(Routes.channelMessageOwnReaction(generalId, m.id, "nope:123")));
    assert.equal(emoji.code, RESTJSONErrorCodes.UnknownEmoji);
    const hook = (await rest.post(Routes.channelWebhooks(generalId), { body: { name: "relay" } })) as APIWebhook;
    const badToken = await apiError(
      rest.post(Routes.webhook(hook.id, "wrong-token"), { body: { content: "x" }, auth: false }),
    );
    assert.equal(badToken.code, RESTJSONErrorCodes.InvalidWebhookToken);

    const lockedId = fake.createChannel(guildId, { name: "locked" }).id;
    fake.denyPermission(lockedId, "SendMessages");
    const denied = await apiError(rest.post(Routes.channelMessages(lockedId), { body: { content: "let me in" } }));
    assert.equal(denied.code, RESTJSONErrorCodes.MissingPermissions);

    const noAuth = await fetch(`${fake.restUrl}/v10/users/@me`);
    assert.equal(noAuth.status, 401);
    fake.rateLimitNext({ pathIncludes: "/users/@me", retryAfterMs: 1, global: false });
    const limited = await fetch(`${fake.restUrl}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    assert.equal(limited.status, 429);
    assert.deepEqual(violationsSince(fake, mark), []);
  });

  it("the tour reached every route the fake implements", () => {
    const implemented = Object.keys({ ...DIRECTORY_ROUTES, ...MESSAGE_ROUTES, ...WEBHOOK_ROUTES }).sort();
    const answered = new Set(fake.requests.filter((r) => r.status < 400).map((r) => `${r.method} ${r.route}`));
    assert.deepEqual(
      implemented.filter((route) => !answered.has(route)),
      [],
    );
  });
});
