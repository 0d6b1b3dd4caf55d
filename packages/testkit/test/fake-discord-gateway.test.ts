/**
 * The fake Discord's gateway: how the real discord.js client recovers from
 * dropped connections, RECONNECT, INVALID_SESSION, an outage and a revoked
 * token; and the raw protocol (HELLO, heartbeats, sequence numbers, close
 * codes, resume, zlib-stream) checked with a bare WebSocket.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { inflateSync, constants as zlibConstants } from "node:zlib";
import { Client, GatewayIntentBits, type Message, Routes } from "discord.js";
import type { APIMessage } from "discord-api-types/v10";
import { WebSocket } from "ws";
import { type FakeDiscord, startFakeDiscord } from "../src/discord/index.ts";

async function connect(fake: FakeDiscord): Promise<Client> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest: { api: fake.restUrl, cdn: fake.cdnUrl },
  });
  const ready = once(client, "clientReady");
  await client.login(fake.token);
  await ready;
  return client;
}

describe("fake Discord gateway: discord.js recovers as it does from the real one", () => {
  let fake: FakeDiscord;
  let client: Client;
  let guildId: string;
  let generalId: string;
  let aliceId: string;
  const received: Message[] = [];
  const hasMessage = (id: string) => received.find((m) => m.id === id);

  before(async () => {
    fake = await startFakeDiscord();
    guildId = fake.createGuild({ name: "Parley" }).id;
    generalId = fake.createChannel(guildId, { name: "general" }).id;
    aliceId = fake.addMember(guildId, { username: "alice" }).user.id;
    client = await connect(fake);
    client.on("messageCreate", (m) => received.push(m));
  });

  after(async () => {
    await client?.destroy();
    await fake?.stop();
  });

  it("dropConnection: discord.js RESUMEs and gets what was dispatched while it was away, in order", async () => {
    const resumed = once(client, "shardResume");
    fake.dropConnection();
    const missed = [fake.post(generalId, aliceId, "while away 1"), fake.post(generalId, aliceId, "while away 2")];
    await resumed;
    assert.equal(fake.resumes, 1);
    assert.equal(fake.gatewaySessions, 1, "no new IDENTIFY");
    const [a, b] = await fake.waitFor(
      () => {
        const got = missed.map((m) => hasMessage(m.id));
        return got.every((m) => m !== undefined) ? got : undefined;
      },
      { what: "the missed messages" },
    );
    assert.equal(a?.content, "while away 1");
    assert.ok(received.indexOf(a as Message) < received.indexOf(b as Message), "replayed in sequence");
  });

  it("requestReconnect (op 7): discord.js closes and resumes", async () => {
    const before = fake.resumes;
    const resumed = once(client, "shardResume");
    fake.requestReconnect();
    await resumed;
    assert.equal(fake.resumes, before + 1);
    const after = fake.post(generalId, aliceId, "after reconnect");
    await fake.waitFor(() => hasMessage(after.id), { what: "a message after the reconnect" });
  });

  it("invalidateSession(true) resumes on the same socket; invalidateSession(false) makes a fresh IDENTIFY", async () => {
    const resumesBefore = fake.resumes;
    const resumed = once(client, "shardResume");
    fake.invalidateSession(true);
    await resumed;
    assert.equal(fake.resumes, resumesBefore + 1);

    const sessions = fake.gatewaySessions;
    fake.invalidateSession(false);
    await fake.waitFor(() => fake.gatewaySessions === sessions + 1, { timeoutMs: 15_000, what: "a new IDENTIFY" });
    const posted = fake.post(generalId, aliceId, "after a new session");
    await fake.waitFor(() => hasMessage(posted.id), { timeoutMs: 10_000, what: "a message in the new session" });
  });

  it("setOffline: the bot is cut off, what happens meanwhile is kept, and GET messages?after= catches up", async () => {
    const lastSeen = received.at(-1)?.id ?? "0";
    let reconnecting = 0;
    const count = () => reconnecting++;
    client.on("shardReconnecting", count);
    fake.setOffline(true);
    const during = [fake.post(generalId, aliceId, "offline 1"), fake.post(generalId, aliceId, "offline 2")];
    assert.equal(fake.messages(generalId).at(-1)?.content, "offline 2");
    // Once for the cut, once more for a reconnection attempt the fake refused.
    await fake.waitFor(() => reconnecting >= 2, { what: "a refused reconnection" });
    client.off("shardReconnecting", count);
    const sessions = fake.gatewaySessions;
    fake.setOffline(false);
    // A refused connection is a network error to discord.js: it starts a new session rather than resuming.
    await fake.waitFor(() => fake.gatewaySessions > sessions, { timeoutMs: 15_000, what: "the bot back online" });
    const page = (await client.rest.get(Routes.channelMessages(generalId), {
      query: new URLSearchParams({ after: lastSeen, limit: "50" }),
    })) as APIMessage[];
    assert.deepEqual(page.map((m) => m.id).slice(0, 2), during.map((m) => m.id).reverse());
  });

  it("revokeToken: the gateway closes with 4004 and REST answers 401", async () => {
    const disconnected = once(client, "shardDisconnect");
    fake.revokeToken();
    const [event] = (await disconnected) as [{ code: number }];
    assert.equal(event.code, 4004);
    const res = await fetch(`${fake.restUrl}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    assert.equal(res.status, 401);
  });
});

describe("fake Discord gateway: login with a bad token", () => {
  it("makes client.login reject, as GET /gateway/bot answers 401", async () => {
    const fake = await startFakeDiscord({ token: "the-right-token" });
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.restUrl, cdn: fake.cdnUrl } });
    try {
      await assert.rejects(client.login("a-wrong-token"), (e: Error & { code?: string }) => e.code === "TokenInvalid");
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
        ["GET /gateway/bot 401"],
      );
      assert.equal(fake.gatewaySessions, 0);
    } finally {
      await client.destroy();
      await fake.stop();
    }
  });
});

/** A bare gateway client: every payload it receives, in order, and the close code. */
class RawGateway {
  readonly ws: WebSocket;
  readonly payloads: Array<{ op: number; t: string | null; s: number | null; d: unknown }> = [];
  closeCode: number | undefined;

  constructor(url: string, onBinary?: (data: Buffer) => string | undefined) {
    this.ws = new WebSocket(url);
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? onBinary?.(data) : data.toString();
      if (text) this.payloads.push(JSON.parse(text));
    });
    this.ws.on("close", (code) => {
      this.closeCode = code;
    });
  }

  send(payload: unknown): void {
    this.ws.send(JSON.stringify(payload));
  }

  close(): void {
    this.ws.terminate();
  }
}

describe("fake Discord gateway: the raw protocol", () => {
  let fake: FakeDiscord;
  let guildId: string;
  const sockets: RawGateway[] = [];
  const open = (query = "?v=10&encoding=json", onBinary?: (data: Buffer) => string | undefined) => {
    const g = new RawGateway(`${fake.gatewayUrl}${query}`, onBinary);
    sockets.push(g);
    return g;
  };
  const identify = (g: RawGateway, d: Record<string, unknown> = {}) =>
    g.send({
      op: 2,
      d: { token: fake.token, intents: 513, properties: { os: "linux", browser: "t", device: "t" }, ...d },
    });

  before(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 45_000 });
    guildId = fake.createGuild({ name: "Raw" }).id;
    fake.createChannel(guildId, { name: "general" });
  });

  after(async () => {
    for (const s of sockets) s.close();
    await fake?.stop();
  });

  it("HELLO, IDENTIFY, READY then GUILD_CREATE, heartbeat ACK, and increasing sequence numbers", async () => {
    const g = open();
    const hello = await fake.waitFor(() => g.payloads.find((p) => p.op === 10), { what: "HELLO" });
    assert.deepEqual(hello.d, { heartbeat_interval: 45_000 });
    identify(g);
    const guildCreate = await fake.waitFor(() => g.payloads.find((p) => p.t === "GUILD_CREATE"), {
      what: "GUILD_CREATE",
    });
    const ready = g.payloads.find((p) => p.t === "READY");
    const d = ready?.d as { session_id: string; resume_gateway_url: string; guilds: unknown[]; user: { id: string } };
    assert.equal(ready?.s, 1);
    assert.equal(guildCreate.s, 2);
    assert.ok(d.session_id);
    assert.equal(d.resume_gateway_url, fake.gatewayUrl);
    assert.deepEqual(d.guilds, [{ id: guildId, unavailable: true }]);
    assert.equal(d.user.id, fake.bot.id);
    g.send({ op: 1, d: 2 });
    await fake.waitFor(() => g.payloads.find((p) => p.op === 11), { what: "HEARTBEAT_ACK" });
    const channel = fake.createChannel(guildId, { name: "more" });
    const created = await fake.waitFor(() => g.payloads.find((p) => p.t === "CHANNEL_CREATE"), {
      what: "CHANNEL_CREATE",
    });
    assert.equal(created.s, 3);
    assert.equal((created.d as { id: string }).id, channel.id);
  });

  it("close codes: 4004 bad token, 4013 unknown intents, 4001 unknown opcode, 4003 before identify, 4005 twice, 4012 bad version", async () => {
    const cases: Array<[string, (g: RawGateway) => void, number, string?]> = [
      ["bad token", (g) => identify(g, { token: "nope" }), 4004],
      ["unknown intent bits", (g) => identify(g, { intents: 1 << 30 }), 4013],
      ["unknown opcode", (g) => g.send({ op: 99, d: null }), 4001],
      [
        "request members before identify",
        (g) => g.send({ op: 8, d: { guild_id: guildId, query: "", limit: 0 } }),
        4003,
      ],
      [
        "identify twice",
        (g) => {
          identify(g);
          identify(g);
        },
        4005,
      ],
      ["invalid JSON", (g) => g.ws.send("{nope"), 4002],
      ["API version 9", () => {}, 4012, "?v=9&encoding=json"],
    ];
    for (const [what, act, code, query] of cases) {
      const g = open(query);
      await fake.waitFor(() => g.payloads.find((p) => p.op === 10) ?? g.closeCode, { what: `HELLO (${what})` });
      act(g);
      const closed = await fake.waitFor(() => g.closeCode, { what: `the close (${what})` });
      assert.equal(closed, code, what);
    }
  });

  it("RESUME replays missed dispatches then RESUMED; an unknown session gets op 9 false", async () => {
    const first = open();
    await fake.waitFor(() => first.payloads.find((p) => p.op === 10), { what: "HELLO" });
    identify(first);
    const ready = await fake.waitFor(() => first.payloads.find((p) => p.t === "READY"), { what: "READY" });
    const sessionId = (ready.d as { session_id: string }).session_id;
    await fake.waitFor(() => first.payloads.find((p) => p.t === "GUILD_CREATE"), { what: "GUILD_CREATE" });
    const seq = Math.max(...first.payloads.map((p) => p.s ?? 0));
    first.close();
    await fake.waitFor(() => first.closeCode, { what: "the first socket closed" });
    const missed = fake.createChannel(guildId, { name: "missed" });

    const second = open();
    await fake.waitFor(() => second.payloads.find((p) => p.op === 10), { what: "HELLO" });
    second.send({ op: 6, d: { token: fake.token, session_id: sessionId, seq } });
    await fake.waitFor(() => second.payloads.find((p) => p.t === "RESUMED"), { what: "RESUMED" });
    const dispatches = second.payloads.filter((p) => p.op === 0);
    assert.deepEqual(
      dispatches.map((p) => [p.t, p.s]),
      [
        ["CHANNEL_CREATE", seq + 1],
        ["RESUMED", seq + 2],
      ],
    );
    assert.equal((dispatches[0]?.d as { id?: string } | undefined)?.id, missed.id);

    const stranger = open();
    await fake.waitFor(() => stranger.payloads.find((p) => p.op === 10), { what: "HELLO" });
    stranger.send({ op: 6, d: { token: fake.token, session_id: "no-such-session", seq: 1 } });
    const invalid = await fake.waitFor(() => stranger.payloads.find((p) => p.op === 9), { what: "INVALID_SESSION" });
    assert.equal(invalid.d, false);
  });

  it("compress=zlib-stream: one zlib context, each payload ending in a sync flush", async () => {
    const received: Buffer[] = [];
    const flushed: boolean[] = [];
    let consumed = 0;
    const g = open("?v=10&encoding=json&compress=zlib-stream", (data) => {
      flushed.push(data.subarray(-4).equals(Buffer.from([0x00, 0x00, 0xff, 0xff])));
      received.push(data);
      // Inflating the whole stream so far and taking the new tail proves the context is shared.
      const all = inflateSync(Buffer.concat(received), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString();
      const text = all.slice(consumed);
      consumed = all.length;
      return text;
    });
    const hello = await fake.waitFor(() => g.payloads.find((p) => p.op === 10), { what: "compressed HELLO" });
    assert.equal((hello.d as { heartbeat_interval: number }).heartbeat_interval, 45_000);
    identify(g);
    await fake.waitFor(() => g.payloads.find((p) => p.t === "READY"), { what: "compressed READY" });
    assert.ok(flushed.length >= 2 && flushed.every(Boolean), "every message ends with a Z_SYNC_FLUSH marker");
  });
});
