/**
 * The Slack bridge as deployed, in one process: a real XMPP server, the
 * fake Slack (the real Bolt talks to it over HTTP and Socket Mode), the
 * engine on a SQLite store, and an XMPP user, alice, in the linked room.
 * One harness per test file; tests tell their traffic apart by its text.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bridge, type BridgeConfig, type BridgeStore, loadConfig } from "@parley/bridge";
import { openStore } from "@parley/bridge/internals";
import { localFromRemoteId, type Message, stanzaIdBy } from "@parley/stanza";
import {
  assertNoMoreInRoom,
  collectRoomMessages,
  type FakeSlack,
  HARNESS_DELIVERY,
  harnessConfigText,
  inRoom,
  isMessage,
  pollUntil,
  postAndSeeInRoom,
  recordingLogger,
  type SlackChannel,
  type SlackPostOptions,
  type SlackRateLimitOptions,
  startAndAwaitRelay,
  startFakeSlack,
  startXmppServer,
  TestClient,
  waitUntilMapped,
  type XmppServer,
  type XmppServerKind,
} from "@parley/testkit";
import { parseSlackOptions, SlackConnector } from "../src/index.ts";

export interface Member {
  readonly id: string;
  /** How the member's puppet is named in rooms. */
  readonly nick: string;
  /** The puppet's bare JID. */
  readonly jid: string;
}

export interface SlackHarness {
  readonly server: XmppServer;
  readonly fake: FakeSlack;
  /** The linked channel and its room. */
  readonly general: SlackChannel;
  readonly room: string;
  readonly anna: Member;
  readonly bob: Member;
  readonly alice: TestClient;
  readonly domain: string;
  readonly store: BridgeStore;
  readonly config: BridgeConfig;
  bridge: Bridge | undefined;
  connector: SlackConnector | undefined;
  /** Lines the bridge logged at warn and above. */
  readonly warnings: string[];
  startBridge(): Promise<void>;
  stopBridge(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly server?: XmppServerKind;
  /** Extra `connectors.slack` settings (`undefined` removes a default). */
  readonly slack?: Readonly<Record<string, unknown>>;
  /** Runs once the fake is up, before the bridge starts (e.g. to point HTTP events at the bridge). */
  readonly beforeBridge?: (fake: FakeSlack) => void;
  /** The fake's rate limits, where a test needs other than Slack's documented minimums. */
  readonly rateLimits?: SlackRateLimitOptions;
}

export async function startHarness(o: HarnessOptions = {}): Promise<SlackHarness> {
  const server = await startXmppServer(o.server ?? "prosody");
  const fake = await startFakeSlack({
    botName: "Parley",
    ...(o.rateLimits !== undefined && { rateLimits: o.rateLimits }),
  });
  const annaU = fake.createUser({ name: "anna", realName: "Anna Smith", displayName: "Annie", presence: "active" });
  const bobU = fake.createUser({ name: "bob", realName: "Bob", presence: "away" });
  const general = fake.createChannel({ name: "general", members: [annaU.id, bobU.id] });
  const dir = mkdtempSync(join(tmpdir(), "parley-slack-"));
  const room = `general-${process.pid}-${Date.now()}@${server.mucDomain}`;
  const component = server.components[0];
  const account = server.accounts[0];
  assert.ok(component && account, "the test server has a component and an account");
  const slack = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: loadConfig's ${NAME} syntax, read from env below
    botToken: "${SLACK_BOT_TOKEN}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: as above
    appToken: "${SLACK_APP_TOKEN}",
    apiUrl: fake.apiUrl,
    presenceIntervalSeconds: 30,
    ...o.slack,
  };
  const config = loadConfig(
    {
      text: harnessConfigText({
        server,
        domain: component.domain,
        admin: account.jid,
        dir,
        network: "slack",
        links: [{ channel: general.id, room }],
        connector: slack,
      }),
    },
    {
      env: {
        SECRET: component.secret,
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_APP_TOKEN: fake.appToken,
        SLACK_SIGNING_SECRET: fake.signingSecret,
      },
    },
  );
  const store = await openStore(config.store.url);
  const alice = await TestClient.connect(server, account);
  await alice.joinRoom(room, "alice");
  const warnings: string[] = [];
  const logger = recordingLogger(warnings);
  const member = (id: string, nick: string): Member => ({
    id,
    nick,
    jid: `${localFromRemoteId(id)}@${component.domain}`,
  });
  const h: SlackHarness = {
    server,
    fake,
    general,
    room,
    anna: member(annaU.id, "Annie"),
    bob: member(bobU.id, "Bob"),
    alice,
    domain: component.domain,
    store,
    config,
    bridge: undefined,
    connector: undefined,
    warnings,
    async startBridge() {
      await startAndAwaitRelay(alice, room, async () => {
        const connector = new SlackConnector(parseSlackOptions(config.connectors.slack), {
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
      // Stopped means gone from Slack's side too: until the fake has seen the socket close, it would
      // still send events into it (on a busy machine, a while after the bridge let go).
      const deadline = Date.now() + 10_000;
      while (fake.connections.open > 0) {
        if (Date.now() > deadline) throw new Error("the fake Slack still holds the stopped bridge's socket after 10 s");
        await new Promise((r) => setTimeout(r, 20));
      }
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
  o.beforeBridge?.(fake);
  try {
    await h.startBridge();
  } catch (e) {
    await h.close();
    throw e;
  }
  return h;
}

export { inRoom };

/** Posts on Slack as `member` and waits for the message in the room from their puppet. */
export async function postAndSee(
  h: SlackHarness,
  member: Member,
  text: string,
  o?: SlackPostOptions,
  shown = text,
): Promise<{ ts: string; seen: Message; stanzaId: string }> {
  const r = await postAndSeeInRoom(h.alice, { room: h.room, nick: member.nick, shown, timeoutMs: 15_000 }, () =>
    h.fake.post(h.general.id, member.id, text, o),
  );
  return { ts: r.posted.ts, seen: r.seen, stanzaId: r.stanzaId };
}

/** Polls `check` until it returns something, failing with `what`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  return pollUntil(what, check, { timeoutMs, intervalMs: 25 });
}

/** Waits until the engine's message map knows a Slack message by its ts. */
export async function mapped(h: SlackHarness, ts: string): Promise<void> {
  await waitUntilMapped(h.store, "slack", ts, { timeoutMs: 15_000, intervalMs: 25 });
}

/**
 * An outage only history can bridge: Annie says something the bridge maps,
 * the bridge stops, Bob says "away 0" to "away <count - 1>", Slack gives up
 * handing those over (as it does once an app has been away past its
 * retries), and the bridge starts again.
 */
export async function outageOnlyHistoryKnows(h: SlackHarness, count: number): Promise<void> {
  const { ts } = await postAndSee(h, h.anna, "before the outage");
  await mapped(h, ts);
  await h.stopBridge();
  for (let i = 0; i < count; i++) h.fake.post(h.general.id, h.bob.id, `away ${i}`);
  assert.equal(h.fake.giveUpUndelivered(), count);
  await h.startBridge();
}

/** No request the real Slack would refuse was made. */
export function assertNoViolations(h: SlackHarness): void {
  assert.deepEqual(h.fake.violations, [], "requests the real Slack Web API would reject");
}

/** Alice says something in the room; resolves with its id and the room's stanza-id once reflected. */
export async function alicePosts(
  h: SlackHarness,
  send: (id: string) => Promise<void>,
  id: string,
): Promise<{ id: string; sid: string }> {
  const reflected = h.alice.waitFor(isMessage((m) => m.id === id && m.from === `${h.room}/alice`));
  await send(id);
  const sid = stanzaIdBy((await reflected).stanza as Message, h.room);
  assert.ok(sid, "the room gave the message a stanza-id");
  return { id, sid };
}

/** Collects the messages from `nick` whose body starts with `prefix`, in arrival order, until `count` arrived. */
export async function collectInRoom(h: SlackHarness, nick: string, prefix: string, count: number): Promise<Message[]> {
  return collectRoomMessages(h.alice, { room: h.room, nick, prefix, count, timeoutMs: 20_000 });
}

/** Sends a sentinel through and checks nothing else starting with `prefix` arrived meanwhile (no duplicates). */
export async function nothingMoreInRoom(h: SlackHarness, prefix: string): Promise<void> {
  await postAndSee(h, h.bob, `sentinel ${prefix.trim()} ${Date.now()}`);
  await assertNoMoreInRoom(h.alice, h.room, prefix);
}
