/**
 * The Slack soak (`npm run bench:soak` at the root, or `node bench/soak.ts`
 * here): does the bridge's memory stay flat over a long run, and what does an
 * online member cost? The bridge runs as its own process (the real `parley`
 * CLI, a config file, SQLite) next to a real Prosody and the fake Slack (a
 * process of its own too, soak-fake-slack.ts), in Socket Mode.
 *
 * 1. `--rooms` channels, each linked with a MUC room where one XMPP user
 *    sits. One active member per channel is there from the start: the bridge
 *    lists its channels' members and asks each one's presence
 *    (users.getPresence, Tier 3, so it spaces its calls 1.3 s apart), then
 *    polls them every 30 s for the whole run. The others, up to `--members`,
 *    join the channels once it runs (member_joined_channel), which seats
 *    them as present: asked one by one, 1,000 members would take 22 minutes.
 * 2. Warm-up, then the run: `--to-xmpp` messages Slack -> XMPP (Socket Mode
 *    events) and `--to-network` XMPP -> Slack (chat.postMessage), interleaved
 *    in batches that each wait for the last to arrive; memory read after a
 *    full collection after each. The growth between them is what relaying
 *    costs for good.
 * 3. More members join the linked channels until `--crowd` are online: RSS
 *    per online member (the user cache, puppets, seats in the rooms).
 *
 * The fake's rate limits are off (the soak measures memory, not Slack's
 * pace). `--snapshots <dir>` writes heap snapshots after the warm-up, after
 * the run and with `--crowd` online. Prints a table and writes bench/soak.json.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertFakeSawNoViolations,
  type BenchCleanup,
  finishSoak,
  type MemoryReading,
  metricSum,
  progress,
  remoteFakeSoakDirections,
  runBench,
  soakRoomsWithUser,
  soakSettings,
  soakWarmupAndRun,
  startRemoteFake,
  startSoakBridge,
  startXmppServer,
  waitForCount,
} from "@parley/testkit";

const HERE = dirname(fileURLToPath(import.meta.url));
const PARLEY = resolve(HERE, "../../../packages/bridge/bin/parley.js");
/** The least presence polling interval the connector takes: the poll runs all through the soak. */
const PRESENCE_INTERVAL_SECONDS = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `read()` has not changed for `quietMs` (puppets still taking their seats in the rooms). */
async function quiet(read: () => Promise<number>, quietMs = 5000): Promise<void> {
  let last = await read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await sleep(500);
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

async function main(cleanup: BenchCleanup): Promise<void> {
  const s = soakSettings(process.argv.slice(2));
  if (s.rooms > 900) throw new RangeError(`--rooms ${s.rooms}: the testkit's Prosody keeps 1000 rooms in memory`);
  const atStart = Math.min(s.members, s.rooms);
  const notes: string[] = [
    `${atStart} members were in the channels at start (presence asked 1.3 s apart, then polled every ` +
      `${PRESENCE_INTERVAL_SECONDS} s); the others joined the linked channels while the bridge ran`,
  ];
  progress(
    `slack soak: ${s.rooms} rooms, ${s.members} members online, warm-up ${s.warmup}, ` +
      `${s.toXmpp} -> XMPP, ${s.toNetwork} -> Slack, then ${s.crowd} online`,
  );
  const component = { domain: "slack.parley.test", secret: "soak-secret-for-a-loopback-bench" };
  const server = await startXmppServer("prosody", { components: [component] });
  cleanup.defer(() => server.stop());
  const fake = startRemoteFake(cleanup, join(HERE, "soak-fake-slack.ts"), "fake Slack");
  const slack = await fake.ask<{ botToken: string; appToken: string; apiUrl: string; channels: string[] }>({
    op: "setup",
    channels: s.rooms,
    members: atStart,
  });
  const { rooms, alice, arrivals } = await soakRoomsWithUser(server, slack.channels.length, cleanup);

  const bridge = await startSoakBridge(cleanup, {
    script: PARLEY,
    server,
    component,
    network: "slack",
    connector: {
      botToken: slack.botToken,
      appToken: slack.appToken,
      apiUrl: slack.apiUrl,
      presenceIntervalSeconds: PRESENCE_INTERVAL_SECONDS,
    },
    channels: slack.channels,
    rooms,
  });

  const online = () => metricSum(bridge, "parley_puppets");
  const seats = () => metricSum(bridge, 'parley_cache_entries{cache="engine.room-seats"}');
  progress(`${atStart} members present at start, their presence asked one by one`);
  await waitForCount("members seated by presence", atStart, () =>
    metricSum(bridge, 'parley_cache_entries{cache="slack.presence"}'),
  );
  await waitForCount("members online", atStart, online);
  if (s.members > atStart) {
    progress(`${s.members - atStart} more members join the channels`);
    await fake.ask({ op: "join", members: s.members, posting: true });
    await waitForCount("members online", s.members, online);
  }
  await quiet(seats);
  const started = await bridge.memoryAfterGc();

  const directions = remoteFakeSoakDirections({ fake, client: alice, rooms, arrivals, tag: "s", label: "Slack" });
  const run = await soakWarmupAndRun(bridge, directions, s, {
    network: "slack",
    label: "Slack",
  });

  let crowdReading: MemoryReading = run.afterRun;
  if (s.crowd > 0) {
    progress(`crowd: ${s.crowd - s.members} more members join the linked channels`);
    await fake.ask({ op: "join", members: s.crowd, posting: false });
    // A Socket Mode reconnection on a busy machine catches up every channel first: minutes without a join.
    await waitForCount("members online", s.crowd, online, 300_000);
    await quiet(seats);
    crowdReading = await bridge.memoryAfterGc();
    if (s.snapshots !== undefined) await bridge.heapSnapshot(join(s.snapshots, `slack-${s.crowd}-online.heapsnapshot`));
  } else {
    notes.push("--crowd 0: the cost per online member was not measured");
  }
  const { count: redelivered } = await fake.ask<{ count: number }>({ op: "redelivered" });
  if (redelivered > 0) notes.push(`${redelivered} Socket Mode envelopes were sent again (acked after 3 s)`);

  await finishSoak(
    { network: "slack", settings: s, ...run, started, crowdReading, notes },
    join(HERE, "soak.json"),
    () =>
      // `response ...` lines are the fake's own answers departing from Slack's description, not the bridge's doing.
      assertFakeSawNoViolations(fake, "Slack", { counted: (v) => !v.startsWith("response "), most: 20 }),
  );
}

await runBench(main);
