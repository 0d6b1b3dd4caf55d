/**
 * XMPP -> Slack, end to end: what an XMPP user does in a linked room reaches
 * the fake Slack through the engine and the connector's Web API calls.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { alicePosts, assertNoViolations, mapped, postAndSee, type SlackHarness, startHarness } from "./harness.ts";

function groupchat(h: SlackHarness, body: string, extra: Partial<Parameters<typeof buildMessage>[0]> = {}) {
  return (id: string) =>
    h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body, ...extra }));
}

function botPost(h: SlackHarness, what: string, pred: (text: string) => boolean) {
  return h.fake.waitFor(() => h.fake.botPosts(h.general.id).find((p) => pred(p.text ?? "")), {
    timeoutMs: 15_000,
    what,
  });
}

describe("XMPP to Slack", () => {
  let h: SlackHarness;
  let files: Server;
  let filesUrl = "";
  before(async () => {
    h = await startHarness();
    files = createServer((req, res) => {
      if (req.url === "/photo.png") {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(Buffer.alloc(2048, 7));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    // Bob speaks first, so that the engine knows his puppet.
    await postAndSee(h, h.bob, "bob is here");
  });
  after(async () => {
    await new Promise<void>((resolve) => files?.close(() => resolve()));
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  let mine = { id: "", ts: "" };

  it("posts with chat.postMessage under the occupant's nick, as mrkdwn, and never echoes it back", async () => {
    const { id } = await alicePosts(h, groupchat(h, "hi *there* & <you>"), stanzaId("a"));
    const post = await botPost(h, "alice's message", (t) => t.startsWith("hi "));
    assert.equal(post.text, "hi *there* &amp; &lt;you&gt;");
    assert.equal(post.username, "alice");
    mine = { id, ts: post.ts };
    const sentinel = h.alice.waitFor(isMessage((m) => m.body === "sentinel one" && m.type === "groupchat"));
    h.fake.post(h.general.id, h.bob.id, "sentinel one");
    await sentinel;
    await assert.rejects(
      h.alice.waitFor(
        isMessage((m) => m.body?.startsWith("hi *there*") === true && !m.from?.endsWith("/alice")),
        {
          timeoutMs: 300,
        },
      ),
    );
  });

  it("carries a correction as chat.update", async () => {
    await alicePosts(h, groupchat(h, "hi corrected", { replace: { id: mine.id } }), stanzaId("c"));
    await h.fake.waitFor(() => h.fake.message(h.general.id, mine.ts)?.text === "hi corrected" || undefined, {
      what: "the message updated on Slack",
    });
    assert.ok(h.fake.botActions(h.general.id).some((a) => a.kind === "update" && a.ts === mine.ts));
  });

  it("writes a mention of a Slack user's puppet as <@U…>", async () => {
    await alicePosts(
      h,
      groupchat(h, "Bob look", {
        references: [{ type: "mention", uri: `xmpp:${h.bob.jid}`, begin: 0, end: 3 }],
      }),
      stanzaId("m"),
    );
    const post = await botPost(h, "the mention", (t) => t.includes("look"));
    assert.equal(post.text, `<@${h.bob.id}> look`);
  });

  it("answers in the Slack thread of the message replied to", async () => {
    const { ts, stanzaId: sid } = await postAndSee(h, h.bob, "question?");
    await mapped(h, ts);
    await alicePosts(h, groupchat(h, "answer", { reply: { id: sid, to: `${h.room}/${h.bob.nick}` } }), stanzaId("r"));
    const post = await botPost(h, "the reply", (t) => t.endsWith("answer"));
    assert.equal(post.thread_ts, ts);
  });

  it("continues a thread started on XMPP (or relayed there from another network) as a Slack thread, both ways", async () => {
    // Whether an XMPP user started it or another bridge relayed it (a Discord thread's id), it is new to Slack.
    const thread = `${Date.now()}123456789`;
    await alicePosts(h, groupchat(h, "thread starts here", { thread: { id: thread } }), stanzaId("t1"));
    const root = await botPost(h, "the thread's first message", (t) => t === "thread starts here");
    assert.equal(root.thread_ts, undefined, "the first message is the thread's root");
    await alicePosts(h, groupchat(h, "and goes on", { thread: { id: thread } }), stanzaId("t2"));
    const next = await botPost(h, "the thread's second message", (t) => t === "and goes on");
    assert.equal(next.thread_ts, root.ts, "the next one is a reply in the root's thread");
    const answer = h.alice.waitFor(isMessage((m) => m.body === "a Slack answer" && m.type === "groupchat"));
    h.fake.post(h.general.id, h.bob.id, "a Slack answer", { threadTs: root.ts });
    const answered = (await answer).stanza as Message;
    assert.equal(answered.thread?.id, thread, "back under the XMPP thread id");
    // A reply (without a thread) to a message in a Slack thread goes in that thread, never under the reply's ts.
    const answerSid = stanzaIdBy(answered, h.room);
    assert.ok(answerSid);
    await alicePosts(h, groupchat(h, "replying to the answer", { reply: { id: answerSid } }), stanzaId("t3"));
    const reply = await botPost(h, "the reply to the answer", (t) => t.endsWith("replying to the answer"));
    assert.equal(reply.thread_ts, root.ts);
  });

  it("adds and removes the bot's reaction by Slack name", async () => {
    const { ts, stanzaId: sid } = await postAndSee(h, h.bob, "react to me");
    await mapped(h, ts);
    const react = (emojis: string[]) =>
      h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), reactions: { id: sid, emojis } }));
    await react(["👍"]);
    await h.fake.waitFor(() => h.fake.reactionsOn(h.general.id, ts).find((r) => r.name === "+1"), {
      what: "the bot's +1 on Slack",
    });
    await react([]);
    await h.fake.waitFor(() => h.fake.reactionsOn(h.general.id, ts).length === 0 || undefined, {
      what: "the reaction removed",
    });
  });

  it("uploads a shared file with the external upload flow", async () => {
    const url = `${filesUrl}/photo.png`;
    await alicePosts(h, groupchat(h, url, { oob: [{ url }] }), stanzaId("f"));
    const post = await h.fake.waitFor(
      () => h.fake.botActions(h.general.id).find((a) => a.kind === "post" && (a.files?.length ?? 0) > 0),
      { what: "the file shared on Slack", timeoutMs: 15_000 },
    );
    const file = h.fake.file(post.files?.[0] ?? "");
    assert.equal(file?.bytes.length, 2048);
    const methods = h.fake.requests.map((r) => r.method);
    assert.ok(methods.includes("files.getUploadURLExternal") && methods.includes("files.completeUploadExternal"));
  });

  it("carries a retraction as chat.delete", async () => {
    const { id } = await alicePosts(h, groupchat(h, "to be retracted"), stanzaId("d"));
    const post = await botPost(h, "the post", (t) => t === "to be retracted");
    await h.fake.waitFor(async () => (await h.store.byRemoteId("slack", post.ts)).length > 0 || undefined, {
      what: "the message map to know the post",
    });
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), retract: { id }, body: "retracted" }),
    );
    await h.fake.waitFor(() => h.fake.message(h.general.id, post.ts) === undefined || undefined, {
      what: "the message deleted on Slack",
    });
  });

  it("takes a 429 with Retry-After and posts once after it", async () => {
    h.fake.rateLimitNext("chat.postMessage", { retryAfterSeconds: 1 });
    await alicePosts(h, groupchat(h, "after the limit"), stanzaId("l"));
    await botPost(h, "the post after the 429", (t) => t === "after the limit");
    const posts = h.fake.botPosts(h.general.id).filter((p) => p.text === "after the limit");
    assert.equal(posts.length, 1);
    assert.ok(
      h.warnings.some((w) => w.includes("rate-limited")),
      "the 429 was logged",
    );
  });

  it("tells the admins how to fix a channel the bot is not in, and does not retry", async () => {
    h.fake.failNext("chat.postMessage", { error: "not_in_channel", count: 1 });
    const notice = h.alice.waitFor(
      isMessage((m: Message) => m.type !== "groupchat" && (m.body ?? "").includes("/invite")),
      { timeoutMs: 15_000, description: "the admin notice" },
    );
    await alicePosts(h, groupchat(h, "nobody hears this"), stanzaId("n"));
    await notice;
    const tries = h.fake.requests.filter(
      (r) => r.method === "chat.postMessage" && JSON.stringify(r.args ?? {}).includes("nobody hears this"),
    );
    assert.equal(tries.length, 1, "a permanent error is not retried");
  });

  it("tells the admins to reinstall when the token is revoked (last: the bridge is cut off after it)", async () => {
    h.fake.revokeToken();
    const notice = h.alice.waitFor(
      isMessage((m: Message) => m.type !== "groupchat" && (m.body ?? "").includes("token_revoked")),
      { timeoutMs: 15_000, description: "the admin notice" },
    );
    await alicePosts(h, groupchat(h, "into the void"), stanzaId("v"));
    assert.match((await notice).element.toString(), /reinstall/);
    assert.ok(
      h.warnings.some((w) => w.includes("token_revoked")),
      "logged",
    );
    assert.ok(!h.warnings.some((w) => w.includes(h.fake.botToken)), "the token itself is never logged");
  });
});
