/**
 * The fake Discord's gateway enforces heartbeats as the real one does: a
 * connection that stops heartbeating is closed with 4009 and its session can
 * be resumed; one that heartbeats (early, on time, or when asked to with op 1)
 * stays open and gets its ACKs; the real discord.js client keeps its
 * connection across many short intervals and, when ACKs stop coming, notices
 * the zombied connection and RESUMEs. Short intervals keep this fast; nothing
 * here asserts how long anything took, only what happened and in what order.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { Client, GatewayIntentBits, type Message } from "discord.js";
import { WebSocket } from "ws";
import { type FakeDiscord, startFakeDiscord } from "../src/discord/index.ts";

const SHORT_INTERVAL_MS = 200;

type Payload = { op: number; t: string | null; s: number | null; d: unknown };

/** A bare gateway client that heartbeats only when told to. */
class RawGateway {
  readonly ws: WebSocket;
  readonly payloads: Payload[] = [];
  closeCode: number | undefined;
  private beating: NodeJS.Timeout | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(`${url}?v=10&encoding=json`);
    this.ws.on("message", (data: Buffer) => this.payloads.push(JSON.parse(data.toString())));
    this.ws.on("close", (code) => {
      this.closeCode = code;
      this.stopBeating();
    });
  }

  get acks(): number {
    return this.payloads.filter((p) => p.op === 11).length;
  }

  get lastSeq(): number {
    return Math.max(0, ...this.payloads.map((p) => p.s ?? 0));
  }

  send(payload: unknown): void {
    this.ws.send(JSON.stringify(payload));
  }

  identify(token: string): void {
    this.send({ op: 2, d: { token, intents: 1, properties: { os: "linux", browser: "t", device: "t" } } });
  }

  heartbeat(): void {
    this.send({ op: 1, d: this.payloads.some((p) => p.s !== null) ? this.lastSeq : null });
  }

  /** Heartbeats every `ms`, as a well-behaved client does. */
  beatEvery(ms: number): void {
    this.beating = setInterval(() => this.heartbeat(), ms);
  }

  stopBeating(): void {
    clearInterval(this.beating);
  }

  close(): void {
    this.stopBeating();
    this.ws.terminate();
  }
}

interface LoggedIn {
  readonly client: Client;
  /** Heartbeat ACKs discord.js received (from its debug log, the only place it reports them). */
  acked(): number;
  /** Times the connection closed (discord.js then reconnects, or gives up on an unrecoverable code). */
  closes(): number;
}

async function login(fake: FakeDiscord): Promise<LoggedIn> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest: { api: fake.restUrl, cdn: fake.cdnUrl },
  });
  let acks = 0;
  let closes = 0;
  client.on("debug", (message) => {
    if (message.includes("Heartbeat acknowledged")) acks++;
  });
  client.on("shardReconnecting", () => closes++);
  client.on("shardDisconnect", () => closes++);
  const ready = once(client, "clientReady");
  await client.login(fake.token);
  await ready;
  return { client, acked: () => acks, closes: () => closes };
}

describe("fake Discord heartbeats: a bare client", () => {
  let fake: FakeDiscord;
  let guildId: string;
  const sockets: RawGateway[] = [];
  const open = async () => {
    const g = new RawGateway(fake.gatewayUrl);
    sockets.push(g);
    await fake.waitFor(() => g.payloads.find((p) => p.op === 10), { what: "HELLO" });
    return g;
  };
  const ready = async (g: RawGateway) => {
    g.identify(fake.token);
    return fake.waitFor(() => g.payloads.find((p) => p.t === "READY"), { what: "READY" });
  };

  before(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: SHORT_INTERVAL_MS });
    guildId = fake.createGuild({ name: "Beats" }).id;
  });

  after(async () => {
    for (const s of sockets) s.close();
    await fake?.stop();
  });

  it("HELLO announces the configured interval", async () => {
    const g = await open();
    assert.deepEqual(g.payloads.find((p) => p.op === 10)?.d, { heartbeat_interval: SHORT_INTERVAL_MS });
    g.close();
  });

  it("a client that IDENTIFYs and never heartbeats is closed with 4009, while one that heartbeats stays open", async () => {
    const before = fake.heartbeats.timeouts;
    const silent = await open();
    const beating = await open();
    beating.beatEvery(SHORT_INTERVAL_MS);
    await Promise.all([ready(silent), ready(beating)]);

    const code = await fake.waitFor(() => silent.closeCode, { timeoutMs: 15_000, what: "the silent client closed" });
    assert.equal(code, 4009);
    assert.equal(fake.heartbeats.timeouts, before + 1);

    // The beating client outlives the silent one, and keeps being ACKed for several more intervals.
    const acksThen = beating.acks;
    await fake.waitFor(() => beating.acks >= acksThen + 5, { timeoutMs: 15_000, what: "five more ACKs" });
    assert.equal(beating.closeCode, undefined);
    assert.equal(beating.ws.readyState, WebSocket.OPEN);
    beating.close();
  });

  it("a client that never even IDENTIFYs is closed with 4009 too", async () => {
    const g = await open();
    const code = await fake.waitFor(() => g.closeCode, { timeoutMs: 15_000, what: "the close" });
    assert.equal(code, 4009);
  });

  it("op 1 may come at any time, several at once, and each gets an op 11 ACK", async () => {
    const g = await open();
    g.heartbeat();
    g.heartbeat();
    await ready(g);
    g.heartbeat();
    await fake.waitFor(() => g.acks === 3, { what: "three ACKs" });
    assert.deepEqual(
      g.payloads.filter((p) => p.op === 11).map((p) => p.d),
      [null, null, null],
    );
    g.close();
  });

  it("a session closed for a missed heartbeat RESUMEs and gets what was dispatched meanwhile", async () => {
    const first = await open();
    const readyPayload = await ready(first);
    const sessionId = (readyPayload.d as { session_id: string }).session_id;
    await fake.waitFor(() => first.payloads.find((p) => p.t === "GUILD_CREATE"), { what: "GUILD_CREATE" });
    const seq = first.lastSeq;
    await fake.waitFor(() => first.closeCode, { timeoutMs: 15_000, what: "the close for the missed heartbeat" });
    assert.equal(first.closeCode, 4009);
    const missed = fake.createChannel(guildId, { name: "while-timed-out" });

    const second = await open();
    second.beatEvery(SHORT_INTERVAL_MS);
    second.send({ op: 6, d: { token: fake.token, session_id: sessionId, seq } });
    await fake.waitFor(() => second.payloads.find((p) => p.t === "RESUMED"), { what: "RESUMED" });
    const dispatches = second.payloads.filter((p) => p.op === 0).map((p) => [p.t, p.s]);
    assert.deepEqual(dispatches, [
      ["CHANNEL_CREATE", seq + 1],
      ["RESUMED", seq + 2],
    ]);
    const created = second.payloads.find((p) => p.t === "CHANNEL_CREATE");
    assert.equal((created?.d as { id?: string } | undefined)?.id, missed.id);
    assert.equal(second.closeCode, undefined);
    second.close();
  });

  it("stopAcking: the open connection's heartbeats are read but not ACKed; a new connection is ACKed", async () => {
    const zombie = await open();
    zombie.beatEvery(SHORT_INTERVAL_MS);
    await ready(zombie);
    await fake.waitFor(() => zombie.acks >= 1, { what: "a first ACK" });
    fake.stopAcking();
    const acks = zombie.acks;
    const heartbeats = fake.heartbeats.received;
    await fake.waitFor(() => fake.heartbeats.received >= heartbeats + 3, { what: "three more heartbeats" });
    assert.equal(zombie.acks, acks, "no ACK after stopAcking");
    assert.equal(zombie.closeCode, undefined, "heartbeats still keep the connection open");

    const fresh = await open();
    fresh.heartbeat();
    await fake.waitFor(() => fresh.acks === 1, { what: "the new connection's ACK" });
    zombie.close();
    fresh.close();
  });
});

describe("fake Discord heartbeats: op 1 from the gateway", () => {
  let fake: FakeDiscord;
  let client: Client | undefined;
  const sockets: RawGateway[] = [];

  before(async () => {
    // A long interval, so that only a requested heartbeat's deadline can close anything here.
    fake = await startFakeDiscord({ heartbeatIntervalMs: 45_000 });
    fake.createGuild({ name: "Asked" });
  });

  after(async () => {
    for (const s of sockets) s.close();
    await client?.destroy();
    await fake?.stop();
  });

  it("a bare client that answers is ACKed and stays open; one that does not is closed with 4009", async () => {
    const answering = new RawGateway(fake.gatewayUrl);
    const deaf = new RawGateway(fake.gatewayUrl);
    sockets.push(answering, deaf);
    answering.ws.on("message", (data: Buffer) => {
      if ((JSON.parse(data.toString()) as Payload).op === 1) answering.heartbeat();
    });
    for (const g of [answering, deaf]) {
      await fake.waitFor(() => g.payloads.find((p) => p.op === 10), { what: "HELLO" });
      g.identify(fake.token);
      await fake.waitFor(() => g.payloads.find((p) => p.t === "READY"), { what: "READY" });
    }
    fake.requestHeartbeat();
    for (const g of [answering, deaf]) {
      const asked = await fake.waitFor(() => g.payloads.find((p) => p.op === 1), { what: "op 1 from the gateway" });
      assert.equal(asked.d, null);
    }
    await fake.waitFor(() => answering.acks === 1, { what: "the answer's ACK" });
    const code = await fake.waitFor(() => deaf.closeCode, { timeoutMs: 15_000, what: "the deaf client closed" });
    assert.equal(code, 4009);
    assert.equal(answering.closeCode, undefined);
  });

  it("discord.js answers op 1 with a heartbeat and keeps its connection", async () => {
    const session = await login(fake);
    client = session.client;
    const { received: heartbeats, timeouts } = fake.heartbeats;
    const acked = session.acked();
    fake.requestHeartbeat();
    await fake.waitFor(() => fake.heartbeats.received > heartbeats, { what: "discord.js's answer" });
    await fake.waitFor(() => session.acked() > acked, { what: "discord.js seeing the ACK" });
    assert.equal(fake.heartbeats.timeouts, timeouts);
    assert.equal(session.closes(), 0);
  });
});

describe("fake Discord heartbeats: discord.js", () => {
  const INTERVAL_MS = 300;
  let fake: FakeDiscord;
  let session: LoggedIn;
  let generalId: string;
  let aliceId: string;
  const received: Message[] = [];

  before(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: INTERVAL_MS });
    const guildId = fake.createGuild({ name: "Parley" }).id;
    generalId = fake.createChannel(guildId, { name: "general" }).id;
    aliceId = fake.addMember(guildId, { username: "alice" }).user.id;
    session = await login(fake);
    session.client.on("messageCreate", (m) => received.push(m));
  });

  after(async () => {
    await session?.client.destroy();
    await fake?.stop();
  });

  it("stays connected across many short intervals, heartbeating by itself", async () => {
    // Ten ACKed beats span nine intervals: well past the deadline a silent client would have.
    await fake.waitFor(() => session.acked() >= 10, { timeoutMs: 20_000, what: "ten ACKed heartbeats" });
    assert.equal(fake.heartbeats.timeouts, 0);
    assert.equal(session.closes(), 0);
    assert.equal(fake.gatewaySessions, 1);
    assert.equal(fake.resumes, 0);
  });

  it("stopAcking: discord.js sees a zombied connection, closes it and RESUMEs, and events flow again", async () => {
    const resumed = once(session.client, "shardResume");
    fake.stopAcking();
    await resumed;
    assert.equal(fake.resumes, 1);
    assert.equal(fake.gatewaySessions, 1, "no new IDENTIFY");
    assert.equal(session.closes(), 1);
    assert.equal(fake.heartbeats.timeouts, 0, "it was the client, not the deadline, that closed");
    const acked = session.acked();
    await fake.waitFor(() => session.acked() > acked, { what: "an ACK on the resumed connection" });
    const posted = fake.post(generalId, aliceId, "after the zombie");
    await fake.waitFor(() => received.find((m) => m.id === posted.id), { what: "a message after resuming" });
  });
});
