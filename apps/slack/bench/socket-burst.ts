/**
 * `npm run bench` (in apps/slack): how fast Slack messages reach an XMPP
 * occupant through the bridge, against what the same Prosody takes from a
 * bare component. The Discord bench's method, with Slack's transport:
 *
 * - Paced: the fake Slack posts at 200 msgs/s; latency per message runs from
 *   the post (the Socket Mode envelope sent) to its arrival at the occupant.
 * - Burst: the fake posts N messages at once; throughput is N over first post
 *   to last arrival. The ceiling, in the same run and the same Prosody, is
 *   the same burst of groupchat messages from a bare XEP-0114 component's
 *   puppet to the same occupant. Rounds alternate ceiling and bridge, each in
 *   a fresh room, and the figures are medians.
 *
 * The bridge runs in this process (the real Bolt in Socket Mode, the
 * connector, the engine on SQLite); the fake Slack runs in a process of its
 * own (fake-slack-process.ts), so its work is not charged to the bridge.
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
  progress,
  runBench,
  runNetworkBurstBench,
  startNetworkBurstSetting,
  writeMergedBenchResults,
} from "@parley/testkit";
import { type FakeSlackSetup, slackBenchBridge } from "./bench-bridge.ts";
import { slackResults, slackTable } from "./bench-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

async function main(cleanup: BenchCleanup): Promise<void> {
  const setting = await startNetworkBurstSetting<FakeSlackSetup>(cleanup, {
    network: "Slack",
    fakeScript: join(HERE, "fake-slack-process.ts"),
  });
  const { server, fake, rooms, setup: slack } = setting;

  const warnings = new BenchWarnings();
  const logger = createLogger({ level: "warn", write: warnings.write });
  const { connector } = await slackBenchBridge({
    cleanup,
    server,
    component: setting.bridgeComponent,
    dirPrefix: "parley-slack-bench-",
    links: [rooms.paced, ...rooms.bursts],
    slack,
    logger,
  }).start();

  const results = slackResults(await runNetworkBurstBench(setting, () => connector.idle(), cleanup));
  console.log(`\n${slackTable(results)}\n`);
  warnings.report();
  const { calls } = await fake.ask<{ calls: Record<string, number> }>({ op: "calls" });
  progress(`Web API calls the bridge made: ${JSON.stringify(calls)}`);
  // "response ..." lines would be the fake's own answers departing from Slack's description: a fake bug, also fatal.
  await assertFakeSawNoViolations(fake, "Slack");
  writeMergedBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
