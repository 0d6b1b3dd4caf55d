/**
 * GatewayEvents on its own, with the engine and the caches stubbed: who a
 * message is from (the bridge's echoes, other webhooks, people), DM routing,
 * and payloads that are not what the gateway promises.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ConnectorHost, silentLogger } from "@parley/bridge";
import { CDN } from "discord.js";
import type { DmChannels } from "../src/dm-channels.ts";
import { GatewayEvents, reactionEmoji } from "../src/gateway-events.ts";
import type { GuildDirectory } from "../src/guild-directory.ts";
import type { ChannelWebhooks } from "../src/webhooks.ts";

const GUILD = "1";
const LINKED = "100";
const THREAD = "150";
const BOT = "9";
const OUR_WEBHOOK = "77";

function setup() {
  const calls: Array<[string, Record<string, unknown>]> = [];
  const record =
    (name: string) =>
    async (...args: unknown[]) =>
      void calls.push([name, (args.length === 1 ? args[0] : { args }) as Record<string, unknown>]);
  const host = {
    network: "discord",
    logger: silentLogger,
    message: record("message"),
    edit: record("edit"),
    delete: record("delete"),
    reaction: record("reaction"),
    typing: record("typing"),
    presence: record("presence"),
    profile: record("profile"),
    membership: record("membership"),
    roomsOf: (c: string) => (c === LINKED ? ["room@muc.test"] : []),
    linkedChannels: () => [LINKED],
  } as unknown as ConnectorHost;
  const directory = {
    guildOf: (c: string) => (c === LINKED || c === THREAD ? GUILD : undefined),
    placeOf: async (c: string) =>
      c === THREAD ? { channel: LINKED, thread: THREAD, guildId: GUILD } : { channel: c, guildId: GUILD },
    person: () => undefined,
    personAnywhere: () => undefined,
    fetchPerson: async (id: string) => ({ id, username: `user${id}` }),
    roleName: () => undefined,
    channelName: () => undefined,
    learnChannel: () => undefined,
  } as unknown as GuildDirectory;
  const dms = { learnChannel: () => undefined } as unknown as DmChannels;
  const events = new GatewayEvents({
    host,
    logger: silentLogger,
    cdn: new CDN("http://cdn.test"),
    directory,
    webhooks: { isOwn: (id: string) => id === OUR_WEBHOOK } as unknown as ChannelWebhooks,
    dms,
    rehostAttachments: true,
    botId: () => BOT,
  });
  return { events, calls };
}

const isBridge = (user: unknown): boolean =>
  user !== null && typeof user === "object" && (user as { isBridge?: boolean }).isBridge === true;

const message = (extra: Record<string, unknown>) => ({
  id: "500",
  channel_id: LINKED,
  guild_id: GUILD,
  type: 0,
  content: "hi",
  timestamp: "2025-01-01T00:00:00.000Z",
  author: { id: "20", username: "bob", global_name: "Bob" },
  member: { nick: "Bobby" },
  mentions: [],
  ...extra,
});

describe("gateway events", () => {
  // The catch-up cursors and the list of messages relayed lately follow what the engine is handed (the engine's
  // remote-catch-up tests): a thread message, with its `thread`, moves the thread's cursor.
  it("hands a member's message over with their guild name and its time", async () => {
    const { events, calls } = setup();
    await events.handle("MESSAGE_CREATE", message({}));
    const [name, m] = calls[0] ?? [];
    assert.equal(name, "message");
    assert.equal(m?.channel, LINKED);
    assert.deepEqual(m?.author, { id: "20", displayName: "Bobby" });
    assert.equal(m?.timestamp, Date.parse("2025-01-01T00:00:00.000Z"));
    await events.handle("MESSAGE_DELETE", { id: "500", channel_id: LINKED, guild_id: GUILD });
    assert.equal(calls[1]?.[0], "delete");
  });

  it("marks the bridge's own webhook and bot messages as echoes, and relays other webhooks as puppets", async () => {
    const { events, calls } = setup();
    await events.handle(
      "MESSAGE_CREATE",
      message({ id: "501", webhook_id: OUR_WEBHOOK, author: { id: OUR_WEBHOOK, username: "alice" } }),
    );
    await events.handle("MESSAGE_CREATE", message({ id: "502", author: { id: BOT, username: "Parley", bot: true } }));
    await events.handle(
      "MESSAGE_CREATE",
      message({ id: "503", webhook_id: "88", author: { id: "88", username: "GitHub" } }),
    );
    assert.equal(isBridge(calls[0]?.[1].author), true);
    assert.equal(isBridge(calls[1]?.[1].author), true);
    assert.deepEqual(calls[2]?.[1].author, { id: "88", displayName: "GitHub" });
  });

  it("puts thread messages in the parent channel with the thread (the engine's message map keeps it)", async () => {
    const { events, calls } = setup();
    await events.handle("MESSAGE_CREATE", message({ id: "504", channel_id: THREAD }));
    assert.equal(calls[0]?.[1].channel, LINKED);
    assert.equal(calls[0]?.[1].thread, THREAD);
  });

  it("ignores channels linked to no room, and system notices", async () => {
    const { events, calls } = setup();
    await events.handle("MESSAGE_CREATE", message({ id: "505", channel_id: "999" }));
    await events.handle("MESSAGE_CREATE", message({ id: "506", type: 7 }));
    assert.deepEqual(calls, []);
  });

  it("hands DMs to the engine as direct messages (it routes them), and skips the bot's own", async () => {
    const { events, calls } = setup();
    const dm = { channel_id: "700", guild_id: undefined, member: undefined };
    await events.handle("MESSAGE_CREATE", message({ ...dm, id: "600", author: { id: "30", username: "carl" } }));
    await events.handle("MESSAGE_CREATE", message({ ...dm, id: "602", author: { id: BOT, username: "Parley" } }));
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.[1].direct, true);
    assert.equal(calls[0]?.[1].channel, "700");
    assert.equal(calls[0]?.[1].directTo, undefined);
  });

  it("carries edits only when Discord says the message was edited", async () => {
    const { events, calls } = setup();
    await events.handle("MESSAGE_UPDATE", message({ content: "link preview resolved", edited_timestamp: null }));
    await events.handle("MESSAGE_UPDATE", message({ content: "fixed", edited_timestamp: "2025-01-01T00:01:00.000Z" }));
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.[0], "edit");
  });

  it("carries reactions with custom emoji as :name:, and the bot's own as echoes", async () => {
    const { events, calls } = setup();
    const base = { channel_id: LINKED, message_id: "500", guild_id: GUILD };
    await events.handle("MESSAGE_REACTION_ADD", { ...base, user_id: "20", emoji: { id: "5", name: "blob" } });
    await events.handle("MESSAGE_REACTION_REMOVE", { ...base, user_id: BOT, emoji: { id: null, name: "👍" } });
    assert.equal(calls[0]?.[1].emoji, ":blob:");
    assert.equal(calls[0]?.[1].action, "add");
    assert.equal(isBridge(calls[1]?.[1].user), true);
    assert.equal(reactionEmoji({ id: "1", name: null }), undefined);
  });

  it("skips malformed payloads without throwing or calling the engine", async () => {
    const { events, calls } = setup();
    const junk: Array<[string, unknown]> = [
      ["MESSAGE_CREATE", null],
      ["MESSAGE_CREATE", "text"],
      ["MESSAGE_CREATE", { id: 5, channel_id: LINKED }],
      ["MESSAGE_CREATE", { id: "507", channel_id: LINKED, guild_id: GUILD, author: "nobody" }],
      ["MESSAGE_UPDATE", { id: "1", channel_id: LINKED, content: 5 }],
      ["MESSAGE_DELETE", { channel_id: LINKED }],
      ["MESSAGE_DELETE_BULK", { ids: "x", channel_id: LINKED }],
      ["MESSAGE_REACTION_ADD", { user_id: "1", channel_id: LINKED, message_id: "1", emoji: "??" }],
      ["TYPING_START", { channel_id: 1 }],
      ["PRESENCE_UPDATE", { user: null }],
      ["GUILD_CREATE", { id: GUILD, presences: [null, { user: {} }], members: "x", threads: [1] }],
      ["GUILD_MEMBER_ADD", { guild_id: GUILD }],
      ["GUILD_MEMBER_UPDATE", { guild_id: GUILD, user: 1 }],
      ["THREAD_LIST_SYNC", { threads: [null] }],
      ["SOMETHING_NEW", { whatever: true }],
    ];
    for (const [t, d] of junk) await events.handle(t, d);
    assert.deepEqual(calls, []);
  });
});
