/**
 * CPU time of the XMPP server's process, read from /proc (Linux), so the
 * bench can say what each message cost Prosody as well as the bridge: on a
 * machine with few cores both compete for them, and the ratio to the ceiling
 * follows from what each side costs in all.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The pid of the first process whose command line mentions `needle`, if any (and if /proc exists). */
export function pidMentioning(needle: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) return Number(e);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** User + system CPU milliseconds of a process from its /proc stat line; undefined when unreadable. */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Fields 14 and 15 (utime, stime, in clock ticks of 1/100 s) after the parenthesized command name. */
export function cpuMsFromStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * 10 : undefined;
}
