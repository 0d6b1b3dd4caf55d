/**
 * The body of a network -> XMPP burst bench (Discord's gateway-burst, Slack's
 * socket-burst): rooms and an occupant, the bridge's configuration text, and
 * the runs (warm-up, a paced run, uncounted warm-up bursts, then bursts
 * alternating with the ceiling).
 * What differs per network (its fake's setup, its connector, its figures) stays
 * in the app's bench.
 */
import { join } from "node:path";
import type { XmppServer } from "../server.ts";
import { TestClient } from "../xmpp-client.ts";
import { TestComponent } from "../xmpp-component.ts";
import { ArrivalProbe, type ArrivalRun, wallNow } from "./arrival-probe.ts";
import { type BenchCleanup, progress } from "./bench-run.ts";
import { type BurstSide, componentSide, remoteFakeSide, timedBurst } from "./burst-sides.ts";
import { type CpuCost, CpuMeter, findProcess } from "./process-cpu.ts";
import type { RemoteFake } from "./remote-fake.ts";
import { alternateRounds, describeRun } from "./rounds.ts";
import type { BurstFigures } from "./statistics.ts";

/** A network channel bridged to a room. */
export interface BenchLink {
  readonly channel: string;
  readonly room: string;
}

/** The paced run's link, and per round a bridged link plus the ceiling's own room. */
export interface BurstRooms {
  readonly paced: BenchLink;
  readonly bursts: ReadonlyArray<BenchLink & { readonly ceilingRoom: string }>;
  /** Times arrivals at an occupant in every room (wall clock: posts are timed in the fake's process). */
  readonly probe: ArrivalProbe;
}

/**
 * One room per channel (the first is the paced run's) with an occupant of the
 * server's first account in each; `rounds` counts every burst round, warm-up
 * rounds included.
 */
export async function burstRooms(
  server: XmppServer,
  channels: readonly string[],
  rounds: number,
  cleanup: BenchCleanup,
): Promise<BurstRooms> {
  const stamp = `${process.pid}-${Date.now()}`;
  const paced = { channel: channels[0] as string, room: `paced-${stamp}@${server.mucDomain}` };
  const bursts = Array.from({ length: rounds }, (_, i) => ({
    channel: channels[i + 1] as string,
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
  const probe = new ArrivalProbe({ now: wallNow });
  probe.watch(alice);
  cleanup.defer(() => probe.detach());
  return { paced, bursts, probe };
}

/**
 * A bench bridge's configuration (YAML text for loadConfig): the component on
 * `server`, SQLite and media in `dir`, the links, and `section` as the
 * connector's settings under `network`; the ops endpoint on `opsPort` (default
 * 0: any free port).
 */
export function benchBridgeConfigText(o: {
  readonly server: Pick<XmppServer, "host" | "componentPort">;
  readonly component: { readonly domain: string; readonly secret: string };
  readonly dir: string;
  readonly network: string;
  readonly links: readonly BenchLink[];
  readonly section: Readonly<Record<string, unknown>>;
  readonly opsPort?: number;
}): string {
  return [
    "xmpp:",
    `  host: ${o.server.host}`,
    `  port: ${o.server.componentPort}`,
    `  domain: ${o.component.domain}`,
    `  secret: "${o.component.secret}"`,
    `store: { url: "sqlite:${join(o.dir, "parley.db")}" }`,
    "http: { host: 127.0.0.1, port: 0 }",
    `ops: { host: 127.0.0.1, port: ${o.opsPort ?? 0} }`,
    `log: { level: ${process.env.PARLEY_BENCH_LOG_LEVEL ?? "warn"} }`,
    `media: { dir: "${join(o.dir, "media")}", allowPrivateAddresses: true }`,
    "links:",
    ...o.links.map((l) => `  - { network: ${o.network}, channel: "${l.channel}", room: "${l.room}" }`),
    "connectors:",
    `  ${o.network}: ${JSON.stringify(o.section)}`,
  ].join("\n");
}

/** Where a bench runs its bridge (in the bench's own process): what an app's bench bridge takes besides its fake and logger. */
export interface BenchBridgeSetting {
  readonly cleanup: BenchCleanup;
  readonly server: XmppServer;
  readonly component: { readonly domain: string; readonly secret: string };
  /** The prefix of the temporary directory its SQLite and media go in. */
  readonly dirPrefix: string;
  readonly links: readonly BenchLink[];
}

/** benchBridgeConfigText for `setting`, in a fresh temporary directory that `setting.cleanup` removes. */
export function benchBridgeConfigIn(
  setting: BenchBridgeSetting,
  network: string,
  section: Readonly<Record<string, unknown>>,
): string {
  const { server, component, links } = setting;
  return benchBridgeConfigText({
    server,
    component,
    dir: setting.cleanup.tempDir(setting.dirPrefix),
    network,
    links,
    section,
  });
}

export interface NetworkBurstRuns {
  readonly paced: BurstFigures;
  readonly bridge: BurstFigures[];
  readonly ceiling: BurstFigures[];
  /** Bridge over ceiling throughput in each warm-up round: shown, never counted. */
  readonly warmUpRoundRatios: number[];
  /** Messages that arrived more than once, over every run. */
  readonly duplicates: number;
  readonly cpu: { readonly bridge: CpuCost; readonly ceiling: CpuCost };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Warm-up, a paced run at `pacedRate` msgs/s, `warmUpRounds` bursts of each
 * side that are not counted, then `rounds` bursts of `messages` alternating
 * the ceiling (a bare component `ceilingDomain`'s puppet) and the bridge (the
 * fake posting through it), each in a fresh room. `idle` resolves once the
 * bridge has handed everything on.
 *
 * The first full burst a process takes costs it more than the next (its heap
 * and socket buffers grow to the burst's size, the hot paths compile under
 * load); both sides get the same uncounted burst first, so that the medians
 * compare steady states.
 */
export async function runNetworkBursts(o: {
  readonly server: XmppServer;
  readonly rooms: BurstRooms;
  readonly fake: RemoteFake;
  readonly ceilingDomain: string;
  readonly idle: () => Promise<void>;
  readonly pacedCount: number;
  readonly pacedRate: number;
  readonly messages: number;
  readonly rounds: number;
  readonly warmUpRounds: number;
  readonly timeoutMs: number;
  readonly cleanup: BenchCleanup;
}): Promise<NetworkBurstRuns> {
  const { server, fake, messages } = o;
  const { paced, probe } = o.rooms;
  if (o.rooms.bursts.length !== o.warmUpRounds + o.rounds) {
    throw new Error(
      `${o.rooms.bursts.length} burst rooms for ${o.warmUpRounds} warm-up and ${o.rounds} counted rounds`,
    );
  }
  const bursts = o.rooms.bursts.slice(o.warmUpRounds);
  const timed = (tag: string, room: string, count: number, side: BurstSide, intervalMs = 0) =>
    timedBurst(probe, { tag, room, count, side, intervalMs, timeoutMs: o.timeoutMs });

  const ceiling = await TestComponent.connect(server, 1);
  o.cleanup.defer(() => ceiling.stop());
  const puppet = `poster@${o.ceilingDomain}/bench`;
  for (const b of o.rooms.bursts) await ceiling.joinRoom(b.ceilingRoom, "Poster", { from: puppet });

  const bridgeSide = (channel: string) => remoteFakeSide(fake, channel);
  const ceilingSide = (room: string) => componentSide(ceiling, puppet, room);

  // Warm-up: the puppet joins each bridged room, caches and JIT are paid before any clock starts.
  for (const [i, l] of [paced, ...o.rooms.bursts].entries()) await timed(`w${i}`, l.room, 1, bridgeSide(l.channel));
  for (const [i, b] of o.rooms.bursts.entries()) {
    await timed(`cw${i}`, b.ceilingRoom, 1, ceilingSide(b.ceilingRoom));
  }

  progress(`paced: ${o.pacedCount} messages at ${o.pacedRate} msgs/s`);
  const pacedRun = await timed("paced", paced.room, o.pacedCount, bridgeSide(paced.channel), 1000 / o.pacedRate);
  const p = pacedRun.figures;
  progress(`  p50 ${p.p50ms.toFixed(1)} ms  p99 ${p.p99ms.toFixed(1)} ms  max ${p.maxMs.toFixed(1)} ms`);

  const finished: ArrivalRun[] = [pacedRun.run];
  const warmUpRoundRatios: number[] = [];
  for (const [i, b] of o.rooms.bursts.slice(0, o.warmUpRounds).entries()) {
    const c = await timed(`cu${i}`, b.ceilingRoom, messages, ceilingSide(b.ceilingRoom));
    await sleep(500);
    const e = await timed(`bu${i}`, b.room, messages, bridgeSide(b.channel));
    await o.idle();
    finished.push(c.run, e.run);
    warmUpRoundRatios.push(Math.round((e.figures.msgsPerSec / c.figures.msgsPerSec) * 1000) / 1000);
    progress(`warm-up burst ${i + 1} (not counted): bridge / ceiling ${warmUpRoundRatios.at(-1)}`);
    await sleep(500);
  }

  const serverPid = findProcess(server.dir);
  const cpu = { bridge: new CpuMeter(serverPid), ceiling: new CpuMeter(serverPid) };
  const runs = await alternateRounds({
    rounds: o.rounds,
    ceiling: async (r) => {
      const b = bursts[r - 1] as (typeof bursts)[number];
      const c = await cpu.ceiling.measure(messages, () =>
        timed(`c${r}`, b.ceilingRoom, messages, ceilingSide(b.ceilingRoom)),
      );
      progress(describeRun("ceiling", r, c.figures));
      finished.push(c.run);
      await sleep(500);
      return c.figures;
    },
    subject: async (r) => {
      const b = bursts[r - 1] as (typeof bursts)[number];
      const e = await cpu.bridge.measure(messages, async () => {
        const run = await timed(`b${r}`, b.room, messages, bridgeSide(b.channel));
        // The bridge's work is done once it has handed everything to the engine and the occupant has it all.
        await o.idle();
        return run;
      });
      const posting = (e.sentAt.at(-1) ?? 0) - (e.sentAt[0] ?? 0);
      progress(describeRun("bridge", r, e.figures, `(posted in ${posting.toFixed(0)} ms)`));
      finished.push(e.run);
      await o.idle();
      await sleep(500);
      return e.figures;
    },
  });
  // Late copies (a redelivered event handled twice) would show up by now.
  await sleep(1000);
  return {
    paced: pacedRun.figures,
    bridge: runs.subject,
    ceiling: runs.ceiling,
    warmUpRoundRatios,
    duplicates: finished.reduce((n, run) => n + run.duplicates, 0),
    cpu: { bridge: cpu.bridge.perMessage(), ceiling: cpu.ceiling.perMessage() },
  };
}
