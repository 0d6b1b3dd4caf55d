/**
 * Run by `idle-puppets.ts` in a fresh process (with --expose-gc): starts a
 * bridge, creates puppets for remote users who come online but join no room,
 * and prints one JSON line with the memory they hold. A fresh process keeps
 * the bursts' garbage and caches out of the figure.
 *
 * Input: PARLEY_BENCH_IDLE = {"host","port","domain","secret","count","dir"} (JSON); the parent owns `dir`.
 * It exits when its stdin closes early: the parent holds it open while it waits.
 */
import { setImmediate as tick } from "node:timers/promises";
import { Bridge } from "../src/engine/bridge.ts";
import { silentLogger } from "../src/ops/logger-types.ts";
import { ReferenceConnector } from "../src/reference/reference-connector.ts";
import { ReferenceNetwork } from "../src/reference/reference-network.ts";
import { benchBridgeConfig } from "./bench-config.ts";
import { type IdleInput, parseIdleInput } from "./idle-puppets.ts";

/** Puppets created before the baseline, so one-off costs (statements, JIT, map growth) are not counted per puppet. */
const WARM_UP = 500;

function collect(gc: () => void): Promise<void> {
  // Several passes with turns of the event loop between them: weak references and finalizers need them.
  return (async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await tick();
    }
  })();
}

function heapAndExternal(): { heap: number; rss: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

/** A remote id shaped like the networks' own (Discord snowflakes are 17-19 digits). */
function remoteUser(i: number): { id: string; displayName: string } {
  return { id: (800_000_000_000_000_000n + BigInt(i)).toString(), displayName: `Idle user ${i}` };
}

async function main(input: IdleInput): Promise<void> {
  const gc = globalThis.gc;
  if (!gc) throw new Error("idle-puppets-child.ts must run with node --expose-gc");
  let bridge: Bridge | undefined;
  try {
    const config = benchBridgeConfig({ ...input, links: [] });
    bridge = await Bridge.start({
      config,
      connector: new ReferenceConnector(new ReferenceNetwork()),
      logger: silentLogger,
    });
    const host = bridge.connectorHost;
    for (let i = 0; i < WARM_UP; i++) await host.presence(remoteUser(i), { status: "online" });
    await collect(gc);
    const before = heapAndExternal();
    const started = performance.now();
    for (let i = WARM_UP; i < WARM_UP + input.count; i++) {
      await host.presence(remoteUser(i), { status: "online" });
      // The store answers synchronously, so without this the loop never lets I/O (our stdin closing) through.
      if (i % 256 === 0) await tick();
    }
    const createMs = performance.now() - started;
    await collect(gc);
    const after = heapAndExternal();
    if (bridge.puppets.size !== WARM_UP + input.count) {
      throw new Error(`expected ${WARM_UP + input.count} puppets in the directory, found ${bridge.puppets.size}`);
    }
    process.stdout.write(
      `${JSON.stringify({
        puppets: input.count,
        heapBytesPerPuppet: (after.heap - before.heap) / input.count,
        rssBytesPerPuppet: (after.rss - before.rss) / input.count,
        createMs,
      })}\n`,
    );
  } finally {
    await bridge?.stop().catch(() => undefined);
  }
}

// The parent holds our stdin open: when it goes away (killed, crashed), so do we, instead of reconnecting forever.
let finished = false;
process.stdin.on("close", () => {
  if (!finished) process.exit(2);
});
process.stdin.resume();

main(parseIdleInput(process.env.PARLEY_BENCH_IDLE))
  .catch((e: unknown) => {
    process.stderr.write(`idle puppets: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    finished = true;
    process.stdin.destroy();
  });
