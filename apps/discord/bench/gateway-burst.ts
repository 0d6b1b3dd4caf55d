/**
 * `npm run bench` (in apps/discord): how fast Discord messages reach an XMPP
 * occupant through the bridge, against what the same Prosody takes from a
 * bare component.
 *
 * - Paced: the fake Discord posts at 200 msgs/s; latency per message runs
 *   from the post (the gateway dispatch) to its arrival at the occupant.
 * - Burst: the fake posts N messages at once; throughput is N over first post
 *   to last arrival. The ceiling, in the same run and the same Prosody, is the
 *   same burst of groupchat messages from a bare XEP-0114 component's puppet
 *   to the same occupant. Rounds alternate ceiling and bridge, each in a fresh
 *   room, and the figures are medians.
 *
 * The fake Discord runs in a process of its own (bench/fake-discord-process.ts):
 * in a deployment Discord is elsewhere, and its work must not be charged to
 * the bridge. Post and arrival times are wall-clock, comparable between the
 * two processes.
 *
 * Prints a table and writes its figures into bench/results.json (keeping
 * the other bench script's). Settings (environment):
 * PARLEY_BENCH_MESSAGES (burst size, default 2000), PARLEY_BENCH_PACED
 * (paced messages, default 1000), PARLEY_BENCH_ROUNDS (default 5),
 * PARLEY_BENCH_WARMUP_ROUNDS (full bursts of each side before the rounds,
 * shown but not counted, default 1).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@parley/bridge";
import {
  assertFakeSawNoViolations,
  type BenchCleanup,
  BenchWarnings,
  runBench,
  runNetworkBurstBench,
  startNetworkBurstSetting,
  writeMergedBenchResults,
} from "@parley/testkit";
import { discordBenchBridge, type FakeDiscordSetup } from "./bench-bridge.ts";
import { discordResults, discordTable } from "./bench-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

async function main(cleanup: BenchCleanup): Promise<void> {
  const setting = await startNetworkBurstSetting<FakeDiscordSetup>(cleanup, {
    network: "Discord",
    fakeScript: join(HERE, "fake-discord-process.ts"),
  });
  const { server, fake, rooms, setup: discord } = setting;

  const warnings = new BenchWarnings();
  const logger = createLogger({ level: "warn", write: warnings.write });
  const bridge = discordBenchBridge({
    cleanup,
    server,
    component: setting.bridgeComponent,
    dirPrefix: "parley-discord-bench-",
    links: [rooms.paced, ...rooms.bursts],
    discord,
    logger,
  });
  await bridge.start();

  const results = discordResults(
    await runNetworkBurstBench(setting, async () => bridge.current?.connector.idle(), cleanup),
  );
  console.log(`\n${discordTable(results)}\n`);
  warnings.report();
  await assertFakeSawNoViolations(fake, "Discord");
  writeMergedBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
