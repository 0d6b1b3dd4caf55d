/**
 * Discord -> XMPP, end to end: what members do in the fake Discord reaches an
 * XMPP user in the linked room through real discord.js, the engine and Prosody.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Message, Presence } from "@parley/stanza";
import { isPresence } from "@parley/testkit";
import {
  assertNoViolations,
  type DiscordHarness,
  inRoom,
  mapped,
  postAndSee,
  roomMessage,
  startHarness,
} from "./harness.ts";

describe("Discord to XMPP", () => {
  let h: DiscordHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  let first: { id: string; xmppId: string; stanzaId: string };

  it("relays a member's message from their puppet, named by guild nickname, with markdown as styling", async () => {
    const { posted, seen, stanzaId } = await postAndSee(
      h,
      h.anna,
      h.general,
      h.room,
      "hello **world** and ~~this~~",
      undefined,
      "hello *world*",
    );
    assert.equal(seen.body, "hello *world* and ~this~");
    assert.ok(seen.id);
    first = { id: posted.id, xmppId: seen.id, stanzaId };
    await mapped(h, posted.id);
  });

  it("gives the puppet the member's avatar", async () => {
    const presence = await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${h.anna.nick}` && (p.vcardUpdate?.photo ?? "") !== ""),
      { timeoutMs: 10_000, description: "Annie's presence with an avatar hash" },
    );
    assert.match((presence.stanza as Presence).vcardUpdate?.photo ?? "", /^[0-9a-f]{40}$/);
  });

  it("names mentioned users, roles and channels", async () => {
    const role = h.fake.createRole(h.guild.id, { name: "Mods" });
    const text = `hey <@${h.bob.id}>, <@&${role.id}> see <#${h.random.id}>`;
    const m = roomMessage(h, h.room, h.anna.nick, (x) => x.body?.includes("@Mods") === true);
    h.fake.post(h.general.id, h.anna.id, text);
    const mention = await m;
    const body = mention.body ?? "";
    // A mention of a Discord user is a mention of their puppet (XEP-0372), written as the nick.
    assert.match(body, /hey Bob,/);
    assert.ok(mention.references?.some((r) => r.uri === `xmpp:${h.bob.id}@${h.domain}`));
    assert.match(body, /@Mods/);
    assert.match(body, /#random/);
    assert.ok(!body.includes("<@"), body);
  });

  it("shows custom emoji as :name:, stickers as image links, and summarizes embeds", async () => {
    const emoji = h.fake.createEmoji(h.guild.id, { name: "partyparrot" });
    const m = roomMessage(h, h.room, h.anna.nick, (x) => x.body?.includes(":partyparrot:") === true);
    h.fake.post(h.general.id, h.anna.id, `so <:partyparrot:${emoji.id}>`, {
      stickers: [{ name: "Wave" }],
      embeds: [{ title: "Release notes", description: "It **ships**", url: "https://example.org/notes" }],
    });
    const body = (await m).body ?? "";
    assert.match(body, /Sticker: Wave/);
    assert.match(body, new RegExp(`${escapeRegExp(h.fake.cdnUrl)}/stickers/\\d+\\.png`));
    assert.match(body, /Release notes/);
    assert.match(body, /https:\/\/example\.org\/notes/);
    assert.match(body, /It \*ships\*/);
  });

  it("carries an edit as a correction of the original", async () => {
    const m = roomMessage(h, h.room, h.anna.nick, (x) => x.replace !== undefined);
    h.fake.edit(h.general.id, first.id, "hello again");
    const edit = await m;
    assert.equal(edit.replace?.id, first.xmppId);
    assert.equal(edit.body, "hello again");
  });

  it("carries a reply with XEP-0461 and a quoted fallback", async () => {
    const m = roomMessage(h, h.room, h.bob.nick, (x) => x.reply !== undefined);
    h.fake.post(h.general.id, h.bob.id, "indeed", { replyTo: first.id });
    const reply = await m;
    assert.equal(reply.reply?.id, first.stanzaId);
    assert.ok(reply.body?.endsWith("indeed"), reply.body);
    assert.match(reply.body ?? "", /Annie/);
  });

  it("carries reactions, custom emoji as :name:, added and removed", async () => {
    const emoji = h.fake.createEmoji(h.guild.id, { name: "blobcat" });
    const added = roomMessage(h, h.room, h.bob.nick, (x) => x.reactions?.emojis.includes(":blobcat:") === true);
    h.fake.react(h.general.id, first.id, h.bob.id, "👍", "add");
    assert.ok(emoji.id);
    h.fake.react(h.general.id, first.id, h.bob.id, { id: emoji.id, name: "blobcat" }, "add");
    const r = await added;
    assert.equal(r.reactions?.id, first.stanzaId);
    assert.deepEqual(r.reactions?.emojis, ["👍", ":blobcat:"]);
    const removed = roomMessage(
      h,
      h.room,
      h.bob.nick,
      (x) => x.reactions?.emojis.length === 1 && x.reactions.emojis[0] === ":blobcat:",
    );
    h.fake.react(h.general.id, first.id, h.bob.id, "👍", "remove");
    assert.deepEqual((await removed).reactions?.emojis, [":blobcat:"]);
  });

  it("re-hosts attachments (Discord CDN links expire) and sends them with OOB", async () => {
    const m = roomMessage(h, h.room, h.anna.nick, (x) => (x.oob?.length ?? 0) > 0);
    h.fake.post(h.general.id, h.anna.id, "", {
      attachments: [{ filename: "cat.png", contentType: "image/png" }],
    });
    const file = await m;
    const url = file.oob?.[0]?.url ?? "";
    assert.ok(h.bridge?.httpUrl && url.startsWith(h.bridge.httpUrl), `re-hosted on the bridge: ${url}`);
    assert.equal(file.body, url);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.ok((await res.arrayBuffer()).byteLength > 0);
  });

  it("carries a thread's messages into the room as an XEP-0201 thread", async () => {
    const thread = h.fake.createThread(h.general.id, { name: "planning", by: h.anna.id });
    const m = roomMessage(h, h.room, h.bob.nick, (x) => x.body === "in the thread");
    h.fake.post(thread.id, h.bob.id, "in the thread");
    assert.equal((await m).thread?.id, thread.id);
  });

  it("carries typing as a composing chat state", async () => {
    const m = roomMessage(h, h.room, h.bob.nick, (x) => x.chatState === "composing");
    h.fake.typing(h.general.id, h.bob.id);
    assert.equal((await m).body, undefined);
  });

  it("mirrors presence and the custom status", async () => {
    const busy = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${h.anna.nick}` && p.show === "dnd"),
      { timeoutMs: 10_000 },
    );
    h.fake.setPresence(h.anna.id, { status: "dnd", customStatus: "in a meeting" });
    assert.equal(((await busy).stanza as Presence).status, "in a meeting");
    const idle = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${h.anna.nick}` && p.show === "away"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.setPresence(h.anna.id, { status: "idle" });
    await idle;
  });

  it("follows a nickname change with a nick change in the room", async () => {
    const renamed = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Anna B` && p.type !== "unavailable"),
      { timeoutMs: 10_000 },
    );
    h.fake.updateMember(h.guild.id, h.anna.id, { nick: "Anna B" });
    await renamed;
    const m = roomMessage(h, h.room, "Anna B", (x) => x.body === "new name");
    h.fake.post(h.general.id, h.anna.id, "new name");
    await m;
  });

  it("carries members joining and leaving the guild as occupants joining and leaving", async () => {
    const joined = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carl` && p.type !== "unavailable"),
      {
        timeoutMs: 10_000,
      },
    );
    const carl = h.fake.addMember(h.guild.id, { username: "carl", globalName: "Carl" });
    await joined;
    const left = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carl` && p.type === "unavailable"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.removeMember(h.guild.id, carl.user.id);
    await left;
  });

  it("carries a deletion as a retraction by the puppet", async () => {
    const { posted, stanzaId } = await postAndSee(h, h.bob, h.general, h.room, "delete me");
    await mapped(h, posted.id);
    const m = roomMessage(h, h.room, h.bob.nick, (x) => x.retract !== undefined);
    h.fake.remove(h.general.id, posted.id);
    assert.equal((await m).retract?.id, stanzaId);
  });

  it("keeps the two linked channels apart", async () => {
    const { seen } = await postAndSee(h, h.bob, h.random, h.room2, "over in random");
    assert.equal(seen.body, "over in random");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (x: Message) => x.body === "over in random"),
        { timeoutMs: 300 },
      ),
    );
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
