/**
 * The Discord soak (`npm run bench:soak` at the root, or `node bench/soak.ts`
 * here): does the bridge's memory stay flat over a long run, and what does an
 * online member cost? Measured as an operator would see it: the bridge runs
 * as its own process (the real `parley` CLI, a config file, SQLite), next to a
 * real Prosody and the fake Discord (a process of its own too).
 *
 * 1. A guild with `--members` members, all online, and `--rooms` channels,
 *    each linked with a MUC room where one XMPP user sits.
 * 2. Warm-up: `--warmup` messages, network -> XMPP and XMPP -> network in
 *    the run's proportion; memory read after a full collection.
 * 3. The run: `--to-xmpp` messages posted on Discord and `--to-network`
 *    messages written in the rooms, interleaved, in batches that each wait
 *    for the last to arrive; memory read again after a full collection. The
 *    growth between the two readings is what relaying costs for good.
 * 4. A second guild, with no linked channel, where members join and come
 *    online until `--crowd` members are online in all: RSS per member from
 *    `--members` to `--crowd`, discord.js's caches included.
 *
 * The bridge's memory is read through its inspector (--inspect on a free
 * loopback port): `--snapshots <dir>` also writes heap snapshots after the
 * warm-up and after the run and prints what grew, by constructor.
 * Prints a table and writes bench/soak.json.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertFakeSawNoViolations,
  type BenchCleanup,
  bytesPerMember,
  finishSoak,
  heapGrowth,
  type MemoryReading,
  progress,
  remoteFakeSoakDirections,
  retainersOf,
  runBench,
  soakRoomsWithUser,
  soakSettings,
  soakWarmupAndRun,
  startRemoteFake,
  startSoakBridge,
  startXmppServer,
  summarizeHeapSnapshot,
  waitForCount,
} from "@parley/testkit";

const HERE = dirname(fileURLToPath(import.meta.url));
const PARLEY = resolve(HERE, "../../../packages/bridge/bin/parley.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(cleanup: BenchCleanup): Promise<void> {
  const s = soakSettings(process.argv.slice(2));
  if (s.rooms > 900) throw new RangeError(`--rooms ${s.rooms}: the testkit's Prosody keeps 1000 rooms in memory`);
  const notes: string[] = [];
  progress(
    `discord soak: ${s.rooms} rooms, ${s.members} members online, warm-up ${s.warmup}, ` +
      `${s.toXmpp} -> XMPP, ${s.toNetwork} -> Discord, then ${s.crowd} online`,
  );
  const secret = "soak-secret-for-a-loopback-bench";
  const component = { domain: "discord.parley.test", secret };
  // Prosody's own default room cache (100) would swap rooms to disk on nearly every message; the
  // testkit's servers keep 1000 (@parley/xmpp-setup's default).
  const server = await startXmppServer("prosody", { components: [component] });
  cleanup.defer(() => server.stop());
  const fake = startRemoteFake(cleanup, join(HERE, "soak-fake-discord.ts"), "fake Discord");
  progress(`creating a guild of ${s.members} members`);
  const discord = await fake.ask<{ token: string; restUrl: string; cdnUrl: string; channels: string[] }>({
    op: "setup",
    channels: s.rooms,
    members: s.members,
  });
  const { rooms, alice, arrivals } = await soakRoomsWithUser(server, discord.channels.length, cleanup);

  const bridge = await startSoakBridge(cleanup, {
    script: PARLEY,
    server,
    component,
    network: "discord",
    connector: { token: discord.token, apiUrl: discord.restUrl, cdnUrl: discord.cdnUrl },
    channels: discord.channels,
    rooms,
  });
  const started = await bridge.memoryAfterGc();

  const directions = remoteFakeSoakDirections({ fake, client: alice, rooms, arrivals, tag: "d", label: "Discord" });
  const run = await soakWarmupAndRun(bridge, directions, s, {
    network: "discord",
    label: "Discord",
  });

  let crowdReading: MemoryReading = run.afterRun;
  if (s.crowd > 0) {
    const joining = s.crowd - s.members;
    const before = await bridge.memoryAfterGc();
    progress(`crowd: ${joining} members join a second guild and come online`);
    await fake.ask({ op: "crowd", members: joining });
    await waitForCount("members online", s.crowd, async () => {
      const m = await bridge.metrics();
      return [...m].filter(([k]) => k.startsWith("parley_puppets")).reduce((sum, [, v]) => sum + v, 0);
    });
    await sleep(2000);
    crowdReading = await bridge.memoryAfterGc();
    const perMember = bytesPerMember(before, crowdReading, joining);
    progress(`  ${perMember} bytes of RSS per online member`);
  } else {
    notes.push("--crowd 0: the cost per online member was not measured");
  }

  await finishSoak(
    { network: "discord", settings: s, ...run, started, crowdReading, notes },
    join(HERE, "soak.json"),
    async () => {
      if (run.snapshots) printGrowth(run.snapshots.afterWarmup, run.snapshots.afterRun);
      await assertFakeSawNoViolations(fake, "Discord");
    },
  );
}

/** What grew between two snapshots, by constructor, and who holds the biggest grower. */
function printGrowth(before: string, after: string): void {
  const rows = heapGrowth(summarizeHeapSnapshot(before), summarizeHeapSnapshot(after), 20);
  console.log("heap growth by constructor (count, bytes):");
  for (const r of rows)
    console.log(`  ${r.name.padEnd(50)} ${String(r.count).padStart(9)} ${String(r.bytes).padStart(12)}`);
  for (const r of rows.slice(0, 5)) {
    if (r.count <= 0) continue;
    console.log(`held by (${r.name}):`);
    for (const h of retainersOf(after, r.name, 8)) console.log(`  ${h.holder.padEnd(60)} ${h.count}`);
  }
}

await runBench(main);
