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
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bridge, createLogger, loadConfig } from "@parley/bridge";
import { buildMessage } from "@parley/stanza";
import { startXmppServer, TestClient, TestComponent } from "@parley/testkit";
import { DiscordConnector, parseDiscordOptions } from "../src/index.ts";
import { ArrivalProbe, benchBody, type Expectation, wallNow } from "./arrival-probe.ts";
import { benchResults, type CpuCost, type RunFigures, resultsTable, runFigures } from "./bench-figures.ts";
import { cpuMsOf, pidMentioning } from "./process-cpu.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACED_RATE = 200;
const TIMEOUT_MS = 120_000;

function setting(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`${name} must be a whole number from 1 to ${max}`);
  }
  return n;
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
const progress = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fake Discord in its own process (see fake-discord-process.ts), one request at a time. */
class RemoteFake {
  private readonly child: ChildProcess;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.child = fork(join(HERE, "fake-discord-process.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  }

  ask<T>(request: { op: string } & Record<string, unknown>): Promise<T> {
    const next = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onMessage = (m: { op: string; message?: string }) => {
            this.child.off("message", onMessage);
            this.child.off("exit", onExit);
            if (m.op === "error") reject(new Error(`fake Discord: ${m.message}`));
            else resolve(m as T);
          };
          const onExit = () => reject(new Error("the fake Discord process exited"));
          this.child.on("message", onMessage);
          this.child.once("exit", onExit);
          this.child.send(request);
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.ask({ op: "stop" }).catch(() => undefined);
    this.child.kill();
  }
}

async function main(): Promise<void> {
  const messages = setting("PARLEY_BENCH_MESSAGES", 2000, 100_000);
  const pacedCount = setting("PARLEY_BENCH_PACED", 1000, 100_000);
  const rounds = setting("PARLEY_BENCH_ROUNDS", 5, 25);
  const loadBefore = loadavg()[0] ?? 0;
  const secret = () => randomBytes(12).toString("hex");
  const bridgeComponent = { domain: "discord.parley.test", secret: secret() };
  const ceilingComponent = { domain: "ceiling.parley.test", secret: secret() };

  progress(`starting Prosody and the fake Discord (${rounds} rounds of ${messages}, ${pacedCount} paced)`);
  const server = await startXmppServer("prosody", { components: [bridgeComponent, ceilingComponent] });
  cleanups.push(() => server.stop());
  const fake = new RemoteFake();
  cleanups.push(() => fake.stop());
  const discord = await fake.ask<{
    token: string;
    restUrl: string;
    cdnUrl: string;
    channels: string[];
  }>({ op: "setup", channels: rounds + 1 });
  const stamp = `${process.pid}-${Date.now()}`;
  const paced = { channel: discord.channels[0] as string, room: `paced-${stamp}@${server.mucDomain}` };
  const bursts = Array.from({ length: rounds }, (_, i) => ({
    channel: discord.channels[i + 1] as string,
    room: `burst-${i + 1}-${stamp}@${server.mucDomain}`,
    ceilingRoom: `ceiling-${i + 1}-${stamp}@${server.mucDomain}`,
  }));

  const account = server.accounts[0];
  if (!account) throw new Error("the server has no account");
  const alice = await TestClient.connect(server, account);
  cleanups.push(() => alice.stop());
  for (const room of [paced.room, ...bursts.flatMap((b) => [b.room, b.ceilingRoom])]) {
    await alice.joinRoom(room, "alice");
  }
  const probe = new ArrivalProbe(alice);
  cleanups.push(() => probe.detach());

  const dir = mkdtempSync(join(tmpdir(), "parley-discord-bench-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  let warnings = 0;
  const logger = createLogger({
    level: "warn",
    write: (line) => {
      warnings++;
      process.stderr.write(`${line}\n`);
    },
  });
  const links = [paced, ...bursts].map((l) => `  - { network: discord, channel: "${l.channel}", room: "${l.room}" }`);
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
        "log: { level: warn }",
        `media: { dir: "${join(dir, "media")}", allowPrivateAddresses: true }`,
        "links:",
        ...links,
        "connectors:",
        `  discord: ${JSON.stringify({ token: discord.token, apiUrl: discord.restUrl, cdnUrl: discord.cdnUrl })}`,
      ].join("\n"),
    },
    { env: {} },
  );
  const connector = new DiscordConnector(parseDiscordOptions(config.connectors.discord), {
    logger,
    allowPrivateAddresses: true,
  });
  const bridge = await Bridge.start({ config, connector, logger });
  cleanups.push(() => bridge.stop());

  const ceiling = await TestComponent.connect(server, 1);
  cleanups.push(() => ceiling.stop());
  const puppet = `poster@${ceilingComponent.domain}/bench`;
  for (const b of bursts) await ceiling.joinRoom(b.ceilingRoom, "Poster", { from: puppet });

  const bridgeSide = (channel: string): Side => ({
    post: async (bodies, intervalMs) =>
      (await fake.ask<{ sentAt: number[] }>({ op: "post", channel, bodies, intervalMs })).sentAt,
  });
  const ceilingSide = (room: string): Side => ({
    post: async (bodies, intervalMs) => {
      const sentAt: number[] = [];
      const start = wallNow();
      for (const [i, body] of bodies.entries()) {
        if (intervalMs > 0) {
          const wait = start + i * intervalMs - wallNow();
          if (wait > 1) await sleep(wait);
        }
        sentAt.push(wallNow());
        void ceiling
          // The shape the engine sends (id and XEP-0359 origin-id), as the engine's own bench does.
          .send(
            buildMessage({
              type: "groupchat",
              id: `ceiling-${body.replaceAll(" ", "-")}`,
              originId: `ceiling-${body.replaceAll(" ", "-")}`,
              from: puppet,
              to: room,
              body,
            }),
          )
          .catch((e: unknown) => progress(`ceiling send failed: ${e instanceof Error ? e.message : String(e)}`));
      }
      return sentAt;
    },
  });

  // Warm-up: the puppet joins each bridged room, caches and JIT are paid before any clock starts.
  for (const [i, l] of [paced, ...bursts].entries()) await timed(probe, `w${i}`, l.room, 1, bridgeSide(l.channel));
  for (const [i, b] of bursts.entries()) await timed(probe, `cw${i}`, b.ceilingRoom, 1, ceilingSide(b.ceilingRoom));

  progress(`paced: ${pacedCount} messages at ${PACED_RATE} msgs/s`);
  const pacedRun = await timed(probe, "paced", paced.room, pacedCount, bridgeSide(paced.channel), 1000 / PACED_RATE);
  progress(`  p50 ${pacedRun.figures.p50ms} ms  p99 ${pacedRun.figures.p99ms} ms  max ${pacedRun.figures.maxMs} ms`);

  const bridgeRuns: RunFigures[] = [];
  const ceilingRuns: RunFigures[] = [];
  const serverPid = pidMentioning(server.dir);
  const cost = { bridge: new CpuMeter(serverPid), ceiling: new CpuMeter(serverPid) };
  let duplicates = pacedRun.expectation.duplicates;
  const done: Expectation[] = [pacedRun.expectation];
  for (const [i, b] of bursts.entries()) {
    const c = await cost.ceiling.measure(messages, () =>
      timed(probe, `c${i}`, b.ceilingRoom, messages, ceilingSide(b.ceilingRoom)),
    );
    progress(`round ${i + 1} ceiling ${c.figures.msgsPerSec} msgs/s  p99 ${c.figures.p99ms} ms`);
    await sleep(500);
    const e = await cost.bridge.measure(messages, async () => {
      const run = await timed(probe, `b${i}`, b.room, messages, bridgeSide(b.channel));
      // The bridge's work is done once it has handed everything to the engine and the occupant has it all.
      await connector.idle();
      return run;
    });
    const posting = (e.expectation.sentAt.at(-1) ?? 0) - (e.expectation.sentAt[0] ?? 0);
    progress(
      `round ${i + 1} bridge  ${e.figures.msgsPerSec} msgs/s  p99 ${e.figures.p99ms} ms  (posted in ${posting.toFixed(0)} ms)`,
    );
    ceilingRuns.push(c.figures);
    bridgeRuns.push(e.figures);
    done.push(c.expectation, e.expectation);
    await connector.idle();
    await sleep(500);
  }
  // Late copies would show up by now.
  await sleep(1000);
  duplicates = done.reduce((n, e) => n + e.duplicates, 0);

  const results = benchResults({
    paced: pacedRun.figures,
    pacedRatePerSec: PACED_RATE,
    bridge: bridgeRuns,
    ceiling: ceilingRuns,
    duplicates,
    server: "Prosody 0.12 (MUC archive in memory)",
    loadAverage: [loadBefore, loadavg()[0] ?? 0],
    cpu: { bridge: cost.bridge.perMessage(), ceiling: cost.ceiling.perMessage() },
    cpus: availableParallelism(),
  });
  console.log(`\n${resultsTable(results)}\n`);
  if (warnings > 0) progress(`the bridge logged ${warnings} warnings (above)`);
  const { violations } = await fake.ask<{ violations: string[] }>({ op: "violations" });
  if (violations.length > 0)
    throw new Error(`the bridge made requests Discord would refuse:\n${violations.join("\n")}`);
  writeFileSync(join(HERE, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
}

/** CPU spent by this process and by Prosody over timed runs, per message. */
class CpuMeter {
  private readonly serverPid: number | undefined;
  private messages = 0;
  private ownUs = 0;
  private serverMs: number | undefined = 0;

  constructor(serverPid: number | undefined) {
    this.serverPid = serverPid;
  }

  async measure<T>(messages: number, run: () => Promise<T>): Promise<T> {
    const own = process.cpuUsage();
    const server = cpuMsOf(this.serverPid);
    const result = await run();
    const used = process.cpuUsage(own);
    const serverAfter = cpuMsOf(this.serverPid);
    this.messages += messages;
    this.ownUs += used.user + used.system;
    this.serverMs =
      this.serverMs !== undefined && server !== undefined && serverAfter !== undefined
        ? this.serverMs + serverAfter - server
        : undefined;
    return result;
  }

  perMessage(): CpuCost {
    const n = Math.max(this.messages, 1);
    return {
      processUs: Math.round(this.ownUs / n),
      serverUs: this.serverMs === undefined ? null : Math.round((this.serverMs * 1000) / n),
    };
  }
}

/** Who puts messages into a room: the fake Discord (through the bridge) or the bare component. */
interface Side {
  /** Posts the bodies (all at once, or one every `intervalMs`); resolves with each post's wall-clock time. */
  post(bodies: string[], intervalMs: number): Promise<number[]>;
}

/** Has `side` post `count` messages and times their arrival at the occupant. */
async function timed(
  probe: ArrivalProbe,
  tag: string,
  room: string,
  count: number,
  side: Side,
  intervalMs = 0,
): Promise<{ figures: RunFigures; expectation: Expectation }> {
  const e = probe.expect(tag, room, count, TIMEOUT_MS);
  const bodies = Array.from({ length: count }, (_, i) => benchBody(tag, i));
  const sentAt = await side.post(bodies, intervalMs);
  sentAt.forEach((t, i) => {
    e.sentAt[i] = t;
  });
  await e.done;
  return { figures: runFigures(e), expectation: e };
}

async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (e) {
      progress(`cleanup: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    void cleanUp().finally(() => process.kill(process.pid, sig));
  });
}

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  progress(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanUp();
}
