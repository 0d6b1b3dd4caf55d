/**
 * CPU time per message, in the bench's own process and in the XMPP server's,
 * read from Linux's /proc. On a machine with few cores the bridge and the
 * server compete for them, so where the time went explains the ratio to the
 * ceiling. Where /proc is missing the server's share is unknown (null), not 0.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux reports process times in clock ticks; 100 per second on every common build. */
const TICKS_PER_SECOND = 100;

/** What a run cost per message, in µs: this process, and the server (null: unknown). */
export interface CpuCost {
  readonly processUs: number;
  readonly serverUs: number | null;
}

/** The pid of the first other process whose command line contains `needle` (e.g. the server's directory). */
export function findProcess(needle: string): number | undefined {
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

/** User + system CPU ms from a /proc/<pid>/stat line; undefined when it is not one. */
export function cpuMsFromStat(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold both: count the fields after its closing one.
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const rest = stat.slice(close + 2).split(" ");
  if (rest.length < 13) return undefined;
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
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

/** The two clocks a meter reads; injectable so the accounting can be tested. */
export interface CpuClocks {
  /** This process's user + system CPU, µs. */
  readonly processUs: () => number;
  /** The server's CPU, ms, or undefined when unreadable. */
  readonly serverMs: () => number | undefined;
}

/**
 * Charges the CPU both processes spend during measured runs to the messages
 * of those runs. One meter per side (bridge, ceiling) sums its runs; one per
 * run gives that run's cost.
 */
export class CpuMeter {
  private readonly clocks: CpuClocks;
  private messages = 0;
  private processUs = 0;
  /** undefined once any run could not read the server: a partial sum would understate it. */
  private serverMs: number | undefined = 0;

  constructor(serverPid: number | undefined, clocks?: CpuClocks) {
    this.clocks = clocks ?? {
      processUs: () => {
        const u = process.cpuUsage();
        return u.user + u.system;
      },
      serverMs: () => processCpuMs(serverPid),
    };
  }

  /** Runs `run` and charges what both processes spent meanwhile to `messages` messages. */
  async measure<T>(messages: number, run: () => Promise<T>): Promise<T> {
    const ownBefore = this.clocks.processUs();
    const serverBefore = this.clocks.serverMs();
    const result = await run();
    const ownAfter = this.clocks.processUs();
    const serverAfter = this.clocks.serverMs();
    this.messages += messages;
    this.processUs += ownAfter - ownBefore;
    this.serverMs =
      this.serverMs !== undefined && serverBefore !== undefined && serverAfter !== undefined
        ? this.serverMs + serverAfter - serverBefore
        : undefined;
    return result;
  }

  /** µs per message over everything measured so far (unrounded; 0 before any run). */
  perMessage(): CpuCost {
    const n = Math.max(this.messages, 1);
    return {
      processUs: this.processUs / n,
      serverUs: this.serverMs === undefined ? null : (this.serverMs * 1000) / n,
    };
  }
}
