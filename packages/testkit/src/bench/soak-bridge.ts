/**
 * The bridge of a soak bench and the soak's middle, the same for every
 * network: the real `parley` CLI with a config file (SQLite, the ops port
 * for readiness and metrics) next to the bench's XMPP server; the metrics a
 * soak reads of it; and the warm-up then the run, memory read after a full
 * collection after each (and heap snapshots with `--snapshots`).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../free-port.ts";
import type { XmppServer } from "../server.ts";
import { type BenchCleanup, progress } from "./bench-run.ts";
import { BridgeProcess } from "./bridge-process.ts";
import type { MemoryReading } from "./inspector-session.ts";
import { benchBridgeConfigText } from "./network-burst.ts";
import { writeBenchResults } from "./results-file.ts";
import { type SoakFigures, type SoakReadings, soakFiguresOf, soakTable } from "./soak-figures.ts";
import { relayInterleaved, type SoakDirections, type SoakPace, type SoakSettings } from "./soak-run.ts";

export interface SoakBridgeOptions {
  /** The CLI Node runs (packages/bridge/bin/parley.js). */
  readonly script: string;
  readonly server: Pick<XmppServer, "host" | "componentPort">;
  readonly component: { readonly domain: string; readonly secret: string };
  /** The connector's name in the config ("discord"), and its settings. */
  readonly network: string;
  readonly connector: Readonly<Record<string, unknown>>;
  /** Channel i is linked with room i. */
  readonly channels: readonly string[];
  readonly rooms: readonly string[];
  /** How long the bridge may take to be ready; BridgeProcess's default when undefined. */
  readonly readyTimeoutMs?: number;
}

/** Writes the config in a temporary directory and starts the bridge; `cleanup` stops it (kills it on a signal). */
export async function startSoakBridge(cleanup: BenchCleanup, o: SoakBridgeOptions): Promise<BridgeProcess> {
  const dir = cleanup.tempDir(`parley-${o.network}-soak-`);
  const opsPort = await freePort();
  const configFile = join(dir, "parley.yaml");
  const links = o.channels.map((channel, i) => ({ channel, room: o.rooms[i] as string }));
  const text = benchBridgeConfigText({ ...o, dir, links, section: o.connector, opsPort });
  writeFileSync(configFile, `${text}\n`);
  progress("starting the bridge: parley --config parley.yaml");
  const bridge = await BridgeProcess.start({
    script: o.script,
    args: ["--config", configFile],
    logFile: join(dir, "bridge.log"),
    opsUrl: `http://127.0.0.1:${opsPort}`,
    ...(o.readyTimeoutMs !== undefined && { readyTimeoutMs: o.readyTimeoutMs }),
  });
  cleanup.defer(() => bridge.stop());
  cleanup.onSignal(() => bridge.kill());
  return bridge;
}

/** The sum of the samples of `name` in /metrics, whatever their labels (those whose key includes `labels`). */
export async function metricSum(bridge: BridgeProcess, name: string, labels = ""): Promise<number> {
  let sum = 0;
  for (const [key, value] of await bridge.metrics()) {
    if ((key === name || key.startsWith(`${name}{`)) && key.includes(labels)) sum += value;
  }
  return sum;
}

/** The bridge's cache sizes (`parley_cache_entries`, by cache name) and puppets, as a soak reports them. */
export async function soakCaches(bridge: BridgeProcess): Promise<Record<string, number>> {
  return Object.fromEntries(
    [...(await bridge.metrics())]
      .filter(([name]) => name.startsWith("parley_cache_entries") || name.startsWith("parley_puppets"))
      .map(([name, value]) => [name.replace(/^parley_cache_entries\{cache="([^"]+)"\}$/, "$1"), value]),
  );
}

export interface SoakRunReadings {
  readonly afterWarmup: MemoryReading;
  readonly afterRun: MemoryReading;
  readonly pace: SoakPace;
  readonly caches: Record<string, number>;
  /** The heap snapshots taken (with `--snapshots`): after the warm-up and after the run. */
  readonly snapshots: { readonly afterWarmup: string; readonly afterRun: string } | undefined;
}

/**
 * The warm-up (`s.warmup` messages both ways in the run's proportion), then
 * the run; after each, memory after a full collection, and a heap snapshot
 * `<network>-after-warmup.heapsnapshot` / `-after-run` with `--snapshots`.
 * What is still in flight after the run (delivery confirmations, timers of a
 * few seconds) is left 5 s to settle: it is not growth.
 */
export async function soakWarmupAndRun(
  bridge: BridgeProcess,
  directions: SoakDirections,
  s: SoakSettings,
  o: { readonly network: string; readonly label: string },
): Promise<SoakRunReadings> {
  const relay = (xmpp: number, network: number) =>
    relayInterleaved(directions, { xmpp, network, batch: s.batch, label: o.label });
  const snapshot = async (name: string) => {
    if (s.snapshots === undefined) return undefined;
    const file = join(s.snapshots, `${o.network}-${name}.heapsnapshot`);
    await bridge.heapSnapshot(file);
    progress(`  heap snapshot: ${file}`);
    return file;
  };

  await waitForSeats(bridge);
  const ratio = s.toNetwork / (s.toXmpp + s.toNetwork);
  const warmNetwork = Math.round(s.warmup * ratio);
  progress(`warm-up: ${s.warmup - warmNetwork} -> XMPP, ${warmNetwork} -> ${o.label}`);
  if (s.warmup > 0) await relay(s.warmup - warmNetwork, warmNetwork);
  const afterWarmup = await bridge.memoryAfterGc();
  const warmSnapshot = await snapshot("after-warmup");

  progress(`run: ${s.toXmpp} -> XMPP, ${s.toNetwork} -> ${o.label}`);
  const pace = await relay(s.toXmpp, s.toNetwork);
  await new Promise((r) => setTimeout(r, 5000));
  const afterRun = await bridge.memoryAfterGc();
  const runSnapshot = await snapshot("after-run");
  const caches = await soakCaches(bridge);
  const snapshots =
    warmSnapshot !== undefined && runSnapshot !== undefined
      ? { afterWarmup: warmSnapshot, afterRun: runSnapshot }
      : undefined;
  return { afterWarmup, afterRun, pace, caches, snapshots };
}

/**
 * Waits until the bridge has seated the present members in the rooms (its
 * `engine.room-seats` gauge holds still for 5 s): a start with 1,000 present
 * members in 100 rooms is thousands of joins, which must not be measured as
 * the warm-up's speed or the run's growth.
 */
async function waitForSeats(bridge: BridgeProcess): Promise<void> {
  const started = Date.now();
  const read = () => metricSum(bridge, "parley_cache_entries", 'cache="engine.room-seats"');
  let last = await read();
  let stillSince = Date.now();
  while (Date.now() - stillSince < 5000) {
    if (Date.now() - started > 15 * 60_000)
      throw new Error(`the rooms' seats were still being taken after 15 minutes (${last})`);
    await new Promise((r) => setTimeout(r, 500));
    const now = await read();
    if (now !== last) {
      last = now;
      stillSince = Date.now();
    }
  }
  progress(`  ${last} seats taken in the rooms (${Math.round((Date.now() - started) / 1000)} s)`);
}

/**
 * The end of a soak: its figures (soakFiguresOf) printed as a table, then
 * `check` (what fails the run, such as requests the fake network refused),
 * then the figures written to `file` (bench/soak.json), unless heap
 * snapshots were taken: taking one makes V8 allocate outside the heap, which
 * RSS keeps, so those figures are not comparable.
 */
export async function finishSoak(
  r: SoakReadings & { readonly settings: SoakSettings },
  file: string,
  check: () => Promise<void> | void = () => undefined,
): Promise<SoakFigures> {
  const figures = soakFiguresOf(r);
  console.log(`\n${soakTable(figures)}\n`);
  await check();
  if (r.settings.snapshots !== undefined) {
    progress("heap snapshots were taken: bench/soak.json is left as it was");
  } else {
    writeBenchResults(file, { figures, ratios: {} });
  }
  return figures;
}
