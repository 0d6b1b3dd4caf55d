/**
 * CPU time of the XMPP server process, read from Linux's /proc, so each run
 * can say where its time went: in the bench process (engine or ceiling, and
 * the client) or in the server. Elsewhere than Linux the figures are absent.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux reports process times in clock ticks; 100 per second on every common build. */
const TICKS_PER_SECOND = 100;

/** The pid of the first process whose command line contains `needle` (e.g. the server's directory). */
export function findProcess(needle: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) return Number(e);
    } catch {
      // gone already, or not ours to read
    }
  }
  return undefined;
}

/** User + system CPU ms from a /proc/<pid>/stat line; undefined when it is not one. */
export function cpuMsFromStat(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || rest.length < 13) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** CPU ms used so far by process `pid`, or undefined when it cannot be read. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}
