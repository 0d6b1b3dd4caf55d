/**
 * The Matrix soak (`npm run bench:soak` at the root, or `node bench/soak.ts`
 * here): does the bridge's memory stay flat over a long run, and what does an
 * online member cost? The bridge runs as its own process (the real `parley`
 * CLI, a config file, SQLite) next to a real Prosody and a real Synapse.
 *
 * 1. `--rooms` public Matrix rooms, each linked with a MUC room where one XMPP
 *    user sits; `--members` Matrix users come online (m.presence).
 * 2. Warm-up, then the run: `--to-xmpp` messages Matrix -> XMPP and
 *    `--to-network` XMPP -> Matrix, interleaved in batches that each wait for
 *    the last to arrive; memory read after a full collection after each.
 * 3. More users come online until `--crowd` are: RSS per online member.
 *
 * Matrix -> XMPP events are PUT into the bridge's application-service API as
 * Synapse sends them (transactions of 50 events, one at a time), so the pace
 * is the bridge's; the presences arrive the same way, as ephemeral events.
 * XMPP -> Matrix goes through the real Synapse, which takes a few dozen
 * messages a second here: `--to-network` is the 20,000 by default,
 * and a smaller number keeps the run short (see the note it leaves).
 * Prints a table and writes bench/soak.json.
 */
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BenchCleanup,
  benchBody,
  finishSoak,
  freePort,
  type MemoryReading,
  metricSum,
  progress,
  runBench,
  type SoakDirections,
  sendSoakMessages,
  soakRoomsWithUser,
  soakSettings,
  soakWarmupAndRun,
  startSoakBridge,
  startSynapse,
  startXmppServer,
  waitForCount,
} from "@parley/testkit";
import { buildRegistration, type MatrixOptions } from "../src/index.ts";
import { MatrixUser } from "../test/matrix-user.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const PARLEY = resolve(HERE, "../../../packages/bridge/bin/parley.js");
const EVENTS_PER_TRANSACTION = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(cleanup: BenchCleanup): Promise<void> {
  const s = soakSettings(process.argv.slice(2));
  if (s.rooms > 900) throw new RangeError(`--rooms ${s.rooms}: the testkit's Prosody keeps 1000 rooms in memory`);
  const notes: string[] = [];
  progress(
    `matrix soak: ${s.rooms} rooms, ${s.members} members online, warm-up ${s.warmup}, ` +
      `${s.toXmpp} -> XMPP, ${s.toNetwork} -> Matrix, then ${s.crowd} online`,
  );
  const secret = randomBytes(12).toString("hex");
  const component = { domain: "bridge.parley.test", secret };
  const xmpp = await startXmppServer("prosody", { components: [component] });
  cleanup.defer(() => xmpp.stop());
  const asPort = await freePort();
  const base: MatrixOptions = {
    homeserverUrl: "http://127.0.0.1:1",
    serverName: "localhost",
    asToken: `as-${randomBytes(16).toString("hex")}`,
    hsToken: `hs-${randomBytes(16).toString("hex")}`,
    appserviceId: "parley-soak",
    listen: { host: "127.0.0.1", port: asPort },
    userPrefix: "_xmpp_",
    aliasPrefix: "_xmpp_",
    botLocalpart: "xmppbridge",
  };
  progress("starting Synapse");
  const synapse = await startSynapse({ appservices: [buildRegistration(base)] });
  cleanup.defer(() => synapse.stop());
  const options: MatrixOptions = { ...base, homeserverUrl: synapse.url };
  const account = await synapse.registerUser("soak", { displayName: "Soak" });
  const poster = new MatrixUser(synapse.url, account.userId, account.accessToken);
  progress(`creating ${s.rooms} Matrix rooms`);
  const matrixRooms: string[] = [];
  for (let i = 0; i < s.rooms; i++)
    matrixRooms.push(await poster.createRoom({ preset: "public_chat", name: `soak ${i + 1}` }));
  const { rooms, alice, arrivals } = await soakRoomsWithUser(xmpp, matrixRooms.length, cleanup);

  const { homeserverUrl, serverName, asToken, hsToken, appserviceId, listen, userPrefix, aliasPrefix, botLocalpart } =
    options;
  const bridge = await startSoakBridge(cleanup, {
    script: PARLEY,
    server: xmpp,
    component,
    network: "matrix",
    connector: {
      homeserverUrl,
      serverName,
      asToken,
      hsToken,
      appserviceId,
      listen,
      userPrefix,
      aliasPrefix,
      botLocalpart,
    },
    channels: matrixRooms,
    rooms,
    readyTimeoutMs: 180_000,
  });

  let transactions = 0;
  const put = async (body: { events: unknown[]; ephemeral?: unknown[] }) => {
    const id = `soak-${process.pid}-${++transactions}`;
    const res = await fetch(`http://127.0.0.1:${asPort}/_matrix/app/v1/transactions/${id}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${hsToken}` },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`transaction ${id}: HTTP ${res.status}`);
  };
  /** Users `from`..`to - 1` come online, as presence EDUs carrying their names. */
  const online = async (from: number, to: number) => {
    for (let start = from; start < to; start += 500) {
      const ephemeral = [];
      for (let i = start; i < Math.min(to, start + 500); i++) {
        ephemeral.push({
          type: "m.presence",
          sender: `@member${i + 1}:${serverName}`,
          content: { presence: "online", displayname: `Member ${i + 1}`, currently_active: true },
        });
      }
      await put({ events: [], ephemeral });
    }
    await waitForCount("members online", to, () => metricSum(bridge, "parley_puppets"));
  };
  progress(`${s.members} Matrix users come online`);
  await online(0, s.members);
  const started = await bridge.memoryAfterGc();

  let sentToXmpp = 0;
  let sentToNetwork = 0;
  const relayedToMatrix = () => metricSum(bridge, "parley_relayed_messages_total", 'direction="to-remote"');
  const directions: SoakDirections = {
    toXmpp: async (count) => {
      const target = arrivals.count + count;
      for (let start = 0; start < count; start += EVENTS_PER_TRANSACTION) {
        const events = [];
        for (let i = start; i < Math.min(count, start + EVENTS_PER_TRANSACTION); i++) {
          const seq = sentToXmpp + i;
          events.push({
            type: "m.room.message",
            room_id: matrixRooms[seq % matrixRooms.length],
            sender: poster.userId,
            event_id: `$soak-${process.pid}-${seq}`,
            origin_server_ts: Date.now(),
            content: { msgtype: "m.text", body: benchBody("m", seq) },
            unsigned: { age: 0 },
          });
        }
        await put({ events });
      }
      sentToXmpp += count;
      await waitForCount("Matrix -> XMPP", target, () => arrivals.count);
    },
    toNetwork: async (count) => {
      const target = (await relayedToMatrix()) + count;
      await sendSoakMessages(alice, rooms, sentToNetwork, count);
      sentToNetwork += count;
      // Synapse's pace, and a ghost's first message in a room waits for its registration and join.
      await waitForCount("XMPP -> Matrix", target, relayedToMatrix, 180_000);
    },
  };
  const run = await soakWarmupAndRun(bridge, directions, s, {
    network: "matrix",
    label: "Matrix",
  });

  let crowdReading: MemoryReading = run.afterRun;
  if (s.crowd > 0) {
    progress(`crowd: ${s.crowd - s.members} more Matrix users come online`);
    await online(s.members, s.crowd);
    await sleep(2000);
    crowdReading = await bridge.memoryAfterGc();
  } else {
    notes.push("--crowd 0: the cost per online member was not measured");
  }
  if (s.toNetwork < 20_000) {
    notes.push(`${s.toNetwork} messages XMPP -> Matrix (the issue asks 20,000): Synapse sets that pace`);
  }

  await finishSoak({ network: "matrix", settings: s, ...run, started, crowdReading, notes }, join(HERE, "soak.json"));
}

await runBench(main);
// The application service's and Synapse's sockets may outlive the cleanup; the bench is over.
process.exit();
