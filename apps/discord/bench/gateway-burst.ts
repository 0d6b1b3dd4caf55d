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
import { DiscordConnector, parseDiscordOptions } from "../src/index.ts";
import { discordResults, discordTable } from "./bench-figures.ts";

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
  const bridgeComponent = { domain: "discord.parley.test", secret: secret() };
  const ceilingComponent = { domain: "ceiling.parley.test", secret: secret() };

  progress(`starting Prosody and the fake Discord (${rounds} rounds of ${messages}, ${pacedCount} paced)`);
  const server = await startXmppServer("prosody", { components: [bridgeComponent, ceilingComponent] });
  cleanup.defer(() => server.stop());
  const fake = new RemoteFake(join(HERE, "fake-discord-process.ts"), "fake Discord");
  cleanup.defer(() => fake.stop());
  cleanup.onSignal(() => fake.kill());
  const discord = await fake.ask<{
    token: string;
    restUrl: string;
    cdnUrl: string;
    channels: string[];
  }>({ op: "setup", channels: rounds + 1 });
  const rooms = await burstRooms(server, discord.channels, rounds, cleanup);

  const dir = cleanup.tempDir("parley-discord-bench-");
  let warnings = 0;
  const logger = createLogger({
    level: "warn",
    write: (line) => {
      warnings++;
      process.stderr.write(`${line}\n`);
    },
  });
  const config = loadConfig(
    {
      text: benchBridgeConfigText({
        server,
        component: bridgeComponent,
        dir,
        network: "discord",
        links: [rooms.paced, ...rooms.bursts],
        section: { token: discord.token, apiUrl: discord.restUrl, cdnUrl: discord.cdnUrl },
      }),
    },
    { env: {} },
  );
  const connector = new DiscordConnector(parseDiscordOptions(config.connectors.discord), {
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

  const results = discordResults({
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
  console.log(`\n${discordTable(results)}\n`);
  if (warnings > 0) progress(`the bridge logged ${warnings} warnings (above)`);
  const { violations } = await fake.ask<{ violations: string[] }>({ op: "violations" });
  if (violations.length > 0)
    throw new Error(`the bridge made requests Discord would refuse:\n${violations.join("\n")}`);
  writeBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
