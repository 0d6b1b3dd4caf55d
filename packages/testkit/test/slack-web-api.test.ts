import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCode, LogLevel, type WebAPIPlatformError, WebClient, WebClientEvent } from "@slack/web-api";
import { type FakeSlack, startFakeSlack } from "../src/slack/index.ts";

/** The error code a rejected call carries. */
async function slackError(p: Promise<unknown>): Promise<{ code: string; data: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as WebAPIPlatformError;
    assert.equal(err.code, ErrorCode.PlatformError, String(e));
    return { code: String(err.data.error), data: err.data as unknown as Record<string, unknown> };
  }
  assert.fail("the call succeeded");
}

describe("fake Slack: Web API with the real WebClient", () => {
  let fake: FakeSlack;
  let web: WebClient;
  let alice: string;
  let channel: string;
  before(async () => {
    fake = await startFakeSlack();
    web = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR });
    alice = fake.createUser({
      name: "alice",
      realName: "Alice Liddell",
      displayName: "alice",
      statusText: "reading",
    }).id;
    channel = fake.createChannel({ name: "general", members: [alice] }).id;
  });
  after(async () => {
    await fake.stop();
  });

  it("auth.test, users.info, users.getPresence, conversations.info and members describe the workspace", async () => {
    const auth = await web.auth.test();
    assert.equal(auth.user_id, fake.botUser.id);
    assert.equal(auth.bot_id, fake.botId);
    assert.equal(auth.team_id, fake.teamId);
    const u = await web.users.info({ user: alice });
    assert.equal(u.user?.profile?.display_name, "alice");
    assert.equal(u.user?.profile?.status_text, "reading");
    assert.match(u.user?.profile?.image_72 ?? "", /^http:\/\/127\.0\.0\.1:\d+\/avatars\//);
    fake.setPresence(alice, "away");
    assert.equal((await web.users.getPresence({ user: alice })).presence, "away");
    const info = await web.conversations.info({ channel });
    assert.equal(info.channel?.name, "general");
    assert.equal(info.channel?.is_member, true);
    const members = await web.conversations.members({ channel });
    assert.deepEqual(new Set(members.members), new Set([alice, fake.botUser.id]));
    assert.equal((await slackError(web.users.info({ user: "U0NOSUCH" }))).code, "user_not_found");
  });

  it("chat.postMessage with username, icon_url, thread_ts and blocks, then chat.update and chat.delete, read back in order", async () => {
    const root = fake.post(channel, alice, "root");
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*hi*" } }];
    const posted = await web.chat.postMessage({
      channel,
      text: "hi",
      blocks,
      username: "romeo (XMPP)",
      icon_url: "https://example.org/romeo.png",
      thread_ts: root.ts,
      mrkdwn: true,
    });
    assert.ok(posted.ts);
    const ts = posted.ts;
    assert.equal(posted.message?.username, "romeo (XMPP)");
    await web.chat.update({ channel, ts, text: "hi, corrected" });
    const permalink = await web.chat.getPermalink({ channel, message_ts: ts });
    assert.match(permalink.permalink ?? "", /\/archives\/C[A-Z0-9]+\/p\d+\?thread_ts=/);
    await web.chat.delete({ channel, ts });
    const actions = fake.botActions(channel);
    assert.deepEqual(
      actions.map((a) => a.kind),
      ["post", "update", "delete"],
    );
    const [post] = actions;
    assert.equal(post?.username, "romeo (XMPP)");
    assert.equal(post?.icon_url, "https://example.org/romeo.png");
    assert.equal(post?.thread_ts, root.ts);
    assert.deepEqual(post?.blocks, blocks);
    assert.equal(post?.mrkdwn, true);
    assert.equal(actions[1]?.text, "hi, corrected");
    assert.equal(fake.message(channel, ts), undefined);
    assert.equal(fake.message(channel, root.ts)?.reply_count, 0);
  });

  it("chat.postMessage to a user id lands in the bot's DM with them; conversations.open finds the same DM", async () => {
    const r = await web.chat.postMessage({ channel: alice, text: "a private word" });
    assert.equal(fake.dmPosts(alice).at(-1)?.text, "a private word");
    const open = await web.conversations.open({ users: alice });
    assert.equal(open.channel?.id, r.channel);
    assert.match(String(r.channel), /^D/);
  });

  it("reactions.add and reactions.remove round trip; a Unicode emoji is not a reaction name", async () => {
    const m = fake.post(channel, alice, "react to me");
    await web.reactions.add({ channel, timestamp: m.ts, name: "tada" });
    assert.deepEqual(fake.reactionsOn(channel, m.ts), [{ name: "tada", users: [fake.botUser.id], count: 1 }]);
    assert.equal(
      (await slackError(web.reactions.add({ channel, timestamp: m.ts, name: "tada" }))).code,
      "already_reacted",
    );
    assert.equal((await slackError(web.reactions.add({ channel, timestamp: m.ts, name: "🎉" }))).code, "invalid_name");
    await web.reactions.remove({ channel, timestamp: m.ts, name: "tada" });
    assert.deepEqual(fake.reactionsOn(channel, m.ts), []);
    assert.deepEqual(
      fake
        .botActions(channel)
        .slice(-2)
        .map((a) => [a.kind, a.name]),
      [
        ["react", "tada"],
        ["unreact", "tada"],
      ],
    );
  });

  it("files.uploadV2 goes through the external upload flow and shares the file; files.info and url_private give it back", async () => {
    const bytes = Buffer.from("a file from XMPP\n");
    const res = await web.filesUploadV2({
      channel_id: channel,
      filename: "note.txt",
      file: bytes,
      initial_comment: "see",
    });
    assert.equal(res.ok, true);
    const calls = fake.requests.map((r) => r.method);
    const start = calls.lastIndexOf("files.getUploadURLExternal");
    assert.ok(start >= 0 && calls.indexOf("files.completeUploadExternal", start) > start, calls.join(","));
    const post = fake.botPosts(channel).at(-1);
    assert.equal(post?.text, "see");
    const fileId = post?.files?.[0];
    assert.ok(fileId);
    assert.deepEqual(Buffer.from(fake.file(fileId)?.bytes ?? []), bytes);
    const info = await web.files.info({ file: fileId });
    assert.equal(info.file?.name, "note.txt");
    const url = String(info.file?.url_private);
    const withToken = await fetch(url, { headers: { Authorization: `Bearer ${fake.botToken}` } });
    assert.deepEqual(Buffer.from(await withToken.arrayBuffer()), bytes);
    assert.deepEqual(
      fake.violations.filter((v) => v.startsWith("upload")),
      [],
    );
    const withoutToken = await fetch(url);
    assert.match(withoutToken.headers.get("content-type") ?? "", /text\/html/);
  });

  it("a user's file share carries a url_private that needs the bot token", async () => {
    const m = fake.post(channel, alice, "a picture", { files: [{ name: "cat.png" }] });
    assert.equal(m.subtype, "file_share");
    const f = m.files?.[0] as { url_private: string; mimetype: string };
    assert.equal(f.mimetype, "image/png");
    const r = await fetch(f.url_private, { headers: { Authorization: `Bearer ${fake.botToken}` } });
    assert.equal(r.headers.get("content-type"), "image/png");
    assert.deepEqual([...new Uint8Array(await r.arrayBuffer()).slice(1, 4)], [0x50, 0x4e, 0x47]);
  });

  it("conversations.history lists newest first with cursors; conversations.replies gives a thread oldest first", async () => {
    const c = fake.createChannel({ name: "history", members: [alice] }).id;
    const sent = ["one", "two", "three"].map((t) => fake.post(c, alice, t));
    const first = sent[0];
    assert.ok(first);
    fake.post(c, alice, "in thread", { threadTs: first.ts });
    const page1 = await web.conversations.history({ channel: c, limit: 2 });
    assert.deepEqual(
      page1.messages?.map((m) => m.text),
      ["three", "two"],
    );
    assert.equal(page1.has_more, true);
    const page2 = await web.conversations.history({
      channel: c,
      limit: 2,
      cursor: page1.response_metadata?.next_cursor,
    });
    assert.deepEqual(
      page2.messages?.map((m) => m.text),
      ["one"],
    );
    const thread = await web.conversations.replies({ channel: c, ts: first.ts });
    assert.deepEqual(
      thread.messages?.map((m) => m.text),
      ["one", "in thread"],
    );
    const since = await web.conversations.history({ channel: c, oldest: sent[1]?.ts });
    assert.deepEqual(
      since.messages?.map((m) => m.text),
      ["three"],
    );
  });

  it("a call that breaks Slack's description gets invalid_arguments naming the field", async () => {
    const bad = await slackError(web.apiCall("conversations.history", { channel, limit: "many" }));
    assert.equal(bad.code, "invalid_arguments");
    const messages = (bad.data.response_metadata as { messages: string[] }).messages;
    assert.match(messages.join("\n"), /\[ERROR\].*limit/);
    const unknown = await slackError(web.apiCall("chat.postMessage", { channel, text: "x", colour: "red" }));
    assert.equal(unknown.code, "invalid_arguments");
    assert.match(fake.violations.join("\n"), /chat\.postMessage: arguments the method does not take: colour/);
    assert.equal((await slackError(web.chat.postMessage({ channel, text: "" }))).code, "no_text");
    assert.equal(
      (await slackError(web.chat.postMessage({ channel, text: "x", blocks: [{ type: "nope" }] as never }))).code,
      "invalid_blocks",
    );
    assert.equal((await slackError(web.apiCall("chat.nonexistent", {}))).code, "unknown_method");
  });

  it("a JSON body is taken like a form body", async () => {
    const r = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { Authorization: `Bearer ${fake.botToken}`, "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify({ channel, text: "json", blocks: [{ type: "divider" }], unfurl_links: false }),
    });
    const body = (await r.json()) as { ok: boolean; ts: string };
    assert.equal(body.ok, true);
    assert.equal(fake.message(channel, body.ts)?.text, "json");
  });

  it("auth, membership and scope failures answer as Slack does", async () => {
    const stranger = new WebClient("xoxb-1-2-nope", { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR });
    assert.equal((await slackError(stranger.auth.test())).code, "invalid_auth");
    const appTokenClient = new WebClient(fake.appToken, { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR });
    assert.equal(
      (await slackError(appTokenClient.chat.postMessage({ channel, text: "x" }))).code,
      "not_allowed_token_type",
    );
    const outside = fake.createChannel({ name: "outside", members: [alice], bot: false }).id;
    assert.equal((await slackError(web.chat.postMessage({ channel: outside, text: "x" }))).code, "not_in_channel");
    await web.conversations.join({ channel: outside });
    await web.chat.postMessage({ channel: outside, text: "now I am in" });
    const secret = fake.createChannel({ name: "secret", private: true, members: [alice], bot: false }).id;
    assert.equal((await slackError(web.conversations.info({ channel: secret }))).code, "channel_not_found");
    fake.setScopes(["chat:write"]);
    try {
      const missing = await slackError(web.users.list({}));
      assert.equal(missing.code, "missing_scope");
      assert.equal(missing.data.needed, "users:read");
      assert.equal(missing.data.provided, "chat:write");
    } finally {
      fake.setScopes([...(await import("../src/slack/index.ts")).SLACK_DEFAULT_BOT_SCOPES]);
    }
  });

  it("a forced failure and a 429 with Retry-After: the WebClient waits and retries", async () => {
    fake.failNext("chat.postMessage", { error: "fatal_error" });
    assert.equal((await slackError(web.chat.postMessage({ channel, text: "x" }))).code, "fatal_error");
    let limited = 0;
    const onLimited = (seconds: number) => {
      limited++;
      assert.equal(seconds, 1);
    };
    web.on(WebClientEvent.RATE_LIMITED, onLimited);
    fake.rateLimitNext("chat.postMessage", { retryAfterSeconds: 1 });
    const r = await web.chat.postMessage({ channel, text: "after the limit" });
    web.off(WebClientEvent.RATE_LIMITED, onLimited);
    assert.equal(r.ok, true);
    assert.equal(limited, 1);
    const last = fake.requests.filter((q) => q.method === "chat.postMessage").slice(-2);
    assert.deepEqual(
      last.map((q) => [q.status, q.error]),
      [
        [429, "ratelimited"],
        [200, undefined],
      ],
    );
  });

  it("chat.postMessage's own limit holds a burst in one channel to about one a second (counted, not timed)", async () => {
    const c = fake.createChannel({ name: "burst", members: [alice] }).id;
    const n = 13;
    await Promise.all(Array.from({ length: n }, (_, i) => web.chat.postMessage({ channel: c, text: `m${i}` })));
    assert.equal(fake.botPosts(c).length, n);
    const limitedCalls = fake.requests.filter((q) => q.method === "chat.postMessage" && q.status === 429);
    assert.ok(limitedCalls.length >= 1, "a burst over 10 in one channel met a 429");
  });
});

describe("fake Slack: answers as Slack's description says", () => {
  it("every method's successful answer conforms to the vendored success schema", async () => {
    const fake = await startFakeSlack({ rateLimits: false });
    try {
      const web = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR });
      const alice = fake.createUser({ name: "alice", statusText: "away", statusEmoji: ":palm_tree:" }).id;
      const c = fake.createChannel({ name: "general", members: [alice], topic: "talk" }).id;
      const outside = fake.createChannel({ name: "outside", members: [alice], bot: false }).id;
      // Slack answers `messages: []` here; the 2021 schema's minItems: 1 is corrected.
      const empty = fake.createChannel({ name: "empty", members: [alice] }).id;
      fake.createUsergroup({ handle: "devs", users: [alice] });
      fake.addEmoji("parrot");
      const m = fake.post(c, alice, `hi <@${alice}>`, { files: [{ name: "a.png" }] });
      fake.post(c, alice, "reply", { threadTs: m.ts });
      fake.react(c, m.ts, alice, "tada");
      const fileId = String((m.files?.[0] as { id?: string } | undefined)?.id);
      const calls: Array<[string, Record<string, unknown>]> = [
        ["auth.test", {}],
        ["conversations.list", { types: "public_channel,private_channel,im" }],
        ["conversations.info", { channel: c, include_num_members: true }],
        ["conversations.members", { channel: c }],
        ["conversations.history", { channel: c }],
        ["conversations.history", { channel: empty }],
        ["conversations.replies", { channel: c, ts: m.ts }],
        ["conversations.join", { channel: outside }],
        ["conversations.join", { channel: outside }],
        ["conversations.open", { users: alice }],
        ["conversations.open", { users: alice, return_im: true }],
        ["users.info", { user: alice }],
        ["users.list", {}],
        ["users.getPresence", { user: alice }],
        ["dnd.teamInfo", { users: alice }],
        ["users.profile.get", { user: alice }],
        ["usergroups.list", { include_users: true }],
        ["team.info", {}],
        ["emoji.list", {}],
        ["bots.info", { bot: fake.botId }],
        ["chat.getPermalink", { channel: c, message_ts: m.ts }],
        ["files.info", { file: fileId }],
        ["reactions.add", { channel: c, timestamp: m.ts, name: "eyes" }],
        ["reactions.remove", { channel: c, timestamp: m.ts, name: "eyes" }],
      ];
      for (const [method, args] of calls) assert.equal((await web.apiCall(method, args)).ok, true, method);
      const r = await web.chat.postMessage({
        channel: c,
        text: "x",
        username: "u",
        icon_url: "https://example.org/a.png",
      });
      await web.chat.update({ channel: c, ts: String(r.ts), text: "y" });
      await web.chat.delete({ channel: c, ts: String(r.ts) });
      await web.filesUploadV2({ channel_id: c, filename: "b.txt", file: Buffer.from("b") });
      assert.deepEqual(fake.violations, []);
    } finally {
      await fake.stop();
    }
  });
});

describe("fake Slack: Do Not Disturb", () => {
  it("dnd.teamInfo answers each user's snooze and DND window as setDnd left them; dnd:read is needed", async () => {
    const fake = await startFakeSlack({ rateLimits: false });
    try {
      const web = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR });
      const ann = fake.createUser({ name: "ann" }).id;
      const ben = fake.createUser({ name: "ben" }).id;
      assert.equal(fake.userNamed("ann")?.id, ann);
      const start = new Date(Date.now() - 60_000);
      const end = new Date(Date.now() + 3_600_000);
      fake.setDnd(ann, { snoozeMinutes: 30 });
      fake.setDnd(ben, { window: { start, end } });
      const users = async () =>
        ((await web.dnd.teamInfo({ users: `${ann},${ben}` })) as { users?: Record<string, Record<string, unknown>> })
          .users ?? {};
      const on = await users();
      assert.equal(on[ann]?.snooze_enabled, true);
      assert.ok(Number(on[ann]?.snooze_endtime) > Date.now() / 1000 + 29 * 60);
      assert.equal(on[ann]?.dnd_enabled, false);
      assert.deepEqual(
        [on[ben]?.dnd_enabled, on[ben]?.next_dnd_start_ts, on[ben]?.next_dnd_end_ts, on[ben]?.snooze_enabled],
        [true, Math.floor(start.getTime() / 1000), Math.floor(end.getTime() / 1000), false],
      );
      fake.setDnd(ann, { off: true });
      assert.equal((await users())[ann]?.snooze_enabled, false);
      await assert.rejects(web.dnd.teamInfo({ users: "U0NOBODY" }), /user_not_found/);
      fake.setScopes(["users:read"]);
      await assert.rejects(web.dnd.teamInfo({ users: ann }), /missing_scope/);
      assert.deepEqual(
        fake.violations.filter((v) => !v.includes("user_not_found") && !v.includes("missing_scope")),
        [],
      );
    } finally {
      await fake.stop();
    }
  });
});
