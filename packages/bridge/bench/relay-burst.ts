/**
 * `npm run bench` (in packages/bridge): how close the engine comes to what a
 * bare component can push through the same Prosody, and what an idle puppet
 * costs in memory.
 *
 * - Ceiling: a bare ComponentSession sends a burst of groupchat messages,
 *   built by @parley/stanza, from a puppet already in a fresh room.
 * - Engine: the reference network posts the same burst; the reference
 *   connector feeds a running Bridge, which relays it into its own fresh room.
 * - In both rooms one XMPP client receives; a message's latency runs from
 *   the send call (ceiling) or the network post (engine) to its arrival at
 *   the client; throughput is messages over first send to last arrival.
 * - Runs alternate (ceiling, engine, ceiling, engine...) so a noisy machine
 *   hits both alike; the figures are medians over the rounds.
 * - Idle puppets: a child process starts a bridge and brings N remote users
 *   online who join no room; heapUsed + external per puppet (and RSS).
 *
 * Prints a table and writes bench/results.json. Settings: see bench-settings.ts.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ArrivalProbe,
  alternateRounds,
  type BenchCleanup,
  describeRun,
  findProcess,
  progress,
  runBench,
  startXmppServer,
  TestClient,
  writeBenchResults,
  type XmppServer,
} from "@parley/testkit";
import { createLogger } from "../src/ops/logger.ts";
import { benchSettings } from "./bench-settings.ts";
import { burstHeapProfiler } from "./burst-heap-profile.ts";
import { burstProfiler } from "./burst-profile.ts";
import { runBurst } from "./burst-run.ts";
import { CeilingSide } from "./ceiling-side.ts";
import { EngineSide } from "./engine-side.ts";
import { killIdlePuppetProcesses, measureIdlePuppets } from "./idle-puppets.ts";
import { type RunFigures, relayResults, relayTable } from "./relay-results.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

const note = (f: RunFigures) =>
  `loop stall ${f.loopDelayMaxMs.toFixed(0)} ms  CPU ${f.cpu.processUs.toFixed(0)} µs/msg` +
  (f.duplicates > 0 ? `  (${f.duplicates} duplicates!)` : "");

async function main(cleanup: BenchCleanup): Promise<void> {
  const settings = benchSettings(process.env);
  cleanup.onSignal(killIdlePuppetProcesses);
  let engineWarnings = 0;
  const logger = createLogger({
    level: "warn",
    write: (line) => {
      engineWarnings++;
      process.stderr.write(`${line}\n`);
    },
  });
  const secret = () => randomBytes(12).toString("hex");
  const components = {
    engine: { domain: "bridge.parley.test", secret: secret() },
    ceiling: { domain: "ceiling.parley.test", secret: secret() },
    idle: { domain: "idle.parley.test", secret: secret() },
  };
  progress(`starting Prosody (${settings.rounds} rounds of ${settings.messages} messages to come)`);
  const server: XmppServer = await startXmppServer("prosody", { components: Object.values(components) });
  cleanup.defer(() => server.stop());
  // The testkit kills the server on a signal but keeps its files; they go too, unless asked to stay.
  cleanup.onSignal(() => {
    if (process.env.PARLEY_KEEP_SERVERS !== "1") rmSync(server.dir, { recursive: true, force: true });
  });

  const alice = await TestClient.connect(server, server.accounts[0] ?? (await server.createAccount("alice", "pw")));
  cleanup.defer(() => alice.stop());
  const probe = new ArrivalProbe();
  probe.watch(alice);
  cleanup.defer(() => probe.detach());

  const room = (kind: string, r: number) => `${kind}-${r}-${process.pid}@${server.mucDomain}`;
  const engine = await EngineSide.start(
    {
      host: server.host,
      port: server.componentPort,
      ...components.engine,
      dir: cleanup.tempDir("parley-bench-engine-"),
      links: Array.from({ length: settings.rounds }, (_, i) => ({
        channel: `burst-${i + 1}`,
        room: room("engine", i + 1),
      })),
    },
    { logger, settleTimeoutMs: settings.timeoutMs, seated: settings.seated },
  );
  cleanup.defer(() => engine.stop());
  let ceilingError: unknown;
  const ceiling = await CeilingSide.start({
    host: server.host,
    port: server.componentPort,
    ...components.ceiling,
    seated: settings.seated,
    onError: (e) => {
      ceilingError ??= e;
    },
  });
  cleanup.defer(() => ceiling.stop());

  const common = {
    client: alice,
    probe,
    count: settings.messages,
    timeoutMs: settings.timeoutMs,
    serverPid: findProcess(server.dir),
  };
  const runs = await alternateRounds({
    rounds: settings.rounds,
    ceiling: async (r) => {
      const window =
        burstProfiler(process.env.PARLEY_BENCH_CPU_PROFILE, `ceiling-${r}`, settings.messages) ??
        burstHeapProfiler(process.env.PARLEY_BENCH_HEAP_PROFILE, `ceiling-${r}`);
      const c = await runBurst({ ...common, side: ceiling, room: room("ceiling", r), tag: `c${r}`, window }).catch(
        (e: unknown) => {
          throw ceilingError !== undefined ? new Error(`${String(e)}; first send failure: ${String(ceilingError)}`) : e;
        },
      );
      progress(describeRun("ceiling", r, c, note(c)));
      return c;
    },
    subject: async (r) => {
      const window =
        burstProfiler(process.env.PARLEY_BENCH_CPU_PROFILE, `engine-${r}`, settings.messages) ??
        burstHeapProfiler(process.env.PARLEY_BENCH_HEAP_PROFILE, `engine-${r}`);
      const e = await runBurst({ ...common, side: engine, room: room("engine", r), tag: `e${r}`, window });
      progress(describeRun("engine", r, e, note(e)));
      return e;
    },
  });

  progress(`measuring ${settings.idlePuppets} idle puppets in a child process`);
  const idle = await measureIdlePuppets(
    {
      host: server.host,
      port: server.componentPort,
      ...components.idle,
      count: settings.idlePuppets,
      dir: cleanup.tempDir("parley-bench-idle-"),
    },
    settings.timeoutMs * 2,
  );

  const results = relayResults({
    ceiling: runs.ceiling,
    engine: runs.subject,
    idle,
    server: "Prosody 0.12 (MUC archive in memory)",
    node: process.version,
    engineWarnings,
  });
  console.log(`\n${relayTable(results)}\n`);
  writeBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
