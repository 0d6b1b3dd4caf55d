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
 * Prints a table and writes bench/results.json. Settings (environment):
 * PARLEY_BENCH_MESSAGES (burst size, default 2000), PARLEY_BENCH_PACED
 * (paced messages, default 1000), PARLEY_BENCH_ROUNDS (default 5).
 */
import { randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bridge, createLogger, loadConfig } from "@parley/bridge";
import {
  type BenchCleanup,
  benchBridgeConfigText,
  burstRooms,
  progress,
  RemoteFake,
  runBench,
  runNetworkBursts,
  startXmppServer,
  wholeNumberSetting,
  writeBenchResults,
} from "@parley/testkit";
import { parseSlackOptions, SlackConnector } from "../src/index.ts";
import { slackResults, slackTable } from "./bench-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACED_RATE = 200;
const TIMEOUT_MS = 120_000;

async function main(cleanup: BenchCleanup): Promise<void> {
  const env = process.env;
  const messages = wholeNumberSetting(env, "PARLEY_BENCH_MESSAGES", { fallback: 2000, min: 1, max: 100_000 });
  const pacedCount = wholeNumberSetting(env, "PARLEY_BENCH_PACED", { fallback: 1000, min: 1, max: 100_000 });
  const rounds = wholeNumberSetting(env, "PARLEY_BENCH_ROUNDS", { fallback: 5, min: 1, max: 25 });
  const loadBefore = loadavg()[0] ?? 0;
  const secret = () => randomBytes(12).toString("hex");
  const bridgeComponent = { domain: "slack.parley.test", secret: secret() };
  const ceilingComponent = { domain: "ceiling.parley.test", secret: secret() };

  progress(`starting Prosody and the fake Slack (${rounds} rounds of ${messages}, ${pacedCount} paced)`);
  const server = await startXmppServer("prosody", { components: [bridgeComponent, ceilingComponent] });
  cleanup.defer(() => server.stop());
  const fake = new RemoteFake(join(HERE, "fake-slack-process.ts"), "fake Slack");
  cleanup.defer(() => fake.stop());
  cleanup.onSignal(() => fake.kill());
  const slack = await fake.ask<{ botToken: string; appToken: string; apiUrl: string; channels: string[] }>({
    op: "setup",
    channels: rounds + 1,
  });
  const rooms = await burstRooms(server, slack.channels, rounds, cleanup);

  const dir = cleanup.tempDir("parley-slack-bench-");
  let warnings = 0;
  const logger = createLogger({
    level: "warn",
    write: (line) => {
      warnings++;
      process.stderr.write(`${line}\n`);
    },
  });
  // Presence polling is off: it is not what is measured, and it would spend users.getPresence's limit.
  const section = { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, presence: false };
  const config = loadConfig(
    {
      text: benchBridgeConfigText({
        server,
        component: bridgeComponent,
        dir,
        network: "slack",
        links: [rooms.paced, ...rooms.bursts],
        section,
      }),
    },
    { env: {} },
  );
  const connector = new SlackConnector(parseSlackOptions(config.connectors.slack), {
    logger,
    allowPrivateAddresses: true,
  });
  const bridge = await Bridge.start({ config, connector, logger });
  cleanup.defer(() => bridge.stop());

  const runs = await runNetworkBursts({
    server,
    rooms,
    fake,
    ceilingDomain: ceilingComponent.domain,
    idle: () => connector.idle(),
    pacedCount,
    pacedRate: PACED_RATE,
    messages,
    rounds,
    timeoutMs: TIMEOUT_MS,
    cleanup,
  });

  const results = slackResults({
    paced: runs.paced,
    pacedRatePerSec: PACED_RATE,
    bridge: runs.bridge,
    ceiling: runs.ceiling,
    duplicates: runs.duplicates,
    server: "Prosody 0.12 (MUC archive in memory)",
    node: process.version,
    loadAverage: [loadBefore, loadavg()[0] ?? 0],
    cpu: runs.cpu,
    cpus: availableParallelism(),
  });
  console.log(`\n${slackTable(results)}\n`);
  if (warnings > 0) progress(`the bridge logged ${warnings} warnings (above)`);
  const { calls } = await fake.ask<{ calls: Record<string, number> }>({ op: "calls" });
  progress(`Web API calls the bridge made: ${JSON.stringify(calls)}`);
  // "response ..." lines would be the fake's own answers departing from Slack's description: a fake bug, also fatal.
  const { violations } = await fake.ask<{ violations: string[] }>({ op: "violations" });
  if (violations.length > 0) throw new Error(`the bridge made requests Slack would refuse:\n${violations.join("\n")}`);
  writeBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
