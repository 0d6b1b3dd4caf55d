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
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startXmppServer, TestClient, type XmppServer } from "@parley/testkit";
import { createLogger } from "../src/ops/logger.ts";
import { benchSettings } from "./bench-settings.ts";
import { benchResults, type RunFigures, resultsTable } from "./bench-stats.ts";
import { BurstProbe } from "./burst-probe.ts";
import { runBurst } from "./burst-run.ts";
import { CeilingSide } from "./ceiling-side.ts";
import { EngineSide } from "./engine-side.ts";
import { killIdlePuppetProcesses, measureIdlePuppets } from "./idle-puppets.ts";
import { findProcess } from "./process-cpu.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Cleanup steps, run last-registered first, on success, failure and interruption alike. */
const cleanups: Array<() => Promise<void> | void> = [];
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The server's directory, removed on a signal too (the testkit kills the server then, but keeps its files). */
let serverDir: string | undefined;

// The testkit kills its servers on these signals; the directories go too, then the signal takes its course.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    killIdlePuppetProcesses();
    removeTempDirs();
    if (serverDir !== undefined && process.env.PARLEY_KEEP_SERVERS !== "1") {
      rmSync(serverDir, { recursive: true, force: true });
    }
    process.kill(process.pid, sig);
  });
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describeRun(side: string, round: number, f: RunFigures): string {
  return (
    `round ${round} ${side.padEnd(7)} ${f.msgsPerSec.toFixed(0).padStart(6)} msgs/s  ` +
    `p50 ${f.p50ms.toFixed(1)} ms  p99 ${f.p99ms.toFixed(1)} ms  loop stall ${f.loopDelayMaxMs.toFixed(0)} ms` +
    (f.duplicates > 0 ? `  (${f.duplicates} duplicates!)` : "")
  );
}

async function main(): Promise<void> {
  const settings = benchSettings(process.env);
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
  serverDir = server.dir;
  cleanups.push(() => server.stop());

  const alice = await TestClient.connect(server, server.accounts[0] ?? (await server.createAccount("alice", "pw")));
  cleanups.push(() => alice.stop());
  const probe = new BurstProbe(alice);
  cleanups.push(() => probe.detach());

  const room = (kind: string, r: number) => `${kind}-${r}-${process.pid}@${server.mucDomain}`;
  const rounds = Array.from({ length: settings.rounds }, (_, i) => i + 1);
  const engine = await EngineSide.start(
    {
      host: server.host,
      port: server.componentPort,
      ...components.engine,
      dir: tempDir("parley-bench-engine-"),
      links: rounds.map((r) => ({ channel: `burst-${r}`, room: room("engine", r) })),
    },
    { logger, settleTimeoutMs: settings.timeoutMs },
  );
  cleanups.push(() => engine.stop());
  let ceilingError: unknown;
  const ceiling = await CeilingSide.start({
    host: server.host,
    port: server.componentPort,
    ...components.ceiling,
    onError: (e) => {
      ceilingError ??= e;
    },
  });
  cleanups.push(() => ceiling.stop());

  const serverPid = findProcess(server.dir);
  const ceilingRuns: RunFigures[] = [];
  const engineRuns: RunFigures[] = [];
  for (const r of rounds) {
    const common = { client: alice, probe, count: settings.messages, timeoutMs: settings.timeoutMs, serverPid };
    const c = await runBurst({ ...common, side: ceiling, room: room("ceiling", r), tag: `c${r}` }).catch(
      (e: unknown) => {
        throw ceilingError !== undefined ? new Error(`${String(e)}; first send failure: ${String(ceilingError)}`) : e;
      },
    );
    progress(describeRun("ceiling", r, c));
    const e = await runBurst({ ...common, side: engine, room: room("engine", r), tag: `e${r}` });
    progress(describeRun("engine", r, e));
    ceilingRuns.push(c);
    engineRuns.push(e);
  }

  progress(`measuring ${settings.idlePuppets} idle puppets in a child process`);
  const idle = await measureIdlePuppets(
    {
      host: server.host,
      port: server.componentPort,
      ...components.idle,
      count: settings.idlePuppets,
      dir: tempDir("parley-bench-idle-"),
    },
    settings.timeoutMs * 2,
  );

  const results = benchResults({
    ceiling: ceilingRuns,
    engine: engineRuns,
    idle,
    server: "Prosody 0.12 (MUC archive in memory)",
    node: process.version,
    engineWarnings,
  });
  console.log(`\n${resultsTable(results)}\n`);
  writeFileSync(join(HERE, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
}

async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (e) {
      progress(`cleanup: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  removeTempDirs();
}

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  progress(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanUp();
}
