/**
 * The Discord bridge as deployed, in one process: real Prosody, the fake
 * Discord (real discord.js talks to it over HTTP and WebSocket), the engine on
 * a SQLite store, and XMPP users in the linked rooms. One harness per test
 * file; tests tell their traffic apart by its text.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bridge, type BridgeConfig, type BridgeStore, loadConfig } from "@parley/bridge";
import { openStore } from "@parley/bridge/internals";
import type { Message } from "@parley/stanza";
import {
  assertNoMoreInRoom,
  collectRoomMessages,
  type FakeDiscord,
  HARNESS_DELIVERY,
  harnessConfigText,
  inRoom,
  pollUntil,
  postAndSeeInRoom,
  recordingLogger,
  startAndAwaitRelay,
  startFakeDiscord,
  startXmppServer,
  TestClient,
  waitUntilMapped,
  type XmppServer,
  type XmppServerOptions,
} from "@parley/testkit";
import type { APIChannel, APIGuild, APIMessage, APIUser } from "discord-api-types/v10";
import { DiscordConnector, parseDiscordOptions } from "../src/index.ts";

export interface Member {
  readonly id: string;
  readonly user: APIUser;
  /** How the member's puppet is named in rooms. */
  readonly nick: string;
}

export interface DiscordHarness {
  readonly server: XmppServer;
  readonly fake: FakeDiscord;
  readonly guild: APIGuild;
  /** Linked channels and their rooms: `general` <-> `room`, `random` <-> `room2`. */
  readonly general: APIChannel;
  readonly random: APIChannel;
  readonly room: string;
  readonly room2: string;
  readonly anna: Member;
  readonly bob: Member;
  readonly alice: TestClient;
  readonly domain: string;
  readonly dir: string;
  readonly store: BridgeStore;
  readonly config: BridgeConfig;
  bridge: Bridge | undefined;
  connector: DiscordConnector | undefined;
  /** Lines the bridge logged at warn and above (for "never crashes, says why" checks). */
  readonly warnings: string[];
  startBridge(): Promise<void>;
  stopBridge(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra `connectors.discord` settings (YAML flow mapping entries, e.g. `catchUpLimit: 3`). */
  readonly discord?: Readonly<Record<string, unknown>>;
  /** For the XMPP server (e.g. a second component whose users a test plays); the bridge is its first component. */
  readonly xmpp?: XmppServerOptions;
}

export async function startHarness(o: HarnessOptions = {}): Promise<DiscordHarness> {
  const server = await startXmppServer("prosody", o.xmpp);
  const fake = await startFakeDiscord({ botName: "Parley" });
  const guild = fake.createGuild({ name: "Parley test guild" });
  const general = fake.createChannel(guild.id, { name: "general" });
  const random = fake.createChannel(guild.id, { name: "random" });
  const annaM = fake.addMember(guild.id, { username: "anna", globalName: "Anna", nick: "Annie", avatar: true });
  const bobM = fake.addMember(guild.id, { username: "bob", globalName: "Bob" });
  const dir = mkdtempSync(join(tmpdir(), "parley-discord-"));
  const stamp = `${process.pid}-${Date.now()}`;
  const room = `general-${stamp}@${server.mucDomain}`;
  const room2 = `random-${stamp}@${server.mucDomain}`;
  const component = server.components[0];
  const account = server.accounts[0];
  assert.ok(component && account, "the test server has a component and an account");
  const discord = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${DISCORD_TOKEN}` is loadConfig's syntax, read from env below
    token: "${DISCORD_TOKEN}",
    apiUrl: fake.restUrl,
    cdnUrl: fake.cdnUrl,
    ...o.discord,
  };
  const config = loadConfig(
    {
      text: harnessConfigText({
        server,
        domain: component.domain,
        admin: account.jid,
        dir,
        network: "discord",
        links: [
          { channel: general.id, room },
          { channel: random.id, room: room2 },
        ],
        connector: discord,
      }),
    },
    { env: { SECRET: component.secret, DISCORD_TOKEN: fake.token } },
  );
  const store = await openStore(config.store.url);
  const alice = await TestClient.connect(server, account);
  await alice.joinRoom(room, "alice");
  await alice.joinRoom(room2, "alice");
  const warnings: string[] = [];
  const logger = recordingLogger(warnings);
  const h: DiscordHarness = {
    server,
    fake,
    guild,
    general,
    random,
    room,
    room2,
    anna: { id: annaM.user.id, user: annaM.user, nick: "Annie" },
    bob: { id: bobM.user.id, user: bobM.user, nick: "Bob" },
    alice,
    domain: component.domain,
    dir,
    store,
    config,
    bridge: undefined,
    connector: undefined,
    warnings,
    async startBridge() {
      await startAndAwaitRelay(alice, room, async () => {
        const connector = new DiscordConnector(parseDiscordOptions(config.connectors.discord), {
          logger,
          allowPrivateAddresses: true,
        });
        h.connector = connector;
        h.bridge = await Bridge.start({ config, connector, store, logger, delivery: HARNESS_DELIVERY });
      });
    },
    async stopBridge() {
      await h.bridge?.stop();
      h.bridge = undefined;
      h.connector = undefined;
    },
    async close() {
      await h.bridge?.stop().catch(() => undefined);
      await alice.stop();
      await store.close().catch(() => undefined);
      await fake.stop();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await h.startBridge();
  } catch (e) {
    await h.close();
    throw e;
  }
  return h;
}

export { inRoom };

/** Waits for a groupchat message and returns it parsed. */
export async function roomMessage(
  h: DiscordHarness,
  room: string,
  nick: string | undefined,
  extra: (m: Message) => boolean,
  timeoutMs = 10_000,
): Promise<Message> {
  return (await h.alice.waitFor(inRoom(room, nick, extra), { timeoutMs })).stanza as Message;
}

/** Posts on Discord as `member` and waits for the message in `room` from their puppet; returns both. */
export async function postAndSee(
  h: DiscordHarness,
  member: Member,
  channel: APIChannel,
  room: string,
  content: string,
  extra?: Parameters<FakeDiscord["post"]>[3],
  /** What the body shows (default: `content`, for text without markdown). */
  shown = content,
): Promise<{ posted: APIMessage; seen: Message; stanzaId: string }> {
  return postAndSeeInRoom(h.alice, { room, nick: member.nick, shown, timeoutMs: 10_000 }, () =>
    h.fake.post(channel.id, member.id, content, extra),
  );
}

/** Polls `check` until it returns something, failing with `what`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  return pollUntil(what, check, { timeoutMs, intervalMs: 20 });
}

/** Waits until the engine's message map has the room's stanza-id for a Discord message. */
export async function mapped(h: DiscordHarness, remoteId: string): Promise<void> {
  await waitUntilMapped(h.store, "discord", remoteId, { timeoutMs: 10_000, intervalMs: 20 });
}

/** No request the real Discord API would refuse was made, and the fake gave no answer the real one never gives. */
export function assertNoViolations(h: DiscordHarness): void {
  assert.deepEqual(h.fake.violations, [], "requests the real Discord API would reject, or answers it never gives");
}

/** Collects the messages from `nick` in `room` whose body starts with `prefix`, in arrival order, until `count` arrived. */
export async function collectInRoom(
  h: DiscordHarness,
  room: string,
  nick: string,
  prefix: string,
  count: number,
): Promise<Message[]> {
  return collectRoomMessages(h.alice, { room, nick, prefix, count, timeoutMs: 15_000 });
}

/** Sends `sentinel` through and checks that nothing else starting with `prefix` arrived meanwhile (no duplicates). */
export async function nothingMoreInRoom(
  h: DiscordHarness,
  room: string,
  prefix: string,
  sentinel = `sentinel ${prefix.trim()}`,
): Promise<void> {
  await postAndSee(h, h.bob, h.general, room, sentinel);
  await assertNoMoreInRoom(h.alice, room, prefix);
}
