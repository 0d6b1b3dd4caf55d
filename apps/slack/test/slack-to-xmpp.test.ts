/**
 * Slack -> XMPP, end to end: what Slack users do in a linked channel reaches
 * the XMPP room through the real Bolt, the connector and the engine.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Message, Presence } from "@parley/stanza";
import { isPresence } from "@parley/testkit";
import { assertNoViolations, inRoom, mapped, postAndSee, type SlackHarness, startHarness, until } from "./harness.ts";

function roomMessage(h: SlackHarness, nick: string, extra: (m: Message) => boolean): Promise<Message> {
  return h.alice.waitFor(inRoom(h.room, nick, extra), { timeoutMs: 15_000 }).then((r) => r.stanza as Message);
}

describe("Slack to XMPP", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  let first = { ts: "", stanzaId: "" };

  it("carries a message from the member's puppet, named by display name, its rich text as XEP-0393 styling", async () => {
    const blocks = [
      {
        type: "rich_text",
        elements: [
          {
            type: "rich_text_section",
            elements: [
              { type: "text", text: "hello " },
              { type: "text", text: "world", style: { bold: true } },
              { type: "text", text: " " },
              { type: "emoji", name: "tada" },
            ],
          },
        ],
      },
    ];
    const { ts, seen, stanzaId } = await postAndSee(h, h.anna, "hello *world* :tada:", { blocks }, "hello *world* 🎉");
    assert.equal(seen.body, "hello *world* 🎉");
    first = { ts, stanzaId };
  });

  it("reads mrkdwn when there is no rich_text block: escapes undone, mentions resolved to names", async () => {
    const text = `a &lt;b&gt; &amp; <@${h.anna.id}> in <#${h.general.id}|general> ~no~`;
    const { seen } = await postAndSee(h, h.bob, text, { blocks: false }, "a <b> & Annie");
    // The engine writes a mention as the puppet's nick with an XEP-0372 reference.
    assert.equal(seen.body, "a <b> & Annie in #general ~no~");
    assert.ok(
      (seen.references ?? []).some((r) => r.uri.includes(h.anna.jid.split("@")[0] ?? "?")),
      "a mention reference",
    );
  });

  it("carries an edit as a correction", async () => {
    await mapped(h, first.ts);
    const m = roomMessage(h, h.anna.nick, (x) => x.replace !== undefined);
    h.fake.edit(h.general.id, first.ts, "hello again");
    const fix = await m;
    assert.equal(fix.body, "hello again");
  });

  it("carries a thread reply in the XEP-0201 thread of its parent", async () => {
    const root = await postAndSee(h, h.anna, "thread root");
    await mapped(h, root.ts);
    const reply = roomMessage(h, h.bob.nick, (x) => x.body?.includes("in the thread") === true);
    h.fake.post(h.general.id, h.bob.id, "in the thread", { threadTs: root.ts });
    const m = await reply;
    assert.equal(m.thread?.id, root.ts);
  });

  it("carries reactions by Slack name as Unicode emoji, added and removed", async () => {
    const added = roomMessage(h, h.bob.nick, (x) => x.reactions?.emojis.includes("👍") === true);
    h.fake.react(h.general.id, first.ts, h.bob.id, "+1", "add");
    const r = await added;
    assert.equal(r.reactions?.id, first.stanzaId);
    const removed = roomMessage(h, h.bob.nick, (x) => x.reactions !== undefined && x.reactions.emojis.length === 0);
    h.fake.react(h.general.id, first.ts, h.bob.id, "+1", "remove");
    await removed;
  });

  it("re-hosts a private file (downloaded with the bot token) and sends it with OOB, the token never in XMPP", async () => {
    const m = roomMessage(h, h.anna.nick, (x) => (x.oob?.length ?? 0) > 0);
    h.fake.post(h.general.id, h.anna.id, "", {
      files: [{ name: "cat.png", mimetype: "image/png", bytes: new Uint8Array(512).fill(3) }],
      blocks: false,
    });
    const file = await m;
    const url = file.oob?.[0]?.url ?? "";
    assert.ok(h.bridge?.httpUrl && url.startsWith(h.bridge.httpUrl), `re-hosted on the bridge: ${url}`);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 512);
    assert.ok(!JSON.stringify(file).includes(h.fake.botToken), "the bot token stays out of XMPP");
  });

  it("carries a deletion as a retraction by the puppet", async () => {
    const { ts, stanzaId } = await postAndSee(h, h.bob, "delete me");
    await mapped(h, ts);
    const m = roomMessage(h, h.bob.nick, (x) => x.retract !== undefined);
    h.fake.remove(h.general.id, ts);
    assert.equal((await m).retract?.id, stanzaId);
  });

  it("seats members present at start, active as available and away as away", async () => {
    // Anna is active and Bob away in the fake; the bridge asked users.getPresence at start.
    // Calls are spaced out for Slack's rate limit, so the members are asked one after the other.
    await until("users.getPresence asked for each member", () =>
      [h.anna.id, h.bob.id].every((id) =>
        h.fake.requests.some((r) => r.method === "users.getPresence" && r.args.user === id),
      ),
    );
    const away = await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${h.bob.nick}` && p.show === "away"),
      { timeoutMs: 15_000, description: "Bob's puppet in the room, away" },
    );
    assert.notEqual((away.stanza as Presence).type, "unavailable");
  });

  it("follows a profile change (user_change) with the new name in the room", async () => {
    const renamed = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Anna B` && p.type !== "unavailable"),
      { timeoutMs: 15_000 },
    );
    h.fake.updateUser(h.anna.id, { displayName: "Anna B" });
    await renamed;
  });

  it("carries a member leaving the channel as their puppet leaving the room", async () => {
    const left = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${h.bob.nick}` && p.type === "unavailable"),
      { timeoutMs: 15_000, description: "Bob's puppet leaving" },
    );
    h.fake.leaveChannel(h.general.id, h.bob.id);
    await left;
  });
});
