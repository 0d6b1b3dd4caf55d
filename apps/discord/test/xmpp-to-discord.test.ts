/**
 * XMPP -> Discord, end to end: what an XMPP user does in a linked room reaches
 * the fake Discord through the engine and the connector's webhooks and bot.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import {
  buildLegacyModerationIq,
  buildMessage,
  buildMucSetAffiliation,
  type Message,
  moderationOf,
  stanzaIdBy,
} from "@parley/stanza";
import { isMessage, isPresence, stanzaId, TestClient } from "@parley/testkit";
import type { APIMessage } from "discord-api-types/v10";
import { assertNoViolations, type DiscordHarness, inRoom, mapped, postAndSee, startHarness, until } from "./harness.ts";

/** Alice says something in a room; resolves with the room's stanza-id once it is reflected. */
async function alicePosts(
  h: DiscordHarness,
  room: string,
  body: string,
  extra: Partial<Parameters<typeof buildMessage>[0]> = {},
): Promise<{ id: string; sid: string }> {
  const id = stanzaId("a");
  const reflected = h.alice.waitFor(isMessage((m) => m.id === id && m.from === `${room}/alice`));
  await h.alice.send(buildMessage({ type: "groupchat", to: room, id, originId: id, body, ...extra }));
  const sid = stanzaIdBy((await reflected).stanza as Message, room);
  assert.ok(sid, "the room gave the message a stanza-id");
  return { id, sid };
}

function onDiscord(h: DiscordHarness, channel: string, pred: (m: APIMessage) => boolean, what: string) {
  return h.fake.waitFor(() => h.fake.messages(channel).find(pred), { timeoutMs: 10_000, what });
}

function mentionsOf(body: unknown): unknown {
  return body !== null && typeof body === "object"
    ? (body as { allowed_mentions?: unknown }).allowed_mentions
    : undefined;
}

function webhookRequests(h: DiscordHarness, method: string) {
  return h.fake.requests.filter((r) => r.method === method && /\/webhooks\/\d+\/[^/]+/.test(r.path));
}

describe("XMPP to Discord", () => {
  let h: DiscordHarness;
  let files: Server;
  let filesUrl = "";
  before(async () => {
    h = await startHarness();
    files = createServer((req, res) => {
      if (req.url === "/photo.png") {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(Buffer.alloc(2048, 7));
      } else if (req.url === "/huge.bin") {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(11 * 1024 * 1024) });
        res.end(Buffer.alloc(11 * 1024 * 1024));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    // Bob speaks first, so that the engine knows his puppet.
    await postAndSee(h, h.bob, h.general, h.room, "bob is here");
  });
  after(async () => {
    await new Promise<void>((resolve) => files?.close(() => resolve()));
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  let mine: { id: string; discordId: string };

  it("posts through one channel webhook under the occupant's nick, pinging nobody, and never echoes it back", async () => {
    const { id } = await alicePosts(h, h.room, "hi *there*");
    const msg = await onDiscord(h, h.general.id, (m) => m.content === "hi **there**", "alice's message on Discord");
    assert.ok(msg.webhook_id, "posted by a webhook");
    assert.equal(msg.author.username, "alice");
    const hooks = h.fake.webhooksOf(h.general.id);
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0]?.name, "Parley");
    const post = webhookRequests(h, "POST").find((r) => (r.body as { content?: string }).content === "hi **there**");
    assert.deepEqual(mentionsOf(post?.body), { parse: [], users: [] });
    mine = { id, discordId: msg.id };
    await until(
      "the message map to know the post",
      async () => (await h.store.byRemoteId("discord", msg.id)).length > 0,
    );
    const sentinel = h.alice.waitFor(inRoom(h.room, h.bob.nick, (m) => m.body === "sentinel"));
    h.fake.post(h.general.id, h.bob.id, "sentinel");
    await sentinel;
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (m) => m.body === "hi *there*" && !m.from?.endsWith("/alice")),
        {
          timeoutMs: 300,
        },
      ),
    );
  });

  it("does not post twice when Discord did the post but its answer was lost (a 5xx after the work)", async () => {
    const body = "posted once, answered never";
    h.fake.failNext({ method: "POST", pathIncludes: "/webhooks/", afterProcessing: true });
    await alicePosts(h, h.room, body);
    const msg = await onDiscord(h, h.general.id, (m) => m.content === body, "the post Discord made");
    // The retry looks for its post in the channel, finds it, and maps it instead of posting again.
    await until(
      "the message map to know the post",
      async () => (await h.store.byRemoteId("discord", msg.id)).length > 0,
    );
    assert.equal(h.fake.pendingFailures, 0, "the post met the failure");
    const sentinel = "next one, after the 5xx";
    await alicePosts(h, h.room, sentinel);
    await onDiscord(h, h.general.id, (m) => m.content === sentinel, "the next post");
    assert.equal(h.fake.messages(h.general.id).filter((m) => m.content === body).length, 1, "posted once");
    const posts = webhookRequests(h, "POST").filter((r) => (r.body as { content?: string }).content === body);
    assert.equal(posts.length, 1, "the retry did not post again");
  });

  it("posts the parts still missing of a long message whose first part's answer was lost", async () => {
    const body = `${"first half ".repeat(120)}\n\n${"second half ".repeat(120)}`.trim();
    h.fake.failNext({ method: "POST", pathIncludes: "/webhooks/", afterProcessing: true });
    await alicePosts(h, h.room, body);
    const second = await onDiscord(
      h,
      h.general.id,
      (m) => m.content.startsWith("second half"),
      "the second part, posted by the retry",
    );
    assert.equal(h.fake.pendingFailures, 0, "the first part met the failure");
    const first = await onDiscord(h, h.general.id, (m) => m.content.startsWith("first half"), "the first part");
    assert.ok(BigInt(first.id) < BigInt(second.id), "the first part before the second");
    await until(
      "the message map to know the post by its first part",
      async () => (await h.store.byRemoteId("discord", first.id)).length > 0,
    );
    const sentinel = "next one, after the long one";
    await alicePosts(h, h.room, sentinel);
    await onDiscord(h, h.general.id, (m) => m.content === sentinel, "the next post");
    const posted = h.fake.messages(h.general.id).map((m) => m.content);
    assert.equal(posted.filter((c) => c.startsWith("first half")).length, 1, "the first part once");
    assert.equal(posted.filter((c) => c.startsWith("second half")).length, 1, "the second part once");
  });

  it("adjusts nicks Discord refuses as webhook names", async () => {
    const account = h.server.accounts[1];
    assert.ok(account);
    const other = await TestClient.connect(h.server, account);
    try {
      await other.joinRoom(h.room, "Discord fan");
      await other.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("o"), body: "from a fan" }));
      const msg = await onDiscord(h, h.general.id, (m) => m.content === "from a fan", "the fan's message");
      assert.equal(msg.author.username, "Disc-ord fan");
    } finally {
      await other.stop();
    }
  });

  it("turns mentions of puppets into Discord mentions that may ping only them", async () => {
    const body = "Bob, look @everyone";
    await alicePosts(h, h.room, body, {
      references: [{ type: "mention", uri: `xmpp:${h.bob.id}@${h.domain}`, begin: 0, end: 3 }],
    });
    const msg = await onDiscord(h, h.general.id, (m) => m.content.includes("look"), "the mention");
    assert.match(msg.content, new RegExp(`<@${h.bob.id}>`));
    const post = webhookRequests(h, "POST").find((r) => (r.body as { content?: string }).content === msg.content);
    assert.deepEqual(mentionsOf(post?.body), {
      parse: [],
      users: [h.bob.id],
    });
  });

  it("turns Nick: at the start and @Nick into Discord mentions of the members behind the puppets", async () => {
    // Bob is online, so his puppet sits in the room whether he spoke or not.
    const seated = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${h.bob.nick}` && p.type === "available"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.setPresence(h.bob.id, { status: "online" });
    await seated;
    await alicePosts(h, h.room, `${h.bob.nick}: ping, and @${h.bob.nick} again`);
    const msg = await onDiscord(h, h.general.id, (m) => m.content.includes("ping, and"), "the nick mentions");
    assert.equal(msg.content, `<@${h.bob.id}>: ping, and <@${h.bob.id}> again`);
    const post = webhookRequests(h, "POST").find((r) => (r.body as { content?: string }).content === msg.content);
    assert.deepEqual(mentionsOf(post?.body), { parse: [], users: [h.bob.id] });
  });

  it("carries a correction as an edit of the webhook message", async () => {
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("c"), body: "hi everyone", replace: { id: mine.id } }),
    );
    const edited = await onDiscord(
      h,
      h.general.id,
      (m) => m.id === mine.discordId && m.content === "hi everyone",
      "the edited message",
    );
    assert.ok(edited.edited_timestamp);
  });

  it("quotes the answered message in a reply, with a jump link", async () => {
    const { posted, stanzaId: sid } = await postAndSee(h, h.bob, h.general, h.room, "question?");
    await alicePosts(h, h.room, "answer", { reply: { id: sid, to: `${h.room}/${h.bob.nick}` } });
    const msg = await onDiscord(h, h.general.id, (m) => m.content.endsWith("answer"), "the reply");
    assert.ok(msg.content.startsWith("> **@Bob**: question?"), msg.content);
    assert.ok(msg.content.includes(`https://discord.com/channels/${h.guild.id}/${h.general.id}/${posted.id}`));
  });

  it("adds and removes the bot's reactions, custom emoji by name, and skips unknown ones", async () => {
    const emoji = h.fake.createEmoji(h.guild.id, { name: "blobcat" });
    const { posted, stanzaId: sid } = await postAndSee(h, h.bob, h.general, h.room, "react to me");
    await mapped(h, posted.id);
    const react = (emojis: string[]) =>
      h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), reactions: { id: sid, emojis } }));
    await react(["❤️", ":blobcat:", ":nosuchemoji:"]);
    const on = await h.fake.waitFor(
      () => {
        const r = h.fake.reactionsOn(h.general.id, posted.id);
        return r.length === 2 ? r : undefined;
      },
      { what: "two reactions by the bot" },
    );
    assert.ok(on.every((r) => r.users.length === 1 && r.users[0] === h.fake.bot.id));
    assert.ok(on.some((r) => r.emoji === "❤️"));
    assert.ok(on.some((r) => r.emoji.includes("blobcat") || r.emoji.includes(emoji.id ?? "blobcat")));
    assert.ok(!h.fake.requests.some((r) => r.path.includes("nosuchemoji")));
    await react([":blobcat:"]);
    await h.fake.waitFor(() => h.fake.reactionsOn(h.general.id, posted.id).length === 1 || undefined, {
      what: "the heart taken back",
    });
  });

  it("uploads files within Discord's limit and links larger ones", async () => {
    const small = `${filesUrl}/photo.png`;
    await alicePosts(h, h.room, small, { oob: [{ url: small }] });
    const withFile = await onDiscord(h, h.general.id, (m) => m.attachments.length > 0, "the uploaded file");
    assert.equal(withFile.attachments[0]?.filename, "photo.png");
    assert.equal(withFile.attachments[0]?.size, 2048);
    const huge = `${filesUrl}/huge.bin`;
    await alicePosts(h, h.room, huge, { oob: [{ url: huge }] });
    const linked = await onDiscord(h, h.general.id, (m) => m.content.includes(huge), "the linked file");
    assert.equal(linked.attachments.length, 0);
  });

  it("splits long messages cleanly, and edits and deletes every part", async () => {
    const paragraph = (n: number) => `Paragraph ${n}: ${"lorem ipsum dolor sit amet ".repeat(30).trim()}`;
    const text = Array.from({ length: 6 }, (_, i) => paragraph(i + 1)).join("\n\n");
    assert.ok(text.length > 4000);
    const { id } = await alicePosts(h, h.room, text);
    const parts = await h.fake.waitFor(
      () => {
        const all = h.fake.messages(h.general.id).filter((m) => m.content.includes("Paragraph"));
        return all.some((m) => m.content.includes("Paragraph 6")) ? all : undefined;
      },
      { what: "every part on Discord" },
    );
    assert.ok(parts.length >= 3);
    assert.ok(parts.every((m) => m.content.length <= 2000));
    assert.ok(parts[0]?.content.startsWith("Paragraph 1"));
    assert.equal(parts.map((m) => m.content).join("\n\n"), text);
    const firstPart = parts[0]?.id ?? "";
    await until("the message map to know the split message", async () =>
      (await h.store.byRemoteId("discord", firstPart)).some((r) => r.direction === "to-remote"),
    );
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("c"), body: "short now", replace: { id } }),
    );
    await h.fake.waitFor(
      () => {
        const left = h.fake.messages(h.general.id).filter((m) => parts.some((p) => p.id === m.id));
        return left.length === 1 && left[0]?.content === "short now" ? true : undefined;
      },
      { what: "the first part edited and the others deleted" },
    );
    // A retraction of a split message takes every part.
    const again = await alicePosts(h, h.room, text.replaceAll("Paragraph", "Section"));
    const sections = await h.fake.waitFor(
      () => {
        const all = h.fake.messages(h.general.id).filter((m) => m.content.includes("Section"));
        return all.some((m) => m.content.includes("Section 6")) ? all : undefined;
      },
      { what: "every part of the second message" },
    );
    const sectionFirst = sections[0]?.id ?? "";
    await until("the message map to know the second split message", async () =>
      (await h.store.byRemoteId("discord", sectionFirst)).some((r) => r.direction === "to-remote"),
    );
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), retract: { id: again.id }, body: "retracted" }),
    );
    await h.fake.waitFor(
      () => h.fake.messages(h.general.id).every((m) => !m.content.includes("Section")) || undefined,
      { what: "every part deleted" },
    );
  });

  it("carries a retraction as the deletion of the webhook message", async () => {
    const { sid } = await alicePosts(h, h.room, "oops, wrong room");
    const msg = await onDiscord(h, h.general.id, (m) => m.content === "oops, wrong room", "the message");
    await until("the message map to know the message", async () =>
      (await h.store.byRemoteId("discord", msg.id)).some((r) => r.stanzaId !== undefined || r.originId !== undefined),
    );
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), retract: { id: sid }, body: "retracted" }),
    );
    await h.fake.waitFor(() => h.fake.message(h.general.id, msg.id) === undefined || undefined, {
      what: "the message deleted on Discord",
    });
  });

  it("has the bot delete a Discord user's message a room moderator removed", async () => {
    const { posted, stanzaId: sid } = await postAndSee(h, h.bob, h.general, h.room, "buy cheap pills");
    await mapped(h, posted.id);
    const answer = await h.alice.iq(
      buildLegacyModerationIq({ room: h.room, iqId: stanzaId("mod"), request: { id: sid, reason: "spam" } }),
    );
    assert.equal(answer.type, "result", `the room refused: ${answer.error?.condition}`);
    await h.fake.waitFor(() => h.fake.message(h.general.id, posted.id) === undefined || undefined, {
      what: "the spam deleted on Discord",
    });
    const deletion = h.fake.requests.find((r) => r.method === "DELETE" && r.path.endsWith(`/messages/${posted.id}`));
    assert.equal(deletion?.auditLogReason, "moderated on XMPP by alice: spam", "who and why, in the audit log");
  });

  it("has the room moderate an XMPP message a Discord moderator deleted", async () => {
    const granted = await h.alice.iq(
      buildMucSetAffiliation({ room: h.room, id: stanzaId("aff"), jid: h.domain, affiliation: "admin" }),
    );
    assert.equal(granted.type, "result", `affiliation refused: ${granted.error?.condition}`);
    const { sid } = await alicePosts(h, h.room, "an unwelcome remark");
    const msg = await onDiscord(h, h.general.id, (m) => m.content === "an unwelcome remark", "the remark");
    await until("the message map to know the remark", async () =>
      (await h.store.byRemoteId("discord", msg.id)).some((r) => r.stanzaId !== undefined),
    );
    const moderated = h.alice.waitFor(
      (r) =>
        r.element.name === "message" &&
        r.element.attrs.from === h.room &&
        r.stanza !== undefined &&
        moderationOf(r.stanza as Message)?.id === sid,
      { timeoutMs: 10_000, description: "the room's moderation of the remark" },
    );
    const deletes = webhookRequests(h, "DELETE").length;
    h.fake.remove(h.general.id, msg.id);
    await moderated;
    await postAndSee(h, h.bob, h.general, h.room, "after the moderation");
    assert.equal(webhookRequests(h, "DELETE").length, deletes, "no second deletion on Discord");
  });

  it("shows typing as the bot", async () => {
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, chatState: "composing" }));
    await h.fake.waitFor(
      () => h.fake.requests.find((r) => r.method === "POST" && r.path.endsWith(`/channels/${h.general.id}/typing`)),
      { what: "a typing request" },
    );
  });

  it("answers into a Discord thread through the parent channel's webhook", async () => {
    const thread = h.fake.createThread(h.general.id, { name: "xmpp thread", by: h.bob.id });
    const seen = h.alice.waitFor(inRoom(h.room, h.bob.nick, (m) => m.body === "thread opener"));
    h.fake.post(thread.id, h.bob.id, "thread opener");
    assert.equal(((await seen).stanza as Message).thread?.id, thread.id);
    await alicePosts(h, h.room, "answer in the thread", { thread: { id: thread.id } });
    const msg = await onDiscord(h, thread.id, (m) => m.content === "answer in the thread", "the answer in the thread");
    assert.ok(msg.webhook_id);
    assert.equal(h.fake.webhooksOf(thread.id).length, 0, "no webhook of its own for the thread");
  });

  it("reacts to, quotes and moderates a Discord user's message in a thread there, the engine naming the thread", async () => {
    const thread = h.fake.createThread(h.general.id, { name: "thread to react in", by: h.bob.id });
    const { posted, stanzaId: sid } = await postAndSee(h, h.bob, thread, h.room, "in the thread, react to me");
    await mapped(h, posted.id);
    assert.equal((await h.store.byRemoteId("discord", posted.id))[0]?.thread, thread.id);
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("r"), reactions: { id: sid, emojis: ["👍"] } }),
    );
    await h.fake.waitFor(() => h.fake.reactionsOn(thread.id, posted.id).length === 1 || undefined, {
      what: "the reaction, in the thread",
    });
    await alicePosts(h, h.room, "quoting it", { reply: { id: sid, to: `${h.room}/${h.bob.nick}` } });
    // A reply to a message in a thread goes in that thread.
    const reply = await onDiscord(h, thread.id, (m) => m.content.endsWith("quoting it"), "the reply, in the thread");
    assert.ok(reply.content.includes(`/${thread.id}/${posted.id}`), "the jump link names the thread");
    const answer = await h.alice.iq(
      buildLegacyModerationIq({ room: h.room, iqId: stanzaId("mod"), request: { id: sid, reason: "spam" } }),
    );
    assert.equal(answer.type, "result");
    await h.fake.waitFor(() => h.fake.message(thread.id, posted.id) === undefined || undefined, {
      what: "the message deleted in the thread",
    });
    assert.equal(await h.store.getState("connector:discord", `thread:${posted.id}`), undefined, "no thread memory");
  });

  it("continues a thread started on XMPP as a Discord thread on its first message, and brings answers back", async () => {
    const thread = `xmpp-thread-${Date.now()}`;
    await alicePosts(h, h.room, "a thread starts here", { thread: { id: thread } });
    const root = await onDiscord(h, h.general.id, (m) => m.content === "a thread starts here", "the thread's root");
    await alicePosts(h, h.room, "and goes on in it", { thread: { id: thread } });
    // A thread started from a message has the message's id.
    const next = await onDiscord(h, root.id, (m) => m.content === "and goes on in it", "the second, in the thread");
    assert.ok(next.webhook_id, "posted through the parent channel's webhook");
    const started = h.fake.requests.filter(
      (r) => r.method === "POST" && r.path.endsWith(`/channels/${h.general.id}/messages/${root.id}/threads`),
    );
    assert.equal(started.length, 1, "the thread was started from the root message, once");
    assert.equal((started[0]?.body as { name?: unknown } | undefined)?.name, "a thread starts here");
    await alicePosts(h, h.room, "and on", { thread: { id: thread } });
    await onDiscord(h, root.id, (m) => m.content === "and on", "the third, in the same thread");
    const answer = h.alice.waitFor(inRoom(h.room, h.bob.nick, (m) => m.body === "a Discord answer"));
    h.fake.post(root.id, h.bob.id, "a Discord answer");
    assert.equal(((await answer).stanza as Message).thread?.id, thread, "back under the XMPP thread id");
    assert.equal(
      h.fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/messages/${root.id}/threads`)).length,
      1,
      "started once",
    );
  });
});
