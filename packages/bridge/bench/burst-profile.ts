/**
 * PARLEY_BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of each engine burst's
 * measured window (the posts until the client has every message), written as
 * `<dir>/engine-<round>.cpuprofile` for Chrome DevTools or a script. The
 * profiler runs in the bench's own process, so the figures of a profiled run
 * are not the ones to compare.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/** Wraps a measured window; the identity when no profile is asked for. */
export type BurstWindow = <T>(run: () => Promise<T>) => Promise<T>;

export function burstProfiler(dir: string | undefined, name: string): BurstWindow | undefined {
  if (dir === undefined || dir === "") return undefined;
  return async (run) => {
    const session = new Session();
    session.connect();
    try {
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 100 });
      await session.post("Profiler.start");
      const result = await run();
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      return result;
    } finally {
      session.disconnect();
    }
  };
}
