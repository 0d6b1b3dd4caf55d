/**
 * The frame of a network -> XMPP burst bench (Discord's gateway-burst,
 * Slack's socket-burst) around runNetworkBursts: its sizes from the
 * environment, Prosody with the bridge's and the ceiling's components, the
 * fake network in a process of its own with a channel per round (and one
 * for the paced run), the rooms; and, after the runs, the inputs of
 * networkBurstResults. The bridge in between is the app's.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import type { XmppServer } from "../server.ts";
import { startXmppServer } from "../start-server.ts";
import { type BenchCleanup, progress } from "./bench-run.ts";
import { type BurstRooms, burstRooms, runNetworkBursts } from "./network-burst.ts";
import type { networkBurstResults } from "./network-burst-figures.ts";
import { type RemoteFake, startRemoteFake } from "./remote-fake.ts";
import { wholeNumberSetting } from "./settings.ts";

/** The paced run's rate (msgs/s) and how long one run may take. */
export const NETWORK_BURST_PACED_RATE = 200;
const TIMEOUT_MS = 120_000;

export interface NetworkBurstSetting<T> {
  readonly server: XmppServer;
  readonly fake: RemoteFake;
  /** The fake's answer to `{ op: "setup", channels }`. */
  readonly setup: T;
  readonly rooms: BurstRooms;
  readonly bridgeComponent: { readonly domain: string; readonly secret: string };
  readonly ceilingComponent: { readonly domain: string; readonly secret: string };
  /**
   * PARLEY_BENCH_MESSAGES (burst size, 2000), PARLEY_BENCH_PACED (1000),
   * PARLEY_BENCH_ROUNDS (5), PARLEY_BENCH_WARMUP_ROUNDS (uncounted bursts of
   * each side before them, 1).
   */
  readonly messages: number;
  readonly pacedCount: number;
  readonly rounds: number;
  readonly warmUpRounds: number;
  /** The machine's 1-minute load average before anything started. */
  readonly loadBefore: number;
}

/** `network` names it in progress and its component (`<network>.parley.test`); `fakeScript` is its fake's process. */
export async function startNetworkBurstSetting<T extends { readonly channels: readonly string[] }>(
  cleanup: BenchCleanup,
  o: { readonly network: string; readonly fakeScript: string },
): Promise<NetworkBurstSetting<T>> {
  const env = process.env;
  const messages = wholeNumberSetting(env, "PARLEY_BENCH_MESSAGES", { fallback: 2000, min: 1, max: 100_000 });
  const pacedCount = wholeNumberSetting(env, "PARLEY_BENCH_PACED", { fallback: 1000, min: 1, max: 100_000 });
  const rounds = wholeNumberSetting(env, "PARLEY_BENCH_ROUNDS", { fallback: 5, min: 1, max: 25 });
  const warmUpRounds = wholeNumberSetting(env, "PARLEY_BENCH_WARMUP_ROUNDS", { fallback: 1, min: 0, max: 5 });
  const loadBefore = loadavg()[0] ?? 0;
  const secret = () => randomBytes(12).toString("hex");
  const bridgeComponent = { domain: `${o.network.toLowerCase()}.parley.test`, secret: secret() };
  const ceilingComponent = { domain: "ceiling.parley.test", secret: secret() };

  progress(
    `starting Prosody and the fake ${o.network} (${rounds} rounds of ${messages} after ${warmUpRounds} uncounted, ${pacedCount} paced)`,
  );
  const server = await startXmppServer("prosody", { components: [bridgeComponent, ceilingComponent] });
  cleanup.defer(() => server.stop());
  const fake = startRemoteFake(cleanup, o.fakeScript, `fake ${o.network}`);
  const setup = await fake.ask<T>({ op: "setup", channels: warmUpRounds + rounds + 1 });
  const rooms = await burstRooms(server, setup.channels, warmUpRounds + rounds, cleanup);
  return {
    server,
    fake,
    setup,
    rooms,
    bridgeComponent,
    ceilingComponent,
    messages,
    pacedCount,
    rounds,
    warmUpRounds,
    loadBefore,
  };
}

/** The runs (runNetworkBursts) with the bridge whose work is done once `idle` resolves; the inputs of networkBurstResults. */
export async function runNetworkBurstBench(
  s: NetworkBurstSetting<unknown>,
  idle: () => Promise<void>,
  cleanup: BenchCleanup,
): Promise<Parameters<typeof networkBurstResults>[0]> {
  const runs = await runNetworkBursts({
    server: s.server,
    rooms: s.rooms,
    fake: s.fake,
    ceilingDomain: s.ceilingComponent.domain,
    idle,
    pacedCount: s.pacedCount,
    pacedRate: NETWORK_BURST_PACED_RATE,
    messages: s.messages,
    rounds: s.rounds,
    warmUpRounds: s.warmUpRounds,
    timeoutMs: TIMEOUT_MS,
    cleanup,
  });
  return {
    paced: runs.paced,
    pacedRatePerSec: NETWORK_BURST_PACED_RATE,
    bridge: runs.bridge,
    ceiling: runs.ceiling,
    warmUpRoundRatios: runs.warmUpRoundRatios,
    duplicates: runs.duplicates,
    server: "Prosody 0.12 (MUC archive in memory)",
    node: process.version,
    loadAverage: [s.loadBefore, loadavg()[0] ?? 0],
    cpu: runs.cpu,
    cpus: availableParallelism(),
  };
}
