/**
 * One timed burst, the same steps whichever side sends it: the client joins a
 * fresh room, the side gets its puppet into the room, one warm-up message
 * goes through (joins, JIT and caches are paid before the clock starts), then
 * the burst is handed over as fast as the side accepts it and timed until
 * the client has seen every message.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type ArrivalProbe, benchBody, burstFigures, CpuMeter, type TestClient } from "@parley/testkit";
import type { BurstWindow } from "./burst-profile.ts";
import type { RunFigures } from "./relay-results.ts";

/** A way to put groupchat messages from a remote user's puppet into a MUC room. */
export interface BurstSide {
  readonly name: string;
  /** Makes the side ready to post into `room`, which the client has just joined. */
  prepare(room: string): Promise<void>;
  /** Hands one message over to be posted in `room` and returns at once; must not wait for delivery. */
  post(room: string, body: string): void;
  /** Waits until the side has finished the work the burst left behind, so the next run starts from quiet. */
  settle(room: string): Promise<void>;
}

export interface BurstRunOptions {
  readonly side: BurstSide;
  readonly client: TestClient;
  /** Watching `client`. */
  readonly probe: ArrivalProbe;
  readonly room: string;
  /** Unique per run: it is in every body, so copies from another run are never counted. */
  readonly tag: string;
  readonly count: number;
  readonly timeoutMs: number;
  /** The XMPP server's pid, to account for its CPU time (optional). */
  readonly serverPid?: number;
  /** Wraps the measured window (a CPU profile, see burst-profile.ts); optional. */
  readonly window?: BurstWindow;
}

export async function runBurst(o: BurstRunOptions): Promise<RunFigures> {
  await o.client.joinRoom(o.room, "alice");
  try {
    await o.side.prepare(o.room);
    const warm = o.probe.expect({ tag: `${o.tag}w`, room: o.room, count: 1, timeoutMs: o.timeoutMs });
    warm.markSent(0);
    o.side.post(o.room, benchBody(`${o.tag}w`, 0));
    await warm.done;

    const loop = monitorEventLoopDelay({ resolution: 5 });
    const burst = o.probe.expect({ tag: o.tag, room: o.room, count: o.count, timeoutMs: o.timeoutMs });
    const cpu = new CpuMeter(o.serverPid);
    loop.enable();
    const sendAll = async () => {
      for (let i = 0; i < o.count; i++) {
        burst.markSent(i);
        o.side.post(o.room, benchBody(o.tag, i));
      }
      return await burst.done;
    };
    const window = o.window;
    const timings = await cpu
      .measure(o.count, window === undefined ? sendAll : () => window(sendAll))
      .finally(() => loop.disable());
    await o.side.settle(o.room);
    return {
      ...burstFigures(timings),
      // Read after settling: copies that came late are duplicates too.
      duplicates: burst.duplicates,
      loopDelayMaxMs: loop.max / 1e6,
      cpu: cpu.perMessage(),
    };
  } finally {
    await o.client.leaveRoom(o.room, "alice").catch(() => undefined);
  }
}
