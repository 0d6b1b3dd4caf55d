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
  ArrivalProbe,
  type ArrivalRun,
  alternateRounds,
  type BenchCleanup,
  type BurstSide,
  CpuMeter,
  componentSide,
  describeRun,
  findProcess,
  progress,
  RemoteFake,
  remoteFakeSide,
  runBench,
  startXmppServer,
  TestClient,
  TestComponent,
  timedBurst,
  wallNow,
  wholeNumberSetting,
  writeBenchResults,
} from "@parley/testkit";
import { parseSlackOptions, SlackConnector } from "../src/index.ts";
import { slackResults, slackTable } from "./bench-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACED_RATE = 200;
const TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const stamp = `${process.pid}-${Date.now()}`;
  const paced = { channel: slack.channels[0] as string, room: `paced-${stamp}@${server.mucDomain}` };
  const bursts = Array.from({ length: rounds }, (_, i) => ({
    channel: slack.channels[i + 1] as string,
    room: `burst-${i + 1}-${stamp}@${server.mucDomain}`,
    ceilingRoom: `ceiling-${i + 1}-${stamp}@${server.mucDomain}`,
  }));

  const account = server.accounts[0];
  if (!account) throw new Error("the server has no account");
  const alice = await TestClient.connect(server, account);
  cleanup.defer(() => alice.stop());
  for (const room of [paced.room, ...bursts.flatMap((b) => [b.room, b.ceilingRoom])]) {
    await alice.joinRoom(room, "alice");
  }
  // Wall-clock times: posts are timed in the fake's process.
  const probe = new ArrivalProbe({ now: wallNow });
  probe.watch(alice);
  cleanup.defer(() => probe.detach());

  const dir = cleanup.tempDir("parley-slack-bench-");
  let warnings = 0;
  const logger = createLogger({
    level: "warn",
    write: (line) => {
      warnings++;
      process.stderr.write(`${line}\n`);
    },
  });
  const links = [paced, ...bursts].map((l) => `  - { network: slack, channel: "${l.channel}", room: "${l.room}" }`);
  // Presence polling is off: it is not what is measured, and it would spend users.getPresence's limit.
  const section = { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, presence: false };
  const config = loadConfig(
    {
      text: [
        "xmpp:",
        `  host: ${server.host}`,
        `  port: ${server.componentPort}`,
        `  domain: ${bridgeComponent.domain}`,
        `  secret: "${bridgeComponent.secret}"`,
        `store: { url: "sqlite:${join(dir, "parley.db")}" }`,
        "http: { host: 127.0.0.1, port: 0 }",
        "ops: { host: 127.0.0.1, port: 0 }",
        "log: { level: warn }",
        `media: { dir: "${join(dir, "media")}", allowPrivateAddresses: true }`,
        "links:",
        ...links,
        "connectors:",
        `  slack: ${JSON.stringify(section)}`,
      ].join("\n"),
    },
    { env: {} },
  );
  const connector = new SlackConnector(parseSlackOptions(config.connectors.slack), {
    logger,
    allowPrivateAddresses: true,
  });
  const bridge = await Bridge.start({ config, connector, logger });
  cleanup.defer(() => bridge.stop());

  const ceiling = await TestComponent.connect(server, 1);
  cleanup.defer(() => ceiling.stop());
  const puppet = `poster@${ceilingComponent.domain}/bench`;
  for (const b of bursts) await ceiling.joinRoom(b.ceilingRoom, "Poster", { from: puppet });

  const bridgeSide = (channel: string) => remoteFakeSide(fake, channel);
  const ceilingSide = (room: string) => componentSide(ceiling, puppet, room);

  // Warm-up: the puppet joins each bridged room, caches and JIT are paid before any clock starts.
  for (const [i, l] of [paced, ...bursts].entries()) await timed(probe, `w${i}`, l.room, 1, bridgeSide(l.channel));
  for (const [i, b] of bursts.entries()) await timed(probe, `cw${i}`, b.ceilingRoom, 1, ceilingSide(b.ceilingRoom));

  progress(`paced: ${pacedCount} messages at ${PACED_RATE} msgs/s`);
  const pacedRun = await timed(probe, "paced", paced.room, pacedCount, bridgeSide(paced.channel), 1000 / PACED_RATE);
  const p = pacedRun.figures;
  progress(`  p50 ${p.p50ms.toFixed(1)} ms  p99 ${p.p99ms.toFixed(1)} ms  max ${p.maxMs.toFixed(1)} ms`);

  const serverPid = findProcess(server.dir);
  const cpu = { bridge: new CpuMeter(serverPid), ceiling: new CpuMeter(serverPid) };
  const finished: ArrivalRun[] = [pacedRun.run];
  const runs = await alternateRounds({
    rounds,
    ceiling: async (r) => {
      const b = bursts[r - 1] as (typeof bursts)[number];
      const c = await cpu.ceiling.measure(messages, () =>
        timed(probe, `c${r}`, b.ceilingRoom, messages, ceilingSide(b.ceilingRoom)),
      );
      progress(describeRun("ceiling", r, c.figures));
      finished.push(c.run);
      await sleep(500);
      return c.figures;
    },
    subject: async (r) => {
      const b = bursts[r - 1] as (typeof bursts)[number];
      const e = await cpu.bridge.measure(messages, async () => {
        const run = await timed(probe, `b${r}`, b.room, messages, bridgeSide(b.channel));
        // The bridge's work is done once it has handed everything to the engine and the occupant has it all.
        await connector.idle();
        return run;
      });
      const posting = (e.sentAt.at(-1) ?? 0) - (e.sentAt[0] ?? 0);
      progress(describeRun("bridge", r, e.figures, `(posted in ${posting.toFixed(0)} ms)`));
      finished.push(e.run);
      await connector.idle();
      await sleep(500);
      return e.figures;
    },
  });
  // Late copies (a redelivered envelope handled twice) would show up by now.
  await sleep(1000);

  const results = slackResults({
    paced: pacedRun.figures,
    pacedRatePerSec: PACED_RATE,
    bridge: runs.subject,
    ceiling: runs.ceiling,
    duplicates: finished.reduce((n, run) => n + run.duplicates, 0),
    server: "Prosody 0.12 (MUC archive in memory)",
    node: process.version,
    loadAverage: [loadBefore, loadavg()[0] ?? 0],
    cpu: { bridge: cpu.bridge.perMessage(), ceiling: cpu.ceiling.perMessage() },
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

/** Has `side` post `count` messages and times their arrival at the occupant. */
const timed = (probe: ArrivalProbe, tag: string, room: string, count: number, side: BurstSide, intervalMs = 0) =>
  timedBurst(probe, { tag, room, count, side, intervalMs, timeoutMs: TIMEOUT_MS });

await runBench(main);
