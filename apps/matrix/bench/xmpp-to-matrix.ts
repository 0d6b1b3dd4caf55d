/**
 * `npm run bench` (in apps/matrix, after transaction-burst.ts): XMPP ->
 * Matrix through real Prosody, the bridge and real Synapse, against the
 * ceiling measured in the same run on the same Synapse.
 *
 * - Bridge, one room: one XMPP user sends a burst of groupchat messages to a
 *   linked MUC room; each message is timed from its send to the moment a
 *   Matrix user's /sync hands it over (matrix-arrivals.ts), and the order the
 *   Matrix room shows them in is checked.
 * - Ceiling: a bare HTTP client sends the same messages to the same room as
 *   sequential PUTs (each waits for the previous answer), as the same ghost,
 *   timed by the same /sync. Rounds alternate ceiling and bridge; figures are
 *   medians. The bridge's own requests are counted (homeserver-requests.ts):
 *   per message, at most in flight, and the time with none in flight.
 * - Ten rooms at once: the XMPP user sends into ten linked rooms, the
 *   messages interleaved, and the bare client's ten chains of PUTs likewise,
 *   in alternating rounds too.
 * - Catch-up: the bridge is stopped, each side says PARLEY_BENCH_CATCH_UP
 *   messages (XMPP into a room's archive, Matrix into the homeserver's queue
 *   for the application service), the bridge starts again; from its start to
 *   the last arrival on each side.
 *
 * The XMPP user shows an avatar hash in her room presence, as most clients
 * do, so the bridge's look-up of her vCard is on the path (PARLEY_BENCH_AVATAR=0
 * leaves it out).
 *
 * Synapse keeps its data in PostgreSQL by default, as a homeserver at scale
 * does (Synapse's documentation calls SQLite fit for testing only), with
 * Synapse's own default pool of 5 to 10 connections; on SQLite it has one
 * connection, so every room's writes wait for one another.
 *
 * Settings (environment): PARLEY_BENCH_TO_MATRIX (burst, default 1000),
 * PARLEY_BENCH_ROUNDS (3), PARLEY_BENCH_ROOM_MESSAGES (per room of the ten,
 * 200), PARLEY_BENCH_TEN_ROOMS_ROUNDS (as PARLEY_BENCH_ROUNDS),
 * PARLEY_BENCH_CATCH_UP (10000), PARLEY_BENCH_SYNAPSE_DB (postgres or sqlite),
 * PARLEY_BENCH_PARTS (which parts run: a comma-separated list of one-room,
 * ten-rooms, catch-up; all by default), PARLEY_BENCH_RESULTS (the file the
 * figures go to, default bench/results.json: a side run, e.g. on SQLite for
 * comparison, can leave the package's figures alone). Prints a table and
 * writes the figures of the parts that ran into that file, next to
 * transaction-burst.ts's.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Bridge, type BridgeStore, createLogger, loadConfig } from "@parley/bridge";
import { openStore } from "@parley/bridge/internals";
import { buildMessage, buildPresence } from "@parley/stanza";
import {
  ArrivalProbe,
  alternateRounds,
  type BenchCleanup,
  type BurstFigures,
  benchBody,
  benchBridgeConfigText,
  benchSize,
  burstFigures,
  describeRun,
  findProcess,
  freePort,
  isPresence,
  processCpuMs,
  progress,
  runBench,
  startPostgres,
  startSynapse,
  startXmppServer,
  TestClient,
  wallNow,
  wholeNumberSetting,
  writeMergedBenchResults,
} from "@parley/testkit";
import { buildRegistration, MatrixConnector, type MatrixOptions } from "../src/index.ts";
import { MatrixUser } from "../test/matrix-user.ts";
import { HomeserverRequests } from "./homeserver-requests.ts";
import { MatrixArrivals, type MatrixBurstTimings } from "./matrix-arrivals.ts";
import {
  benchParts,
  type OrderedBurst,
  type PartConditions,
  synapseDatabase,
  toMatrixResults,
  toMatrixTable,
} from "./xmpp-to-matrix-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const MESSAGES = benchSize("PARLEY_BENCH_TO_MATRIX", 1000, 100_000);
const ROUNDS = benchSize("PARLEY_BENCH_ROUNDS", 3, 25);
const ROOM_MESSAGES = benchSize("PARLEY_BENCH_ROOM_MESSAGES", 200, 10_000);
const TEN_ROOMS_ROUNDS = benchSize("PARLEY_BENCH_TEN_ROOMS_ROUNDS", ROUNDS, 25);
const CATCH_UP = benchSize("PARLEY_BENCH_CATCH_UP", 10_000, 100_000);
const SYNAPSE_DB = synapseDatabase(process.env.PARLEY_BENCH_SYNAPSE_DB);
const PARTS = benchParts(process.env.PARLEY_BENCH_PARTS);
/** 1: the XMPP user shows an avatar in the rooms, as most clients do (the bridge looks it up in her vCard); 0: none. */
const AVATAR = wholeNumberSetting(process.env, "PARLEY_BENCH_AVATAR", { fallback: 1, min: 0, max: 1 }) === 1;
const ROOMS = 10;
const TIMEOUT_MS = 900_000;
/**
 * A catch-up's arrivals are awaited from before the outage's messages are
 * said (a Matrix user's 10,000 take Synapse many minutes on a loaded machine)
 * until the last is relayed, one room's messages in order: a second per
 * message covers both, at the slowest rates seen on the shared 2-core machine.
 */
const CATCH_UP_TIMEOUT_MS = Math.max(TIMEOUT_MS, CATCH_UP * 1000);
/** Synapse's own pool size for PostgreSQL (the testkit keeps 1 to 5 for its many short-lived homeservers). */
const SYNAPSE_POOL = { cp_min: 5, cp_max: 10 };
const loadNow = () => loadavg()[0] ?? 0;

const ordered = (t: MatrixBurstTimings): OrderedBurst => {
  if (t.duplicates > 0) throw new Error(`${t.duplicates} messages reached Matrix twice`);
  return { ...burstFigures(t), outOfOrder: t.outOfOrder };
};

interface Link {
  readonly room: string;
  readonly roomId: string;
}

async function main(cleanup: BenchCleanup): Promise<void> {
  progress(
    `XMPP -> Matrix on Synapse/${SYNAPSE_DB} (${[...PARTS].join(", ")}): ${MESSAGES} messages x ${ROUNDS} rounds, ` +
      `${ROOMS} rooms x ${ROOM_MESSAGES} x ${TEN_ROOMS_ROUNDS} rounds, catch-up of ${CATCH_UP}, ` +
      `${AVATAR ? "with" : "without"} an avatar; load average ${loadNow().toFixed(1)}`,
  );
  const dir = cleanup.tempDir("parley-matrix-to-bench-");
  const secret = randomBytes(12).toString("hex");
  const xmpp = await startXmppServer("prosody", {
    components: [{ domain: "bridge.parley.test", secret }],
    // Both sides' catch-up messages land in the room's archive (the Matrix side's as the bridge relays them,
    // while it is still reading the XMPP side's): room for both, or the oldest are trimmed before they are read.
    archiveItemLimit: 2 * CATCH_UP + 1000,
  });
  cleanup.defer(() => xmpp.stop());
  const asPort = await freePort();
  const base: MatrixOptions = {
    homeserverUrl: "http://127.0.0.1:1",
    serverName: "localhost",
    asToken: `as-${randomBytes(16).toString("hex")}`,
    hsToken: `hs-${randomBytes(16).toString("hex")}`,
    appserviceId: "parley-bench-out",
    listen: { host: "127.0.0.1", port: asPort },
    userPrefix: "_xmpp_",
    aliasPrefix: "_xmpp_",
    botLocalpart: "xmppbridge",
  };
  let postgres: { host: string; port: number; user: string; database: string } | undefined;
  if (SYNAPSE_DB === "postgres") {
    const pg = await startPostgres();
    cleanup.defer(() => pg.stop());
    await pg.createDatabase("synapse");
    postgres = { host: pg.host, port: pg.port, user: pg.user, database: "synapse" };
  }
  const synapse = await startSynapse({
    appservices: [buildRegistration(base)],
    ...(postgres && { postgres, extraConfig: { database: { args: SYNAPSE_POOL } } }),
  });
  cleanup.defer(() => synapse.stop());
  const options: MatrixOptions = { ...base, homeserverUrl: synapse.url };
  const account = await synapse.registerUser("bench", { displayName: "Bench" });
  const user = new MatrixUser(synapse.url, account.userId, account.accessToken);
  const stamp = process.pid;
  const newLink = async (name: string): Promise<Link> => ({
    room: `${name}-${stamp}@${xmpp.mucDomain}`,
    roomId: await user.createRoom({ preset: "public_chat", name }),
  });
  const one = await newLink("one");
  const ten: Link[] = [];
  for (let i = 0; i < ROOMS; i++) ten.push(await newLink(`ten${i}`));
  const catchUp = await newLink("catchup");
  const links = [one, ...ten, catchUp];
  // A room the bridge is not in: what the same PUTs cost where no application service is interested.
  const plainRoom = await user.createRoom({ preset: "public_chat", name: "plain" });

  const config = loadConfig(
    {
      text: benchBridgeConfigText({
        server: xmpp,
        component: { domain: "bridge.parley.test", secret },
        dir,
        network: "matrix",
        links: links.map((l) => ({ channel: l.roomId, room: l.room })),
        section: {},
      }),
    },
    { env: {} },
  );
  let warnings = 0;
  const logger = createLogger({
    level: "warn",
    secrets: [options.asToken, options.hsToken, secret],
    write: (line) => {
      warnings++;
      if (warnings <= 20) progress(`bridge: ${line}`);
    },
  });
  const store: BridgeStore = await openStore(config.store.url);
  cleanup.defer(() => store.close());

  const aliceAccount = xmpp.accounts[0];
  if (!aliceAccount) throw new Error("no XMPP account");
  const alice = await TestClient.connect(xmpp, aliceAccount);
  cleanup.defer(() => alice.stop());
  for (const l of links) {
    await alice.joinRoom(l.room, "alice");
    // Her client has no vCard to give (the bridge asks, and is told so); the hash is what clients put in presence.
    if (AVATAR) {
      await alice.send(buildPresence({ to: `${l.room}/alice`, vcardUpdate: { photo: "a".repeat(40) } }));
    }
  }
  // Alice's own copies of what she says are dropped unread; what comes from Matrix is timed.
  const probe = new ArrivalProbe({ now: wallNow });
  probe.watch(alice);
  cleanup.defer(() => probe.detach());

  const requests = new HomeserverRequests();
  requests.install(options.asToken);
  cleanup.defer(() => requests.uninstall());
  let bridge: Bridge | undefined;
  const startBridge = async (): Promise<Bridge> => {
    const connector = new MatrixConnector({ options, media: { maxBytes: 1 << 20, allowPrivateAddresses: true } });
    bridge = await Bridge.start({ config, connector, store, logger });
    return bridge;
  };
  cleanup.defer(() => bridge?.stop());
  const relayIn = (room: string) =>
    alice.waitFor(
      isPresence((p) => (p.from ?? "").toLowerCase().startsWith(`${room}/`) && p.from !== `${room}/alice`),
      { timeoutMs: 60_000, description: `the bridge's relay in ${room}` },
    );
  const relaysSeen = Promise.all(links.map((l) => relayIn(l.room)));
  await startBridge();
  await relaysSeen;
  for (const l of links) {
    const deadline = Date.now() + 60_000;
    while (!(await user.joinedMembers(l.roomId)).includes("@xmppbridge:localhost")) {
      if (Date.now() > deadline) throw new Error(`the bridge bot never joined ${l.roomId}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const arrivals = new MatrixArrivals(synapse.url, account.accessToken);
  await arrivals.start();
  cleanup.defer(() => arrivals.stop());

  /** Alice says `count` messages in each of `rooms` (interleaved), timed until Matrix shows them all. */
  const fromXmpp = async (tag: string, rooms: readonly Link[], count: number): Promise<OrderedBurst[]> => {
    const bursts = rooms.map((l, r) =>
      arrivals.expect({ tag: `${tag}r${r}`, roomId: l.roomId, count, timeoutMs: TIMEOUT_MS }),
    );
    for (let i = 0; i < count; i++) {
      for (const [r, l] of rooms.entries()) {
        const id = `${tag}-${r}-${i}`;
        bursts[r]?.markSent(i);
        await alice.send(buildMessage({ type: "groupchat", id, to: l.room, body: benchBody(`${tag}r${r}`, i) }));
      }
    }
    return Promise.all(bursts.map(async (b) => ordered(await b.done)));
  };

  /**
   * The ceiling: a bare HTTP client's sequential PUTs (each waits for the
   * previous answer), one chain per room, all rooms at once. It speaks as the
   * bridge's own ghost of the XMPP user, into the same linked rooms, so that
   * the homeserver does for each event just what it does for the bridge's
   * (the same members to notify, the same push to the application service,
   * which the bridge recognises as its own and drops).
   */
  let txn = 0;
  const bareSend = async (roomId: string, body: string): Promise<void> => {
    // Alice's ghost in that room (the rooms do not disclose real JIDs, so her ghost is per room).
    const ghost = arrivals.senderIn(roomId) ?? "";
    if (!ghost.startsWith("@_xmpp_")) throw new Error(`the bridge's ghost was not seen in ${roomId}: ${ghost}`);
    const url =
      `${synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/` +
      `bench-${stamp}-${++txn}?user_id=${encodeURIComponent(ghost)}`;
    const res = await fetch(url, {
      method: "PUT",
      headers: { authorization: `Bearer ${options.asToken}`, "content-type": "application/json" },
      body: JSON.stringify({ msgtype: "m.text", body }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`the bare client's PUT: HTTP ${res.status} ${text.slice(0, 200)}`);
  };
  const fromBareClient = async (tag: string, roomIds: readonly string[], count: number): Promise<OrderedBurst[]> => {
    const bursts = roomIds.map((roomId, r) =>
      arrivals.expect({ tag: `${tag}r${r}`, roomId, count, timeoutMs: TIMEOUT_MS }),
    );
    await Promise.all(
      roomIds.map(async (roomId, r) => {
        for (let i = 0; i < count; i++) {
          bursts[r]?.markSent(i);
          await bareSend(roomId, benchBody(`${tag}r${r}`, i));
        }
      }),
    );
    return Promise.all(bursts.map(async (b) => ordered(await b.done)));
  };

  /** All the bursts of a run as one: first send to last arrival, latencies pooled. */
  const pooled = (runs: readonly OrderedBurst[]): OrderedBurst => {
    const messages = runs.reduce((n, r) => n + r.messages, 0);
    const durationMs = Math.max(...runs.map((r) => r.durationMs));
    return {
      messages,
      msgsPerSec: messages / (durationMs / 1000),
      p50ms: Math.max(...runs.map((r) => r.p50ms)),
      p99ms: Math.max(...runs.map((r) => r.p99ms)),
      maxMs: Math.max(...runs.map((r) => r.maxMs)),
      durationMs,
      outOfOrder: runs.reduce((n, r) => n + r.outOfOrder, 0),
    };
  };

  // Where the CPU went during a run, per message: Synapse, Prosody, and this process (the bridge, and the bench's clients).
  const processes = { synapse: findProcess(synapse.dataDir), prosody: findProcess(xmpp.dir) };
  const cpuNow = () => ({
    synapse: processCpuMs(processes.synapse) ?? Number.NaN,
    prosody: processCpuMs(processes.prosody) ?? Number.NaN,
    bridge: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
  });
  const cpuPerMessage = (before: ReturnType<typeof cpuNow>, messages: number) => {
    const after = cpuNow();
    const per = (k: keyof typeof after) => Math.round(((after[k] - before[k]) / messages) * 10) / 10;
    return { synapse: per("synapse"), prosody: per("prosody"), bridge: per("bridge") };
  };

  // Warm-up: the ghost is registered and joins every room; the bare client speaks once as that ghost.
  await fromXmpp("warm", links, 2);
  await fromBareClient("cwarm", [one.roomId, ...ten.map((l) => l.roomId)], 2);
  progress("warmed up");
  requests.take();

  const conditions = (loadBefore: number): PartConditions => ({
    synapseDatabase: SYNAPSE_DB,
    loadAverage: [loadBefore, loadNow()],
  });
  const oneRoom = PARTS.has("one-room") ? await oneRoomPart() : undefined;
  const tenRooms = PARTS.has("ten-rooms") ? await tenRoomsPart() : undefined;
  const catchUpFigures = PARTS.has("catch-up") ? await catchUpPart() : undefined;

  async function oneRoomPart() {
    const loadBefore = loadNow();
    let requestsPerMessage = 0;
    const synapseCpu: { ceiling: number[]; bridge: number[] } = { ceiling: [], bridge: [] };
    const runs = await alternateRounds<BurstFigures | OrderedBurst>({
      rounds: ROUNDS,
      ceiling: async (round) => {
        requests.take();
        const cpu = cpuNow();
        const [c] = await fromBareClient(`c${round}`, [one.roomId], MESSAGES);
        if (!c) throw new Error("no ceiling run");
        const asked = requests.take();
        const used = cpuPerMessage(cpu, MESSAGES);
        synapseCpu.ceiling.push(used.synapse);
        progress(describeRun("ceiling", round, c, `load ${loadNow().toFixed(1)}`));
        progress(
          `  the bare client's PUTs: ${asked.meanMs} ms each, ${asked.idleMs} ms with none in flight ` +
            `(${asked.roomGapMs} ms from an answer to the next PUT); ` +
            `CPU ms per message: ${JSON.stringify(used)}`,
        );
        return c;
      },
      subject: async (round) => {
        requests.take();
        const cpu = cpuNow();
        const [b] = await fromXmpp(`b${round}`, [one], MESSAGES);
        if (!b) throw new Error("no bridge run");
        const asked = requests.take();
        const used = cpuPerMessage(cpu, MESSAGES);
        synapseCpu.bridge.push(used.synapse);
        requestsPerMessage = Math.max(requestsPerMessage, asked.total / MESSAGES);
        progress(describeRun("bridge", round, b, `${b.outOfOrder} out of order, load ${loadNow().toFixed(1)}`));
        progress(
          `  the bridge's requests: ${JSON.stringify(asked.byShape)}, at most ${asked.maxInFlight} at once, ` +
            `${asked.meanMs} ms each, ${asked.idleMs} ms with none in flight (${asked.roomGapMs} ms from an answer ` +
            `to the next request); CPU ms per message: ${JSON.stringify(used)}`,
        );
        return b;
      },
    });

    // For comparison only: the bench user's own PUTs into a room the bridge is not in.
    const plainBurst = arrivals.expect({ tag: "plain", roomId: plainRoom, count: MESSAGES, timeoutMs: TIMEOUT_MS });
    const plainCpu = cpuNow();
    for (let i = 0; i < MESSAGES; i++) {
      plainBurst.markSent(i);
      await user.sendText(plainRoom, benchBody("plain", i));
    }
    const plain = ordered(await plainBurst.done);
    const plainUsed = cpuPerMessage(plainCpu, MESSAGES);
    progress(
      `a room the bridge is not in, bare client: ${plain.msgsPerSec.toFixed(1)} msgs/s; CPU ms per message: ${JSON.stringify(plainUsed)}`,
    );
    return {
      ...conditions(loadBefore),
      ceiling: runs.ceiling,
      bridge: runs.subject as OrderedBurst[],
      requestsPerMessage,
      synapseCpuMsPerMessage: synapseCpu,
      plainRoom: { msgsPerSec: plain.msgsPerSec, synapseCpuMsPerMsg: plainUsed.synapse },
    };
  }

  /** This process's event-loop delay during `run` (the bridge and the bench's clients share it): p50 and p99, ms. */
  async function withLoopDelay<T>(run: () => Promise<T>): Promise<[T, string]> {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    try {
      const result = await run();
      const ms = (p: number) => (h.percentile(p) / 1e6).toFixed(0);
      return [result, `event loop delay p50 ${ms(50)} ms, p99 ${ms(99)} ms`];
    } finally {
      h.disable();
    }
  }

  async function tenRoomsPart() {
    const loadBefore = loadNow();
    let requestsInFlight = 0;
    let requestsPerMessage = 0;
    const runs = await alternateRounds<OrderedBurst>({
      rounds: TEN_ROOMS_ROUNDS,
      ceiling: async (round) => {
        requests.take();
        const [runs, delay] = await withLoopDelay(() =>
          fromBareClient(
            `tc${round}`,
            ten.map((l) => l.roomId),
            ROOM_MESSAGES,
          ),
        );
        const c = pooled(runs);
        const asked = requests.take();
        progress(describeRun("ceiling", round, c, `10 rooms, load ${loadNow().toFixed(1)}`));
        progress(
          `  the bare client's PUTs: ${asked.meanMs} ms each, ${asked.roomGapMs} ms between an answer and ` +
            `the room's next PUT; ${delay}`,
        );
        return c;
      },
      subject: async (round) => {
        requests.take();
        const [runs, delay] = await withLoopDelay(() => fromXmpp(`tb${round}`, ten, ROOM_MESSAGES));
        const b = pooled(runs);
        const asked = requests.take();
        requestsInFlight = Math.max(requestsInFlight, asked.maxInFlight);
        requestsPerMessage = Math.max(requestsPerMessage, asked.total / b.messages);
        progress(
          describeRun("bridge", round, b, `10 rooms, ${b.outOfOrder} out of order, load ${loadNow().toFixed(1)}`),
        );
        progress(
          `  the bridge's requests: ${JSON.stringify(asked.byShape)}, at most ${asked.maxInFlight} at once, ` +
            `${asked.meanMs} ms each, ${asked.idleMs} ms with none in flight, ${asked.roomGapMs} ms between ` +
            `an answer and the room's next request; ${delay}`,
        );
        return b;
      },
    });
    return {
      ...conditions(loadBefore),
      ceiling: runs.ceiling,
      bridge: runs.subject,
      requestsInFlight,
      requestsPerMessage,
    };
  }

  // Catch-up: the bridge stops, both sides talk, the bridge starts again.
  async function catchUpPart() {
    const loadBefore = loadNow();
    await bridge?.stop();
    bridge = undefined;
    progress(`bridge stopped; ${CATCH_UP} messages on each side`);
    const toMatrix = arrivals.expect({
      tag: "cux",
      roomId: catchUp.roomId,
      count: CATCH_UP,
      timeoutMs: CATCH_UP_TIMEOUT_MS,
      quietMs: 60_000,
    });
    for (let i = 0; i < CATCH_UP; i++) {
      toMatrix.markSent(i);
      await alice.send(
        buildMessage({ type: "groupchat", id: `cux-${i}`, to: catchUp.room, body: benchBody("cux", i) }),
      );
    }
    const toXmpp = probe.expect({ tag: "cum", room: catchUp.room, count: CATCH_UP, timeoutMs: CATCH_UP_TIMEOUT_MS });
    let next = 0;
    const worker = async () => {
      while (next < CATCH_UP) {
        const i = next++;
        toXmpp.markSent(i);
        await user.sendText(catchUp.roomId, benchBody("cum", i));
      }
    };
    // Eight in flight, as a busy room's users would have: Synapse persists a room's waiting events together.
    await Promise.all(Array.from({ length: 8 }, worker));
    progress(`both sides said their part; the bridge starts again (load ${loadNow().toFixed(1)})`);
    const restartedAt = wallNow();
    await startBridge();
    const [toMatrixDone, toXmppDone] = await Promise.all([
      toMatrix.done.then((t) => {
        const ms = Math.max(...t.receivedAt.filter((r) => r !== undefined)) - restartedAt;
        progress(
          `catch-up to Matrix: ${t.arrived} of ${CATCH_UP} in ${Math.round(ms)} ms, ${t.outOfOrder} out of order`,
        );
        return { ms, arrived: t.arrived, outOfOrder: t.outOfOrder };
      }),
      toXmpp.done.then((t) => {
        const ms = Math.max(...t.receivedAt.map((r) => r ?? Number.NaN)) - restartedAt;
        progress(`catch-up to XMPP: ${CATCH_UP} in ${Math.round(ms)} ms`);
        return ms;
      }),
    ]);
    return {
      ...conditions(loadBefore),
      messages: CATCH_UP,
      toMatrixMs: toMatrixDone.ms,
      toMatrixArrived: toMatrixDone.arrived,
      toMatrixOutOfOrder: toMatrixDone.outOfOrder,
      toXmppMs: toXmppDone,
    };
  }

  const results = toMatrixResults({
    ...(oneRoom && { oneRoom }),
    ...(tenRooms && { tenRooms }),
    ...(catchUpFigures && { catchUp: catchUpFigures }),
    bridgeWarnings: warnings,
  });
  console.log(`\n${toMatrixTable(results)}\n`);
  const file = process.env.PARLEY_BENCH_RESULTS || join(HERE, "results.json");
  writeMergedBenchResults(file, results);
  progress(`wrote ${file}; load average ${loadNow().toFixed(1)}`);
}

await runBench(main);
// The Matrix clients' and the application service's sockets may outlive the cleanup; the bench is over.
process.exit();
