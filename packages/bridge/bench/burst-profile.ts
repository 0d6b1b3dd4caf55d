/**
 * PARLEY_BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of each burst's measured
 * window (the posts until the client has every message), written as
 * `<dir>/engine-<round>.cpuprofile` (`ceiling-<round>` for the bare
 * component's, to set against it) for Chrome DevTools or
 * `bench/profile-summary.ts`, and the CPU each thread of the process spent
 * meanwhile, per message (`<dir>/engine-<round>.threads.json`, from Linux's
 * /proc): the profile sees the main thread only, not V8's collector helpers
 * nor the WAL checkpointer. The profiler runs in the bench's own process, so
 * the figures of a profiled run are not the ones to compare.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { cpuMsFromStat } from "@parley/testkit";

/** Wraps a measured window; the identity when no profile is asked for. */
export type BurstWindow = <T>(run: () => Promise<T>) => Promise<T>;

/** CPU ms so far of each thread of this process, by thread name and id; empty where /proc is missing. */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, "utf8");
      const ms = cpuMsFromStat(stat);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (ms !== undefined) out.set(`${name}#${t}`, ms);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** µs per message by thread name (threads of one name summed) between two readings. */
function perThread(before: Map<string, number>, after: Map<string, number>, messages: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, ms] of after) {
    const name = k.slice(0, k.lastIndexOf("#"));
    const us = ((ms - (before.get(k) ?? 0)) * 1000) / messages;
    out[name] = Math.round((out[name] ?? 0) + us);
  }
  return out;
}

export function burstProfiler(dir: string | undefined, name: string, messages: number): BurstWindow | undefined {
  if (dir === undefined || dir === "") return undefined;
  return async (run) => {
    const session = new Session();
    session.connect();
    try {
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 100 });
      const threadsBefore = threadCpuMs();
      await session.post("Profiler.start");
      const result = await run();
      const { profile } = await session.post("Profiler.stop");
      const threads = perThread(threadsBefore, threadCpuMs(), messages);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      writeFileSync(join(dir, `${name}.threads.json`), `${JSON.stringify(threads, null, 2)}\n`);
      return result;
    } finally {
      session.disconnect();
    }
  };
}
