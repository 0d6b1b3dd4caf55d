/**
 * The fake Discord's REST side through the real discord.js client: sending,
 * paging, webhooks, Discord's error answers, OpenAPI violations, content
 * limits, rate limits and permissions.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import {
  AttachmentBuilder,
  ChannelType,
  Client,
  DiscordAPIError,
  type ForumChannel,
  GatewayIntentBits,
  type Message,
  type NewsChannel,
  Partials,
  RESTJSONErrorCodes,
  Routes,
  type TextChannel,
  WebhookClient,
} from "discord.js";
import type { APIMessage } from "discord-api-types/v10";
import { type FakeDiscord, startFakeDiscord } from "../src/discord/index.ts";

async function connect(fake: FakeDiscord): Promise<Client> {
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.GuildMembers,
    ],
    partials: [Partials.Channel],
    rest: { api: fake.restUrl, cdn: fake.cdnUrl, retries: 0 },
  });
  const ready = once(client, "clientReady");
  await client.login(fake.token);
  await ready;
  return client;
}

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

describe("fake Discord REST through discord.js", () => {
  let fake: FakeDiscord;
  let client: Client;
  let guildId: string;
  let generalId: string;
  let aliceId: string;

  before(async () => {
    fake = await startFakeDiscord();
    guildId = fake.createGuild({ name: "Parley" }).id;
    generalId = fake.createChannel(guildId, { name: "general" }).id;
    aliceId = fake.addMember(guildId, { username: "alice" }).user.id;
    client = await connect(fake);
  });

  after(async () => {
    await client?.destroy();
    await fake?.stop();
  });

  it("channels.fetch and send (reply, file, embed, mention) show in messages() with no violation", async () => {
    const question = fake.post(generalId, aliceId, "anyone?");
    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const png = Buffer.from(await (await fetch(`${fake.cdnUrl}/embed/avatars/0.png`)).arrayBuffer());
    const sent = await channel.send({
      content: `yes <@${aliceId}>`,
      reply: { messageReference: question.id },
      files: [new AttachmentBuilder(png, { name: "pic.png", description: "a picture" })],
      embeds: [{ title: "card", description: "text" }],
    });
    const stored = fake.message(generalId, sent.id);
    assert.ok(stored);
    assert.equal(stored.content, `yes <@${aliceId}>`);
    assert.equal(stored.author.id, fake.bot.id);
    assert.equal(stored.message_reference?.message_id, question.id);
    assert.equal(stored.referenced_message?.id, question.id);
    assert.deepEqual(
      stored.mentions.map((u) => u.id),
      [aliceId],
    );
    assert.equal(stored.attachments[0]?.filename, "pic.png");
    assert.equal(stored.attachments[0]?.description, "a picture");
    assert.equal(stored.attachments[0]?.size, png.length);
    assert.deepEqual(
      new Uint8Array(await (await fetch(stored.attachments[0]?.url ?? "")).arrayBuffer()),
      new Uint8Array(png),
    );
    assert.equal(stored.embeds[0]?.title, "card");
    const multipart = fake.requests.find((r) => r.method === "POST" && r.route === "/channels/{channel_id}/messages");
    assert.equal(
      (multipart?.body as { content?: string } | undefined)?.content,
      `yes <@${aliceId}>`,
      "the log holds payload_json",
    );

    const edited = await sent.edit("edited");
    assert.equal(edited.content, "edited");
    assert.equal(fake.message(generalId, sent.id)?.content, "edited");
    assert.ok(fake.message(generalId, sent.id)?.edited_timestamp);
    await sent.react("👍");
    assert.deepEqual(fake.reactionsOn(generalId, sent.id), [{ emoji: "👍", users: [fake.bot.id] }]);
    await channel.sendTyping();
    await sent.delete();
    assert.equal(fake.message(generalId, sent.id), undefined);
    assert.deepEqual(fake.violations, []);
  });

  it("GET messages answers newest first, and after=<id>&limit=N pages forward", async () => {
    const pageChannel = fake.createChannel(guildId, { name: "paging" }).id;
    const ids = Array.from({ length: 7 }, (_, i) => fake.post(pageChannel, aliceId, `m${i}`).id);
    const sorted = [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    assert.deepEqual(ids, sorted, "snowflakes increase");
    const firstPage = (await client.rest.get(Routes.channelMessages(pageChannel), {
      query: new URLSearchParams({ after: ids[1] ?? "", limit: "3" }),
    })) as APIMessage[];
    assert.deepEqual(
      firstPage.map((m) => m.content),
      ["m4", "m3", "m2"],
    );
    const latest = (await client.rest.get(Routes.channelMessages(pageChannel), {
      query: new URLSearchParams({ limit: "2" }),
    })) as APIMessage[];
    assert.deepEqual(
      latest.map((m) => m.content),
      ["m6", "m5"],
    );
    const channel = (await client.channels.fetch(pageChannel)) as TextChannel;
    const fetched = await channel.messages.fetch({ before: ids[2] ?? "" });
    assert.deepEqual(
      [...fetched.values()].map((m) => m.content),
      ["m1", "m0"],
    );
  });

  it("webhooks: create, send as someone else, edit and delete; the echo is a MESSAGE_CREATE with webhook_id", async () => {
    const echoes: Message[] = [];
    client.on("messageCreate", (m) => {
      if (m.webhookId) echoes.push(m);
    });
    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const hook = await channel.createWebhook({ name: "Parley relay" });
    assert.deepEqual(fake.webhooksOf(generalId), [{ id: hook.id, name: "Parley relay", token: hook.token ?? "" }]);
    const listed = await channel.fetchWebhooks();
    assert.deepEqual([...listed.keys()], [hook.id]);

    const sent = await hook.send({
      content: "hello from xmpp",
      username: "romeo (xmpp)",
      avatarURL: "https://example.org/romeo.png",
    });
    assert.equal(sent.webhookId, hook.id);
    assert.equal(sent.author.username, "romeo (xmpp)");
    const stored = fake.message(generalId, sent.id);
    assert.equal(stored?.webhook_id, hook.id);
    assert.equal(stored?.author.id, hook.id);
    assert.equal(stored?.author.bot, true);
    assert.equal(stored?.author.username, "romeo (xmpp)");
    const avatar = `${fake.cdnUrl}/avatars/${hook.id}/${stored?.author.avatar}.png`;
    assert.equal((await fetch(avatar)).status, 200, "the per-message avatar is served");
    const echo = await fake.waitFor(() => echoes.find((m) => m.id === sent.id), { what: "the webhook echo" });
    assert.equal(echo.webhookId, hook.id);

    await hook.editMessage(sent.id, { content: "hello again" });
    assert.equal(fake.message(generalId, sent.id)?.content, "hello again");
    await hook.deleteMessage(sent.id);
    assert.equal(fake.message(generalId, sent.id), undefined);

    const someoneElse = fake.post(generalId, aliceId, "not the hook's");
    const err = await apiError(hook.editMessage(someoneElse.id, { content: "hijack" }));
    assert.equal(err.code, RESTJSONErrorCodes.UnknownMessage);

    await hook.delete();
    assert.deepEqual(fake.webhooksOf(generalId), []);
    assert.deepEqual(fake.violations, []);
  });

  it("threads over REST: in a channel, from a message, in a forum, and webhooks posting into them", async () => {
    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const thread = await channel.threads.create({ name: "from the bot", type: ChannelType.PublicThread });
    assert.equal(fake.messages(generalId).at(-1)?.type, 18, "the parent gets a THREAD_CREATED message");
    await thread.send("inside");
    assert.deepEqual(
      fake.messages(thread.id).map((m) => m.content),
      ["inside"],
    );

    const starter = await channel.send("start here");
    const fromMessage = await starter.startThread({ name: "from a message" });
    assert.equal(fromMessage.id, starter.id);
    assert.equal(fromMessage.type, ChannelType.PublicThread);
    const again = await apiError(client.rest.post(Routes.threads(generalId, starter.id), { body: { name: "again" } }));
    assert.equal(again.code, 160004, "a message starts one thread");
    const inThread = await thread.send("a message in a thread");
    const nested = await apiError(client.rest.post(Routes.threads(thread.id, inThread.id), { body: { name: "x" } }));
    assert.equal(nested.code, RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType);

    const hook = await channel.createWebhook({ name: "relay" });
    const viaHook = await hook.send({
      content: "from xmpp, in the thread",
      username: "juliet (xmpp)",
      threadId: thread.id,
      files: [new AttachmentBuilder(Buffer.from("hello"), { name: "hello.txt" })],
    });
    const stored = fake.message(thread.id, viaHook.id);
    assert.equal(stored?.webhook_id, hook.id);
    assert.equal(stored?.attachments[0]?.filename, "hello.txt");
    await hook.editMessage(viaHook.id, { content: "edited in the thread", threadId: thread.id });
    assert.equal(fake.message(thread.id, viaHook.id)?.content, "edited in the thread");

    const forumId = fake.createChannel(guildId, { name: "forum", type: "forum" }).id;
    const forum = (await client.channels.fetch(forumId)) as ForumChannel;
    const post = await forum.threads.create({ name: "a post", message: { content: "first words" } });
    assert.deepEqual(
      fake.messages(post.id).map((m) => [m.id, m.content]),
      [[post.id, "first words"]],
    );
    const forumHook = await forum.createWebhook({ name: "forum relay" });
    const hookPost = await forumHook.send({ content: "posted by a webhook", threadName: "webhook post" });
    assert.equal(fake.message(hookPost.channelId, hookPost.id)?.content, "posted by a webhook");
    assert.notEqual(hookPost.channelId, forumId, "the message is in the new post, not the forum");
    assert.deepEqual(fake.violations, []);
  });

  it("the read and housekeeping calls a bridge makes answer without 404s or violations", async () => {
    const first = fake.requests.length;
    const guild = await client.guilds.fetch(guildId);
    assert.equal((await guild.fetch()).approximateMemberCount, 2);
    assert.ok((await guild.channels.fetch()).has(generalId));
    assert.equal((await guild.members.fetch(aliceId)).user.username, "alice");
    assert.equal((await client.users.fetch(aliceId, { force: true })).username, "alice");
    assert.ok((await guild.roles.fetch()).has(guildId), "@everyone has the guild's id");
    const emoji = fake.createEmoji(guildId, { name: "parley" });
    assert.ok((await guild.emojis.fetch()).has(emoji.id ?? ""));
    assert.equal((await client.application?.fetch())?.id, fake.applicationId);

    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const posted = fake.post(generalId, aliceId, "fetch me");
    fake.react(generalId, posted.id, aliceId, "🎉", "add");
    const fetched = await channel.messages.fetch(posted.id);
    assert.equal(fetched.content, "fetch me");
    const reactors = await fetched.reactions.resolve("🎉")?.users.fetch();
    assert.deepEqual([...(reactors?.keys() ?? [])], [aliceId]);

    const thread = await channel.threads.create({ name: "housekeeping", type: ChannelType.PublicThread });
    await thread.join();
    assert.ok((await guild.channels.fetchActiveThreads()).threads.has(thread.id));
    assert.equal((await channel.threads.fetchArchived()).threads.size, 0);

    const hook = await channel.createWebhook({ name: "relay" });
    await hook.edit({ name: "renamed relay" });
    assert.equal(fake.webhooksOf(generalId).find((w) => w.id === hook.id)?.name, "renamed relay");
    const byToken = await client.fetchWebhook(hook.id, hook.token ?? "");
    assert.equal(byToken.name, "renamed relay");
    const standalone = new WebhookClient({ id: hook.id, token: hook.token ?? "" }, { rest: { api: fake.restUrl } });
    const viaClient = await standalone.send({ content: "from a WebhookClient", username: "bot-less" });
    assert.equal(fake.message(generalId, viaClient.id)?.author.username, "bot-less");
    standalone.destroy();

    assert.deepEqual(
      fake.requests.slice(first).filter((r) => r.status >= 400),
      [],
    );
    assert.deepEqual(fake.violations, []);
  });

  it("errors are Discord's: unknown route, channel, message, webhook, emoji, bad webhook token", async () => {
    const unknownRoute = await fetch(`${fake.restUrl}/v10/nothing/here`, {
      headers: { authorization: `Bot ${fake.token}` },
    });
    assert.equal(unknownRoute.status, 404);
    assert.deepEqual(await unknownRoute.json(), { code: 0, message: "404: Not Found" });

    const channelErr = await apiError(client.rest.get(Routes.channel("123456789012345678")));
    assert.equal(channelErr.status, 404);
    assert.equal(channelErr.code, RESTJSONErrorCodes.UnknownChannel);
    assert.equal(channelErr.message, "Unknown Channel");

    const messageErr = await apiError(client.rest.get(Routes.channelMessage(generalId, "123456789012345678")));
    assert.equal(messageErr.code, RESTJSONErrorCodes.UnknownMessage);

    const hookErr = await apiError(client.rest.get(Routes.webhook("123456789012345678")));
    assert.equal(hookErr.code, RESTJSONErrorCodes.UnknownWebhook);

    const m = fake.post(generalId, aliceId, "react to me");
    const emojiErr = await apiError(client.rest.put(Routes.channelMessageOwnReaction(generalId, m.id, "nope:123")));
    assert.equal(emojiErr.code, RESTJSONErrorCodes.UnknownEmoji);

    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const hook = await channel.createWebhook({ name: "relay" });
    const tokenErr = await apiError(
      client.rest.post(Routes.webhook(hook.id, "wrong-token"), { body: { content: "x" }, auth: false }),
    );
    assert.equal(tokenErr.code, RESTJSONErrorCodes.InvalidWebhookToken);

    const noAuth = await fetch(`${fake.restUrl}/v10/users/@me`);
    assert.equal(noAuth.status, 401);
    assert.deepEqual(await noAuth.json(), { code: 0, message: "401: Unauthorized" });
    assert.deepEqual(fake.violations, []);
  });

  it("a request the OpenAPI description rejects gets 400 50035 and is recorded as a violation", async () => {
    const err = await apiError(
      client.rest.post(Routes.channelMessages(generalId), {
        body: { content: 42, embeds: "not a list", message_reference: { message_id: "abc" } },
      }),
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, 50035);
    assert.match(err.message, /Invalid Form Body/);
    const raw = err.rawError as { errors?: Record<string, unknown> };
    assert.ok(raw.errors?.content, "content is named");
    assert.ok(raw.errors?.embeds, "embeds is named");
    assert.ok(raw.errors?.message_reference, "message_reference.message_id is named");
    const v = fake.violations.at(-1) ?? "";
    assert.match(v, /^POST \/channels\/\{channel_id\}\/messages: /);
    assert.match(v, /\/content must be string/);

    const before = fake.violations.length;
    const queryErr = await apiError(
      client.rest.get(Routes.channelMessages(generalId), { query: new URLSearchParams({ limit: "500" }) }),
    );
    assert.equal(queryErr.code, 50035);
    assert.equal(fake.violations.length, before + 1);
    assert.match(fake.violations.at(-1) ?? "", /query \/limit must be <= 100/);

    const pathErr = await apiError(client.rest.get("/channels/not-a-snowflake/messages"));
    assert.equal(pathErr.code, 50035);
    assert.match(pathErr.message, /is not snowflake/);
    assert.equal(
      fake.messages(generalId).some((m) => m.content === "42"),
      false,
      "nothing was posted",
    );
  });

  it("Discord's own limits: 2000 characters, 10 files, 10 MiB per file, no empty message, no 'discord' in webhook names", async () => {
    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const count = fake.messages(generalId).length;
    const violationsBefore = fake.violations.length;
    const long = await apiError(channel.send("x".repeat(2001)));
    assert.equal(long.code, 50035);
    assert.match(long.message, /content\[BASE_TYPE_MAX_LENGTH\]: Must be 2000 or fewer in length/);
    await channel.send("x".repeat(2000));

    const files = Array.from(
      { length: 11 },
      (_, i) => new AttachmentBuilder(Buffer.from(`f${i}`), { name: `f${i}.txt` }),
    );
    assert.equal((await apiError(channel.send({ files }))).code, 50035);

    const big = new AttachmentBuilder(Buffer.alloc(10 * 1024 * 1024 + 1), { name: "big.bin" });
    const tooLarge = await apiError(channel.send({ files: [big] }));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.code, 40005);

    const empty = await apiError(client.rest.post(Routes.channelMessages(generalId), { body: { content: "" } }));
    assert.equal(empty.code, RESTJSONErrorCodes.CannotSendAnEmptyMessage);

    const hook = await channel.createWebhook({ name: "relay" });
    const named = await apiError(hook.send({ content: "hi", username: "Discord fan" }));
    assert.equal(named.code, 50035);
    assert.match(named.message, /Username cannot contain "discord"/);

    assert.equal(fake.messages(generalId).length, count + 1, "only the 2000-character message was posted");
    const added = fake.violations.slice(violationsBefore);
    assert.equal(added.length, 5, added.join("\n"));
    assert.match(added[1] ?? "", /\/attachments must NOT have more than 10 items/);
  });

  it("a forced 429 is honoured by discord.js: it waits Retry-After and the send succeeds", async () => {
    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const limited: Array<{ route: string }> = [];
    client.rest.on("rateLimited", (info) => limited.push(info));
    fake.rateLimitNext({ method: "POST", pathIncludes: `/channels/${generalId}/messages`, retryAfterMs: 300 });
    const start = fake.requests.length;
    const sent = await channel.send("after the wait");
    const seen = fake.requests.slice(start).map((r) => r.status);
    assert.deepEqual(seen, [429, 200]);
    assert.ok(
      limited.some((l) => l.route === "/channels/:id/messages"),
      "discord.js took the headers as a rate limit on that route",
    );
    assert.equal(fake.message(generalId, sent.id)?.content, "after the wait");

    const res = await fetch(`${fake.restUrl}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    for (const h of ["limit", "remaining", "reset", "reset-after", "bucket"]) {
      assert.ok(res.headers.get(`x-ratelimit-${h}`), `X-RateLimit-${h} is present`);
    }
    fake.rateLimitNext({ pathIncludes: "/users/@me", retryAfterMs: 1500, global: true });
    const raw = await fetch(`${fake.restUrl}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get("retry-after"), "2");
    assert.equal(raw.headers.get("x-ratelimit-global"), "true");
    assert.equal(raw.headers.get("x-ratelimit-scope"), "global");
    assert.deepEqual(await raw.json(), { message: "You are being rate limited.", retry_after: 1.5, global: true });
  });

  it("failNext answers 5xx as Discord does; afterProcessing keeps what the request did", async () => {
    const channel = (await client.channels.fetch(generalId)) as TextChannel;
    const violationsBefore = fake.violations.length;
    // This client retries nothing (retries: 0): the failure reaches the caller, and nothing was posted.
    fake.failNext({ method: "POST", pathIncludes: `/channels/${generalId}/messages`, count: 2, status: 502 });
    const start = fake.requests.length;
    for (let i = 0; i < 2; i++) {
      const failed = await channel.send("through the outage").then(
        () => assert.fail("the send went through an outage"),
        (e: unknown) => e as { status?: number },
      );
      assert.equal(failed.status, 502);
    }
    const sent = await channel.send("through the outage");
    assert.deepEqual(
      fake.requests.slice(start).map((r) => r.status),
      [502, 502, 200],
    );
    assert.equal(fake.messages(generalId).filter((m) => m.content === "through the outage").length, 1);
    assert.equal(fake.message(generalId, sent.id)?.content, "through the outage");

    const raw = await fetch(`${fake.restUrl}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    assert.equal(raw.status, 200, "a rule that is used up fails nothing more");
    fake.failNext({ pathIncludes: "/users/@me" });
    assert.equal(fake.pendingFailures, 1);
    const failed = await fetch(`${fake.restUrl}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    assert.equal(failed.status, 500);
    assert.equal(fake.pendingFailures, 0);
    assert.deepEqual(await failed.json(), { message: "500: Internal Server Error", code: 0 });

    // The request did its work, yet its answer is a 500: posting again duplicates the message.
    const before = fake.messages(generalId).length;
    fake.failNext({ method: "POST", pathIncludes: `/channels/${generalId}/messages`, afterProcessing: true });
    const posted = await fetch(`${fake.restUrl}/v10/channels/${generalId}/messages`, {
      method: "POST",
      headers: { authorization: `Bot ${fake.token}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "done, answered 500" }),
    });
    assert.equal(posted.status, 500);
    assert.equal(fake.messages(generalId).length, before + 1);
    assert.equal(fake.messages(generalId).at(-1)?.content, "done, answered 500");
    assert.deepEqual(fake.violations.slice(violationsBefore), [], "5xx answers are not spec violations");
    assert.throws(() => fake.failNext({ count: 0 }), /count must be a positive integer/);
  });

  it("denyPermission makes the routes that need it answer 403 50013", async () => {
    const locked = fake.createChannel(guildId, { name: "locked" }).id;
    const theirs = fake.post(locked, aliceId, "someone else's");
    const channel = (await client.channels.fetch(locked)) as TextChannel;
    const mine = await channel.send("mine");
    fake.denyPermission(locked, "SendMessages");
    fake.denyPermission(locked, "ManageWebhooks");
    fake.denyPermission(locked, "ManageMessages");
    fake.denyPermission(locked, "AddReactions");
    fake.denyPermission(locked, "CreatePublicThreads");
    await fake.waitFor(() => channel.permissionsFor(fake.bot.id)?.has("SendMessages") === false, {
      what: "CHANNEL_UPDATE with the overwrite",
    });
    for (const call of [
      () => channel.send("x"),
      () => channel.createWebhook({ name: "relay" }),
      () => channel.fetchWebhooks(),
      () => client.rest.delete(Routes.channelMessage(locked, theirs.id)),
      () => client.rest.put(Routes.channelMessageOwnReaction(locked, theirs.id, encodeURIComponent("🎉"))),
      () => client.rest.post(Routes.threads(locked, theirs.id), { body: { name: "a thread" } }),
    ]) {
      const err = await apiError(call());
      assert.equal(err.status, 403);
      assert.equal(err.code, RESTJSONErrorCodes.MissingPermissions);
      assert.equal(err.message, "Missing Permissions");
    }
    await mine.delete();
    assert.equal(fake.message(locked, mine.id), undefined, "the bot may still delete its own message");
    assert.ok(fake.message(locked, theirs.id));

    const announcements = fake.createChannel(guildId, { name: "news", type: "announcement" }).id;
    const news = (await client.channels.fetch(announcements)) as NewsChannel;
    fake.denyPermission(announcements, "ViewChannel");
    const hidden = await apiError(news.send("x"));
    assert.equal(hidden.status, 403);
    assert.equal(hidden.code, RESTJSONErrorCodes.MissingAccess);
  });
});
