/**
 * The fake Discord driven by the real discord.js client: login, and scenario
 * events (posts, edits, deletes, reactions, typing, presence, members,
 * threads, DMs) arriving as discord.js events.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import {
  ChannelType,
  Client,
  type ClientOptions,
  GatewayIntentBits,
  type GuildMember,
  type Message,
  type MessageReaction,
  Partials,
  PermissionFlagsBits,
  type Presence,
  type ThreadChannel,
} from "discord.js";
import { type FakeDiscord, startFakeDiscord } from "../src/discord/index.ts";

const ALL_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildPresences,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.GuildMessageTyping,
  GatewayIntentBits.GuildExpressions,
  GatewayIntentBits.GuildWebhooks,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
];

async function connect(fake: FakeDiscord, intents = ALL_INTENTS, more: Partial<ClientOptions> = {}): Promise<Client> {
  const client = new Client({
    intents,
    partials: [Partials.Channel, Partials.Message],
    rest: { api: fake.restUrl, cdn: fake.cdnUrl },
    ...more,
  });
  const ready = once(client, "clientReady");
  await client.login(fake.token);
  await ready;
  return client;
}

/** Records every emission of the named discord.js events. */
function record<T extends unknown[]>(client: Client, event: string): T[] {
  const seen: T[] = [];
  client.on(event, (...args: unknown[]) => seen.push(args as T));
  return seen;
}

describe("fake Discord: login and scenario events through discord.js", () => {
  let fake: FakeDiscord;
  let client: Client;
  let guildId: string;
  let generalId: string;
  let alice: { user: { id: string } };
  let bob: { user: { id: string } };

  before(async () => {
    fake = await startFakeDiscord({ botName: "Parley" });
    guildId = fake.createGuild({ name: "Parley Guild" }).id;
    generalId = fake.createChannel(guildId, { name: "general" }).id;
    alice = fake.addMember(guildId, { username: "alice", globalName: "Alice", avatar: true });
    bob = fake.addMember(guildId, { username: "bob", nick: "Bobby" });
    client = await connect(fake);
  });

  after(async () => {
    await client?.destroy();
    await fake?.stop();
  });

  it("login reaches clientReady with the guild, its channels, members and the bot's permissions cached", async () => {
    assert.equal(client.user?.id, fake.bot.id);
    assert.equal(client.user?.username, "Parley");
    const guild = client.guilds.cache.get(guildId);
    assert.ok(guild, "the guild is cached from GUILD_CREATE");
    assert.equal(guild.name, "Parley Guild");
    assert.equal(guild.channels.cache.get(generalId)?.name, "general");
    assert.equal(guild.members.cache.get(alice.user.id)?.displayName, "Alice");
    assert.equal(guild.members.cache.get(bob.user.id)?.displayName, "Bobby");
    const me = guild.members.me;
    assert.ok(me, "the bot's own member is in the guild");
    assert.equal(me.permissions.has(PermissionFlagsBits.ManageWebhooks), true);
    assert.equal(me.permissions.has(PermissionFlagsBits.Administrator), false);
    assert.equal(fake.gatewaySessions, 1);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.route} ${r.status}`),
      ["GET /gateway/bot 200"],
    );
    // Listing members goes over the gateway (op 8, answered with GUILD_MEMBERS_CHUNK).
    const members = await guild.members.fetch();
    assert.deepEqual([...members.keys()].sort(), [fake.bot.id, alice.user.id, bob.user.id].sort());
    assert.equal(fake.requests.length, 1, "no REST call was needed");
  });

  it("scenario calls that name what does not exist fail with a clear error; waitFor names what it awaited", async () => {
    assert.throws(() => fake.post("123", alice.user.id, "x"), /no channel 123/);
    assert.throws(() => fake.post(generalId, "456", "x"), /no user 456/);
    const stranger = fake.addMember(fake.createGuild({ name: "Elsewhere" }).id, { username: "stranger" });
    assert.throws(() => fake.post(generalId, stranger.user.id, "x"), /not a member/);
    assert.throws(() => fake.edit(generalId, "789", "x"), /no message 789/);
    assert.throws(() => fake.addMember(guildId, { username: "eve", roles: ["1"] }), /no role 1/);
    await assert.rejects(
      fake.waitFor(() => fake.messages(generalId).find((m) => m.content === "never sent"), {
        timeoutMs: 200,
        what: "a message nobody sends",
      }),
      /waiting for a message nobody sends[\s\S]*GET \/gateway\/bot -> 200/,
    );
  });

  it("a post arrives as messageCreate with content, mentions, reply, embed, and attachments the CDN serves", async () => {
    const created = record<[Message]>(client, "messageCreate");
    const role = fake.createRole(guildId, { name: "xmpp-users" });
    const first = fake.post(generalId, bob.user.id, "first");
    const text = "notes\n";
    const posted = fake.post(generalId, alice.user.id, `hi <@${bob.user.id}> <@&${role.id}> see <#${generalId}>`, {
      attachments: [
        { filename: "cat.png" },
        { filename: "notes.txt", contentType: "text/plain", bytes: new TextEncoder().encode(text) },
      ],
      embeds: [{ title: "A link", url: "https://example.org/" }],
      replyTo: first.id,
      nonce: "n-1",
    });
    const [m] = await fake.waitFor(() => created.find(([x]) => x.id === posted.id), { what: "the post" });
    assert.equal(m.content, `hi <@${bob.user.id}> <@&${role.id}> see <#${generalId}>`);
    assert.equal(m.author.id, alice.user.id);
    assert.equal(m.member?.displayName, "Alice");
    assert.equal(m.channelId, generalId);
    assert.equal(m.nonce, "n-1");
    // Bob is named in the content and is the author of the message replied to: one mention.
    assert.deepEqual([...m.mentions.users.keys()], [bob.user.id]);
    assert.deepEqual([...m.mentions.roles.keys()], [role.id]);
    assert.deepEqual([...m.mentions.channels.keys()], [generalId]);
    assert.equal(m.reference?.messageId, first.id);
    assert.equal(m.embeds[0]?.title, "A link");
    assert.equal(m.attachments.size, 2);

    const png = m.attachments.find((a) => a.name === "cat.png");
    assert.ok(png, "the image is attached");
    assert.ok(png.url.startsWith(fake.cdnUrl), png.url);
    const pngRes = await fetch(png.url);
    assert.equal(pngRes.status, 200);
    assert.equal(pngRes.headers.get("content-type"), "image/png");
    const bytes = new Uint8Array(await pngRes.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal(png.width, 32);

    const txt = m.attachments.find((a) => a.name === "notes.txt");
    assert.ok(txt);
    assert.equal(await (await fetch(txt.url)).text(), text);

    const stickerPost = fake.post(generalId, bob.user.id, "", { stickers: [{ name: "wave" }] });
    const [withSticker] = await fake.waitFor(() => created.find(([x]) => x.id === stickerPost.id), {
      what: "the sticker post",
    });
    const sticker = withSticker.stickers.first();
    assert.equal(sticker?.name, "wave");
    assert.equal((await fetch(sticker?.url ?? "")).status, 200, "the sticker image is served");
    const emoji = fake.createEmoji(guildId, { name: "blob", animated: true });
    const emojiUrl = client.emojis.resolve(emoji.id ?? "")?.imageURL() ?? `${fake.cdnUrl}/emojis/${emoji.id}.gif`;
    assert.equal((await fetch(emojiUrl)).status, 200, "the custom emoji is served");

    const avatar = m.author.displayAvatarURL({ extension: "png" });
    assert.ok(avatar.startsWith(`${fake.cdnUrl}/avatars/${alice.user.id}/`), avatar);
    assert.equal((await fetch(avatar)).status, 200);
    assert.equal((await fetch(`${fake.cdnUrl}/avatars/${alice.user.id}/nohash.png`)).status, 404);
  });

  it("edits, deletes, reactions, typing, presence and member changes arrive as discord.js events", async () => {
    const updates = record<[Message, Message]>(client, "messageUpdate");
    const deletes = record<[Message]>(client, "messageDelete");
    const added = record<[MessageReaction, { id: string }]>(client, "messageReactionAdd");
    const removed = record<[MessageReaction, { id: string }]>(client, "messageReactionRemove");
    const typing = record<[{ user: { id: string }; channel: { id: string } }]>(client, "typingStart");
    const presences = record<[Presence | null, Presence]>(client, "presenceUpdate");
    const memberUpdates = record<[GuildMember, GuildMember]>(client, "guildMemberUpdate");
    const joins = record<[GuildMember]>(client, "guildMemberAdd");
    const leaves = record<[GuildMember]>(client, "guildMemberRemove");

    const msg = fake.post(generalId, alice.user.id, "draft");
    fake.edit(generalId, msg.id, "final");
    const [, after] = await fake.waitFor(() => updates.find(([, n]) => n.id === msg.id), { what: "messageUpdate" });
    assert.equal(after.content, "final");
    assert.ok(after.editedTimestamp, "edited_timestamp is set");

    fake.react(generalId, msg.id, bob.user.id, "👍", "add");
    const emoji = fake.createEmoji(guildId, { name: "parley" });
    fake.react(generalId, msg.id, alice.user.id, { id: emoji.id ?? "", name: "parley" }, "add");
    await fake.waitFor(() => added.length === 2, { what: "two reactions" });
    assert.equal(added[0]?.[0].emoji.name, "👍");
    assert.equal(added[0]?.[1].id, bob.user.id);
    assert.equal(added[1]?.[0].emoji.id, emoji.id);
    assert.deepEqual(fake.reactionsOn(generalId, msg.id), [
      { emoji: "👍", users: [bob.user.id] },
      { emoji: `parley:${emoji.id}`, users: [alice.user.id] },
    ]);
    fake.react(generalId, msg.id, bob.user.id, "👍", "remove");
    await fake.waitFor(() => removed.length === 1, { what: "reaction removed" });
    assert.equal(removed[0]?.[0].emoji.name, "👍");

    fake.typing(generalId, bob.user.id);
    await fake.waitFor(() => typing.find(([t]) => t.user.id === bob.user.id), { what: "typingStart" });

    fake.setPresence(alice.user.id, { status: "idle", customStatus: "brb" });
    const [, presence] = await fake.waitFor(() => presences.find(([, p]) => p.userId === alice.user.id), {
      what: "presenceUpdate",
    });
    assert.equal(presence.status, "idle");
    assert.equal(presence.activities[0]?.state, "brb");

    fake.updateMember(guildId, bob.user.id, { nick: "Robert" });
    const [, bobNow] = await fake.waitFor(() => memberUpdates.find(([, m]) => m.id === bob.user.id), {
      what: "guildMemberUpdate",
    });
    assert.equal(bobNow.displayName, "Robert");

    fake.remove(generalId, msg.id);
    await fake.waitFor(() => deletes.find(([m]) => m.id === msg.id), { what: "messageDelete" });
    assert.equal(fake.message(generalId, msg.id), undefined);

    const carol = fake.addMember(guildId, { username: "carol" });
    await fake.waitFor(() => joins.find(([m]) => m.id === carol.user.id), { what: "guildMemberAdd" });
    fake.removeMember(guildId, carol.user.id);
    await fake.waitFor(() => leaves.find(([m]) => m.id === carol.user.id), { what: "guildMemberRemove" });
  });

  it("threads: a thread from a message and a post inside it arrive; the starter message is marked", async () => {
    const threads = record<[ThreadChannel, boolean]>(client, "threadCreate");
    const created = record<[Message]>(client, "messageCreate");
    const starter = fake.post(generalId, alice.user.id, "let's talk here");
    const thread = fake.createThread(generalId, { name: "side talk", fromMessage: starter.id, by: alice.user.id });
    assert.equal(thread.id, starter.id, "a thread from a message takes the message's id");
    assert.equal(thread.type, ChannelType.PublicThread);
    const [t, newlyCreated] = await fake.waitFor(() => threads.find(([x]) => x.id === thread.id), {
      what: "threadCreate",
    });
    assert.equal(newlyCreated, true);
    assert.equal(t.parentId, generalId);
    const inThread = fake.post(thread.id, bob.user.id, "inside");
    const [m] = await fake.waitFor(() => created.find(([x]) => x.id === inThread.id), { what: "thread message" });
    assert.equal(m.channel.isThread(), true);
    assert.equal(m.channelId, thread.id);
    assert.equal(fake.message(generalId, starter.id)?.thread?.id, thread.id);

    const loose = fake.createThread(generalId, { name: "no starter", by: bob.user.id });
    const system = fake.messages(generalId).at(-1);
    assert.equal(system?.type, 18, "Discord posts a THREAD_CREATED system message in the parent");
    assert.equal(system?.message_reference?.channel_id, loose.id);
  });

  it("a DM from a user arrives and the bot's answer is in dmMessages", async () => {
    const created = record<[Message]>(client, "messageCreate");
    const dm = fake.openDm(alice.user.id);
    assert.equal(dm.type, ChannelType.DM);
    const posted = fake.post(dm.id, alice.user.id, "psst");
    const [m] = await fake.waitFor(() => created.find(([x]) => x.id === posted.id), { what: "the DM" });
    assert.equal(m.channel.type, ChannelType.DM);
    assert.equal(m.guildId, null);
    await m.reply("hello in private");
    const user = await client.users.fetch(alice.user.id);
    await user.send("and again");
    assert.deepEqual(
      fake.dmMessages(alice.user.id).map((x) => x.content),
      ["hello in private", "and again"],
    );
    assert.deepEqual(fake.violations, []);
  });
});

describe("fake Discord: intents shape what a session receives", () => {
  let fake: FakeDiscord;
  let client: Client;
  let guildId: string;
  let generalId: string;
  let aliceId: string;

  before(async () => {
    fake = await startFakeDiscord();
    guildId = fake.createGuild({ name: "Quiet" }).id;
    generalId = fake.createChannel(guildId, { name: "general" }).id;
    aliceId = fake.addMember(guildId, { username: "alice" }).user.id;
    fake.setPresence(aliceId, { status: "online" });
    // No MESSAGE_CONTENT, GUILD_MEMBERS or GUILD_PRESENCES.
    client = await connect(fake, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages]);
  });

  after(async () => {
    await client?.destroy();
    await fake?.stop();
  });

  it("without GUILD_MEMBERS and GUILD_PRESENCES the guild has only the bot, and presence and member events stay away", async () => {
    const guild = client.guilds.cache.get(guildId);
    assert.deepEqual([...(guild?.members.cache.keys() ?? [])], [fake.bot.id]);
    assert.equal(guild?.presences.cache.size, 0);
    const presences = record(client, "presenceUpdate");
    const joins = record(client, "guildMemberAdd");
    const posts = record<[Message]>(client, "messageCreate");
    fake.setPresence(aliceId, { status: "dnd" });
    fake.addMember(guildId, { username: "dave" });
    const marker = fake.post(generalId, aliceId, "marker");
    // Dispatches go out in order, so once the later message is in, the earlier events would have been too.
    await fake.waitFor(() => posts.find(([m]) => m.id === marker.id), { what: "the marker message" });
    assert.equal(presences.length, 0);
    assert.equal(joins.length, 0);
  });

  it("without MESSAGE_CONTENT content is empty, except in messages that mention the bot", async () => {
    const created = record<[Message]>(client, "messageCreate");
    const plain = fake.post(generalId, aliceId, "secret words", { attachments: [{ filename: "a.png" }] });
    const mention = fake.post(generalId, aliceId, `<@${fake.bot.id}> ping`);
    await fake.waitFor(() => created.length >= 2, { what: "both messages" });
    const first = created.find(([m]) => m.id === plain.id)?.[0];
    const second = created.find(([m]) => m.id === mention.id)?.[0];
    assert.equal(first?.content, "");
    assert.equal(first?.attachments.size, 0);
    assert.equal(second?.content, `<@${fake.bot.id}> ping`);
    assert.equal(fake.message(generalId, plain.id)?.content, "secret words", "the fake still holds the content");
  });
});
