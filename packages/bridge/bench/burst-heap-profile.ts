/**
 * PARLEY_BENCH_HEAP_PROFILE=<dir>: V8's sampling heap profile of each burst's
 * measured window, counting what was allocated whether or not it was
 * collected since, written as `<dir>/engine-<round>.heapprofile` (and
 * `ceiling-<round>` for the bare component's) for Chrome
 * DevTools or `bench/heap-summary.ts`. Bytes allocated per message depend on
 * the code, not on how busy the machine is: a figure to compare where CPU
 * figures are too noisy to, and what the collector's time follows. The
 * sampling costs time too: compare CPU figures only from runs without it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import type { BurstWindow } from "./burst-profile.ts";

/** One sample per this many bytes allocated, on average. */
const SAMPLING_INTERVAL = 512;

export function burstHeapProfiler(dir: string | undefined, name: string): BurstWindow | undefined {
  if (dir === undefined || dir === "") return undefined;
  return async (run) => {
    const session = new Session();
    session.connect();
    try {
      await session.post("HeapProfiler.startSampling", {
        samplingInterval: SAMPLING_INTERVAL,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      const result = await run();
      const { profile } = await session.post("HeapProfiler.stopSampling");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.heapprofile`), JSON.stringify(profile));
      return result;
    } finally {
      session.disconnect();
    }
  };
}
