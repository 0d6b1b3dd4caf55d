/**
 * `npm run bench` (in apps/matrix): Matrix -> XMPP throughput and latency of
 * the bridge, against the ceiling measured in the same run on the same
 * Prosody.
 *
 * - Bridge: transactions are PUT into the bridge's application-service API
 *   the way Synapse sends them (batches of m.room.message events, one
 *   transaction at a time, the next once the last is acknowledged, signed
 *   with the hs_token), so the figure is the bridge's and not Synapse's. Each
 *   message's latency runs from the PUT of its transaction to its arrival at
 *   an XMPP client in the linked MUC room.
 * - Ceiling: a bare XMPP component (testkit TestComponent) with one occupant
 *   already in another room sends the same number of groupchat messages to
 *   the same client, as fast as it can.
 * - Rounds alternate ceiling and bridge; figures are medians over rounds.
 * - End to end: a real Matrix user sends messages through real Synapse, which
 *   pushes them to the bridge; reported as figures (Synapse sets the pace).
 *
 * Settings (environment): PARLEY_BENCH_MESSAGES (default 3000),
 * PARLEY_BENCH_ROUNDS (5), PARLEY_BENCH_BATCH (50 events per transaction),
 * PARLEY_BENCH_E2E_MESSAGES (200). Prints a table and writes its figures
 * into bench/results.json (keeping the XMPP -> Matrix bench's).
 */
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bridge, type BridgeStore, createLogger, loadConfig } from "@parley/bridge";
import { openStore, secretsOf } from "@parley/bridge/internals";
import { buildMessage } from "@parley/stanza";
import {
  ArrivalProbe,
  alternateRounds,
  type BenchCleanup,
  type BurstFigures,
  benchBody,
  benchSize,
  burstFigures,
  describeRun,
  freePort,
  isPresence,
  progress,
  runBench,
  type Synapse,
  startSynapse,
  startXmppServer,
  TestClient,
  TestComponent,
  writeMergedBenchResults,
  type XmppServer,
} from "@parley/testkit";
import { buildRegistration, MatrixConnector, type MatrixOptions } from "../src/index.ts";
import { MatrixUser } from "../test/matrix-user.ts";
import { matrixResults, matrixTable } from "./bench-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

const MESSAGES = benchSize("PARLEY_BENCH_MESSAGES", 3000, 1_000_000);
const ROUNDS = benchSize("PARLEY_BENCH_ROUNDS", 5, 25);
const BATCH = benchSize("PARLEY_BENCH_BATCH", 50, 100);
const E2E = benchSize("PARLEY_BENCH_E2E_MESSAGES", 200, 100_000);
const TIMEOUT_MS = 180_000;

interface Setting {
  xmpp: XmppServer;
  synapse: Synapse;
  store: BridgeStore;
  bridge: Bridge;
  options: MatrixOptions;
  asUrl: string;
  user: MatrixUser;
  roomId: string;
  bridgeRoom: string;
  ceilingRoom: string;
  alice: TestClient;
  ceiling: TestComponent;
  ceilingFrom: string;
  warnings: () => number;
}

async function setUp(cleanup: BenchCleanup): Promise<Setting> {
  const dir = cleanup.tempDir("parley-matrix-bench-");
  const secret = randomBytes(12).toString("hex");
  const xmpp = await startXmppServer("prosody", {
    components: [
      { domain: "bridge.parley.test", secret },
      { domain: "ceiling.parley.test", secret },
    ],
  });
  cleanup.defer(() => xmpp.stop());
  const asPort = await freePort();
  const base: MatrixOptions = {
    homeserverUrl: "http://127.0.0.1:1",
    serverName: "localhost",
    asToken: `as-${randomBytes(16).toString("hex")}`,
    hsToken: `hs-${randomBytes(16).toString("hex")}`,
    appserviceId: "parley-bench",
    listen: { host: "127.0.0.1", port: asPort },
    userPrefix: "_xmpp_",
    aliasPrefix: "_xmpp_",
    botLocalpart: "xmppbridge",
  };
  const synapse = await startSynapse({ appservices: [buildRegistration(base)] });
  cleanup.defer(() => synapse.stop());
  const options: MatrixOptions = { ...base, homeserverUrl: synapse.url };
  const account = await synapse.registerUser("bench", { displayName: "Bench" });
  const user = new MatrixUser(synapse.url, account.userId, account.accessToken);
  const roomId = await user.createRoom({ preset: "public_chat", name: "bench" });
  const bridgeRoom = `matrix-bench-${process.pid}@${xmpp.mucDomain}`;
  const ceilingRoom = `ceiling-bench-${process.pid}@${xmpp.mucDomain}`;

  const config = loadConfig(
    {
      text: `
xmpp: { host: ${xmpp.host}, port: ${xmpp.componentPort}, domain: bridge.parley.test, secret: \${SECRET} }
store: { url: "sqlite:${join(dir, "parley.db")}" }
http: { host: 127.0.0.1, port: 0 }
ops: { host: 127.0.0.1, port: 0 }
log: { level: warn }
media: { dir: ${join(dir, "media")}, allowPrivateAddresses: true }
links: [{ network: matrix, channel: "${roomId}", room: "${bridgeRoom}" }]
connectors:
  matrix: {}
`,
    },
    { env: { SECRET: secret } },
  );
  let warnings = 0;
  const logger = createLogger({
    level: "warn",
    secrets: [...secretsOf(config), options.asToken, options.hsToken],
    write: (line) => {
      warnings++;
      if (warnings <= 20) progress(`bridge: ${line}`);
    },
  });
  const store = await openStore(config.store.url);
  cleanup.defer(() => store.close());

  const aliceAccount = xmpp.accounts[0];
  if (!aliceAccount) throw new Error("no XMPP account");
  const alice = await TestClient.connect(xmpp, aliceAccount);
  cleanup.defer(() => alice.stop());
  await alice.joinRoom(bridgeRoom, "alice");
  await alice.joinRoom(ceilingRoom, "alice");

  const relaySeen = alice.waitFor(
    isPresence((p) => (p.from ?? "").toLowerCase().startsWith(`${bridgeRoom}/`) && p.from !== `${bridgeRoom}/alice`),
    { timeoutMs: 30_000, description: "the bridge's relay" },
  );
  const connector = new MatrixConnector({
    options,
    media: { maxBytes: config.media.maxBytes, allowPrivateAddresses: true },
  });
  const bridge = await Bridge.start({ config, connector, store, logger });
  cleanup.defer(() => bridge.stop());
  await relaySeen;
  const deadline = Date.now() + 30_000;
  while (!(await user.joinedMembers(roomId)).includes("@xmppbridge:localhost")) {
    if (Date.now() > deadline) throw new Error("the bridge bot never joined the Matrix room");
    await new Promise((r) => setTimeout(r, 100));
  }

  const ceiling = await TestComponent.connect(xmpp, 1);
  cleanup.defer(() => ceiling.stop());
  const ceilingFrom = "bench@ceiling.parley.test/bench";
  await ceiling.joinRoom(ceilingRoom, "Bench", { from: ceilingFrom });

  return {
    xmpp,
    synapse,
    store,
    bridge,
    options,
    asUrl: `http://127.0.0.1:${asPort}`,
    user,
    roomId,
    bridgeRoom,
    ceilingRoom,
    alice,
    ceiling,
    ceilingFrom,
    warnings: () => warnings,
  };
}

/** The ceiling: the bare component sends `count` messages as fast as it can. */
async function ceilingBurst(s: Setting, probe: ArrivalProbe, tag: string, count: number): Promise<BurstFigures> {
  const burst = probe.expect({ tag, room: s.ceilingRoom, count, timeoutMs: TIMEOUT_MS });
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${tag}-${i}`;
    burst.markSent(i);
    sends.push(
      s.ceiling.send(
        buildMessage({
          type: "groupchat",
          id,
          originId: id,
          from: s.ceilingFrom,
          to: s.ceilingRoom,
          body: benchBody(tag, i),
        }),
      ),
    );
  }
  await Promise.all(sends);
  const t = await burst.done;
  if (t.duplicates > 0) throw new Error(`burst ${tag}: ${t.duplicates} duplicates`);
  return burstFigures(t);
}

/** The bridge: transactions PUT one after another, as Synapse sends them. */
async function bridgeBurst(s: Setting, probe: ArrivalProbe, tag: string, count: number): Promise<BurstFigures> {
  const burst = probe.expect({ tag, room: s.bridgeRoom, count, timeoutMs: TIMEOUT_MS });
  for (let start = 0; start < count; start += BATCH) {
    const events = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      events.push({
        type: "m.room.message",
        room_id: s.roomId,
        sender: s.user.userId,
        event_id: `$bench-${tag}-${i}`,
        origin_server_ts: Date.now(),
        content: { msgtype: "m.text", body: benchBody(tag, i) },
        unsigned: { age: 0 },
      });
      burst.markSent(i);
    }
    const res = await fetch(`${s.asUrl}/_matrix/app/v1/transactions/${tag}-${start}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.options.hsToken}` },
      body: JSON.stringify({ events }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`transaction ${tag}-${start}: HTTP ${res.status}`);
  }
  const t = await burst.done;
  if (t.duplicates > 0) throw new Error(`burst ${tag}: ${t.duplicates} duplicates`);
  return burstFigures(t);
}

/** End to end: a real Matrix user sends through Synapse, a few requests in flight. */
async function synapseBurst(s: Setting, probe: ArrivalProbe, tag: string, count: number): Promise<BurstFigures> {
  const burst = probe.expect({ tag, room: s.bridgeRoom, count, timeoutMs: TIMEOUT_MS });
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      burst.markSent(i);
      await s.user.sendText(s.roomId, benchBody(tag, i));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const t = await burst.done;
  return burstFigures(t);
}

async function main(cleanup: BenchCleanup): Promise<void> {
  progress(`matrix transaction burst: ${MESSAGES} messages x ${ROUNDS} rounds, ${BATCH} events per transaction`);
  const started = performance.now();
  const s = await setUp(cleanup);
  progress(`servers and bridge up in ${Math.round(performance.now() - started)} ms`);
  const probe = new ArrivalProbe();
  probe.watch(s.alice);
  probe.silence(s.ceiling);
  cleanup.defer(() => probe.detach());
  // Warm-up: the Matrix user's puppet joins the room, the component's occupant speaks once.
  await bridgeBurst(s, probe, "warm", 5);
  await ceilingBurst(s, probe, "cwarm", 5);

  const runs = await alternateRounds({
    rounds: ROUNDS,
    ceiling: async (r) => {
      const c = await ceilingBurst(s, probe, `c${r}`, MESSAGES);
      progress(describeRun("ceiling", r, c));
      return c;
    },
    subject: async (r) => {
      const b = await bridgeBurst(s, probe, `b${r}`, MESSAGES);
      progress(describeRun("bridge", r, b));
      return b;
    },
  });
  const e2e = await synapseBurst(s, probe, "e2e", E2E);
  progress(
    `synapse end to end: ${e2e.msgsPerSec.toFixed(0)} msgs/s  p50 ${e2e.p50ms.toFixed(1)} ms  p99 ${e2e.p99ms.toFixed(1)} ms`,
  );

  const results = matrixResults({
    ceiling: runs.ceiling,
    bridge: runs.subject,
    e2e,
    eventsPerTransaction: BATCH,
    bridgeWarnings: s.warnings(),
    server: "Prosody 0.12 (MUC archive in memory), Synapse 1.163",
    node: process.version,
  });
  console.log(`\n${matrixTable(results)}\n`);
  const file = join(HERE, "results.json");
  writeMergedBenchResults(file, results);
  progress(`wrote ${file}`);
}

await runBench(main);
// The Matrix client's and the application service's sockets may outlive the cleanup; the bench is over.
process.exit();
