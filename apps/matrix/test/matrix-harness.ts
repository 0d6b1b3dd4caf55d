/**
 * The setting of the Matrix connector's end-to-end tests: real Prosody, real
 * Synapse with the bridge's registration, the bridge with the Matrix
 * connector (its application service on a free port), a real Matrix user
 * (Bob) in a Matrix room linked with a MUC room, and an XMPP user (alice) in
 * that MUC room.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Bridge,
  type BridgeConfig,
  type BridgeStore,
  createLogger,
  type DeliveryRetryPolicy,
  loadConfig,
} from "@parley/bridge";
import { openStore, secretsOf } from "@parley/bridge/internals";
import {
  freePort,
  type Synapse,
  type SynapsePostgres,
  startAndAwaitRelay,
  startPostgres,
  startSynapse,
  startXmppServer,
  TestClient,
  type XmppServer,
  type XmppServerOptions,
} from "@parley/testkit";
import { type AppserviceRegistration, buildRegistration, MatrixConnector, type MatrixOptions } from "../src/index.ts";
import { MatrixUser } from "./matrix-user.ts";

export interface HarnessOptions {
  /** The registration's rate_limited (default false, as `parley-matrix register` writes it). */
  readonly rateLimited?: boolean;
  readonly delivery?: DeliveryRetryPolicy;
  /** Bob's room is public (default) or invite-only (the bot is invited then). */
  readonly inviteOnly?: boolean;
  /** Synapse keeps its data in PostgreSQL (a server of the test's own) instead of SQLite. */
  readonly synapseOnPostgres?: boolean;
  /** For the XMPP server (e.g. a second component whose users a test plays); the bridge is its first component. */
  readonly xmpp?: XmppServerOptions;
}

export interface Harness {
  readonly xmpp: XmppServer;
  readonly synapse: Synapse;
  readonly store: BridgeStore;
  bridge: Bridge;
  connector: MatrixConnector;
  readonly options: MatrixOptions;
  readonly registration: AppserviceRegistration;
  readonly config: BridgeConfig;
  /** The XMPP user in the MUC room, nick "alice". */
  readonly alice: TestClient;
  /** The MUC room. */
  readonly room: string;
  /** The linked Matrix room. */
  readonly roomId: string;
  /** A Matrix user in `roomId` (display name Bob), syncing. */
  readonly bob: MatrixUser;
  /** The component domain (puppets' JIDs). */
  readonly domain: string;
  /** Every log line of the bridge (JSON, secrets scrubbed), for assertions. */
  readonly logs: string[];
  readonly dir: string;
  /** The application service's URL (AS API and media proxy). */
  readonly asUrl: string;
  /** The ghost of an XMPP JID. */
  ghostOf(jid: string): string;
  /** Registers another Matrix user, joined to the linked room and syncing. */
  addMatrixUser(localpart: string, displayName: string): Promise<MatrixUser>;
  stopBridge(): Promise<void>;
  startBridge(): Promise<void>;
  close(): Promise<void>;
}

export const AS_ID = "parley-test";

/** Waits until `check` passes (polling), or throws `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "parley-matrix-"));
  const cleanups: Array<() => Promise<unknown>> = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const xmpp = await startXmppServer("prosody", o.xmpp);
    cleanups.push(() => xmpp.stop());
    const asPort = await freePort();
    const options: MatrixOptions = {
      homeserverUrl: "http://127.0.0.1:1", // replaced once Synapse listens
      serverName: "localhost",
      asToken: `as-${randomBytes(16).toString("hex")}`,
      hsToken: `hs-${randomBytes(16).toString("hex")}`,
      appserviceId: AS_ID,
      listen: { host: "127.0.0.1", port: asPort },
      userPrefix: "_xmpp_",
      aliasPrefix: "_xmpp_",
      botLocalpart: "xmppbridge",
    };
    const registration = { ...buildRegistration(options), rate_limited: o.rateLimited ?? false };
    let postgres: SynapsePostgres | undefined;
    if (o.synapseOnPostgres) {
      const pg = await startPostgres();
      cleanups.push(() => pg.stop());
      await pg.createDatabase("synapse");
      postgres = { ...pg, database: "synapse" };
    }
    const synapse = await startSynapse({ appservices: [registration], ...(postgres && { postgres }) });
    cleanups.push(() => synapse.stop());
    const opts: MatrixOptions = { ...options, homeserverUrl: synapse.url };

    const bobAccount = await synapse.registerUser("bob", { displayName: "Bob" });
    const bob = new MatrixUser(synapse.url, bobAccount.userId, bobAccount.accessToken);
    cleanups.push(() => bob.stop());
    const roomId = await bob.createRoom({
      preset: o.inviteOnly ? "private_chat" : "public_chat",
      name: "Bridged",
      ...(o.inviteOnly && { invite: [`@${opts.botLocalpart}:localhost`] }),
    });

    const component = xmpp.components[0];
    if (!component) throw new Error("the XMPP server has no component");
    const room = `lobby-${process.pid}-${Date.now()}@${xmpp.mucDomain}`;
    const config = loadConfig(
      {
        text: `
xmpp:
  host: ${xmpp.host}
  port: ${xmpp.componentPort}
  domain: ${component.domain}
  secret: \${SECRET}
store:
  url: sqlite:${join(dir, "parley.db")}
http: { host: 127.0.0.1, port: 0 }
ops: { host: 127.0.0.1, port: 0 }
log: { level: debug }
admins: ["${xmpp.accounts[0]?.jid}"]
media: { dir: ${join(dir, "media")}, allowPrivateAddresses: true }
links:
  - { network: matrix, channel: "${roomId}", room: "${room}" }
connectors:
  matrix:
    homeserverUrl: ${opts.homeserverUrl}
    serverName: ${opts.serverName}
    asToken: \${AS_TOKEN}
    hsToken: \${HS_TOKEN}
    appserviceId: ${AS_ID}
    listen: { host: 127.0.0.1, port: ${asPort} }
`,
      },
      { env: { SECRET: component.secret, AS_TOKEN: opts.asToken, HS_TOKEN: opts.hsToken } },
    );
    const store = await openStore(config.store.url);
    cleanups.push(() => store.close());
    const logs: string[] = [];
    const logger = createLogger({
      level: "debug",
      secrets: secretsOf(config),
      write: (line) => {
        logs.push(line);
        if (logs.length > 20_000) logs.splice(0, 10_000);
        if (process.env.PARLEY_TEST_LOG) process.stderr.write(`${line}\n`);
      },
    });
    const account = xmpp.accounts[0];
    if (!account) throw new Error("no XMPP account");
    const alice = await TestClient.connect(xmpp, account);
    cleanups.push(() => alice.stop());
    await alice.joinRoom(room, "alice");

    const newConnector = () =>
      new MatrixConnector({
        options: opts,
        media: { maxBytes: config.media.maxBytes, allowPrivateAddresses: true },
      });
    const start = async () =>
      Bridge.start({ config, connector: h.connector, store, logger, ...(o.delivery && { delivery: o.delivery }) });
    const h: Harness = {
      xmpp,
      synapse,
      store,
      bridge: undefined as unknown as Bridge,
      connector: newConnector(),
      options: opts,
      registration,
      config,
      alice,
      room,
      roomId,
      bob,
      domain: component.domain,
      logs,
      dir,
      asUrl: `http://127.0.0.1:${asPort}`,
      ghostOf: (jid) => `@_xmpp_${escapeForTest(jid)}:localhost`,
      async addMatrixUser(localpart, displayName) {
        const a = await synapse.registerUser(localpart, { displayName });
        const u = new MatrixUser(synapse.url, a.userId, a.accessToken);
        cleanups.push(() => u.stop());
        await u.join(roomId);
        await u.startSync();
        return u;
      },
      async stopBridge() {
        await h.bridge.stop();
      },
      async startBridge() {
        h.connector = newConnector();
        h.bridge = await start();
      },
      async close() {
        await h.bridge?.stop().catch(() => undefined);
        await undo();
      },
    };
    await startAndAwaitRelay(
      alice,
      room,
      async () => {
        h.bridge = await start();
        cleanups.push(() => h.bridge.stop());
      },
      20_000,
    );
    await bob.startSync();
    // The bot joins the linked room in the background once the connector runs.
    await eventually("the bridge bot in the Matrix room", async () =>
      (await bob.joinedMembers(roomId)).includes(`@${opts.botLocalpart}:localhost`) ? true : undefined,
    );
    return h;
  } catch (e) {
    await undo();
    throw e;
  }
}

/** The same escaping as the connector's, written out independently to check it. */
function escapeForTest(s: string): string {
  let out = "";
  for (const ch of s) {
    if (/[a-z0-9.-]/.test(ch)) out += ch;
    else if (ch === "_") out += "__";
    else if (/[A-Z]/.test(ch)) out += `_${ch.toLowerCase()}`;
    else out += [...Buffer.from(ch)].map((b) => `=${b.toString(16).padStart(2, "0")}`).join("");
  }
  return out;
}

/** PUTs a transaction to the application service as the homeserver would (or with a chosen token, null: none). */
export async function putTransaction(
  h: Harness,
  txnId: string,
  body: unknown,
  token: string | null = h.options.hsToken,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.asUrl}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(token !== null && { authorization: `Bearer ${token}` }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A client-format m.room.message event as Synapse puts it in a transaction. */
export function messageEvent(
  h: Harness,
  o: { eventId: string; body: string; sender?: string; roomId?: string },
): Record<string, unknown> {
  return {
    type: "m.room.message",
    room_id: o.roomId ?? h.roomId,
    sender: o.sender ?? h.bob.userId,
    event_id: o.eventId,
    origin_server_ts: Date.now(),
    content: { msgtype: "m.text", body: o.body },
    unsigned: { age: 1 },
  };
}
