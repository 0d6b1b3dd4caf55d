/**
 * What a soak bench keeps: whether the bridge's memory stays flat over a long
 * run (the growth from after the warm-up to after the run, both read after a
 * full collection) and what each online member costs, with the network
 * library counted. Each network's soak writes its own figures; the root
 * `npm run bench:soak` gathers them in bench/soak.json.
 */
import type { MemoryReading } from "./inspector-session.ts";
import { markdownTable, targetVerdict } from "./table.ts";

export const SOAK_TARGETS = { rssGrowthMiB: 10, bytesPerOnlineMember: 2048 } as const;

const MIB = 1024 * 1024;

export interface SoakMemory {
  readonly rssMiB: number;
  /** V8 heap in use plus memory outside it held by JavaScript objects (buffers). */
  readonly heapMiB: number;
}

export interface SoakFigures {
  readonly network: string;
  readonly rooms: number;
  readonly onlineMembers: number;
  readonly warmupMessages: number;
  readonly toXmppMessages: number;
  readonly toNetworkMessages: number;
  /** After the run minus after the warm-up, both after a full collection. */
  readonly rssGrowthMiB: number;
  readonly heapGrowthMiB: number;
  /** RSS per online member between `onlineMembers` and `membersMeasured` online. */
  readonly bytesPerOnlineMember: number;
  readonly membersMeasured: number;
  readonly toXmppMsgsPerSec: number;
  readonly toNetworkMsgsPerSec: number;
  readonly memory: {
    readonly started: SoakMemory;
    readonly afterWarmup: SoakMemory;
    readonly afterRun: SoakMemory;
    readonly membersMeasured: SoakMemory;
  };
  /** The bridge's cache gauges from /metrics after the run (`parley_cache_entries{cache=...}`, `parley_puppets`). */
  readonly caches: Readonly<Record<string, number>>;
  readonly node: string;
  /** Anything the run could not do as the issue asks (fewer messages, a slower server), in words. */
  readonly notes: readonly string[];
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

export function soakMemory(m: MemoryReading): SoakMemory {
  return { rssMiB: round(m.rss / MIB, 2), heapMiB: round((m.heapUsed + m.external) / MIB, 2) };
}

/** Growth in MiB between two readings, rounded to 0.01. */
export function growthMiB(before: SoakMemory, after: SoakMemory): { rss: number; heap: number } {
  return { rss: round(after.rssMiB - before.rssMiB, 2), heap: round(after.heapMiB - before.heapMiB, 2) };
}

/** Bytes of RSS per member between two readings `members` apart, whole. */
export function bytesPerMember(before: MemoryReading, after: MemoryReading, members: number): number {
  return Math.round((after.rss - before.rss) / Math.max(1, members));
}

/** What one soak run read, as each network's bench gathers it. */
export interface SoakReadings {
  readonly network: string;
  readonly settings: {
    readonly rooms: number;
    readonly members: number;
    readonly warmup: number;
    readonly toXmpp: number;
    readonly toNetwork: number;
    /** Members online for the per-member reading (0: not measured). */
    readonly crowd: number;
  };
  readonly started: MemoryReading;
  readonly afterWarmup: MemoryReading;
  readonly afterRun: MemoryReading;
  /** After `settings.crowd` members are online (`afterRun` when not measured). */
  readonly crowdReading: MemoryReading;
  readonly pace: { readonly xmppPerSec: number; readonly networkPerSec: number };
  readonly caches: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

/** The figures of one soak run, the same arithmetic for every network. */
export function soakFiguresOf(r: SoakReadings): SoakFigures {
  const s = r.settings;
  const growth = growthMiB(soakMemory(r.afterWarmup), soakMemory(r.afterRun));
  return {
    network: r.network,
    rooms: s.rooms,
    onlineMembers: s.members,
    warmupMessages: s.warmup,
    toXmppMessages: s.toXmpp,
    toNetworkMessages: s.toNetwork,
    rssGrowthMiB: growth.rss,
    heapGrowthMiB: growth.heap,
    bytesPerOnlineMember: s.crowd > 0 ? bytesPerMember(r.afterRun, r.crowdReading, s.crowd - s.members) : 0,
    membersMeasured: s.crowd > 0 ? s.crowd : s.members,
    toXmppMsgsPerSec: r.pace.xmppPerSec,
    toNetworkMsgsPerSec: r.pace.networkPerSec,
    memory: {
      started: soakMemory(r.started),
      afterWarmup: soakMemory(r.afterWarmup),
      afterRun: soakMemory(r.afterRun),
      membersMeasured: soakMemory(r.crowdReading),
    },
    caches: r.caches,
    node: process.version,
    notes: r.notes,
  };
}

/** The figures as a Markdown table, each target with its verdict. */
export function soakTable(f: SoakFigures): string {
  const growthOk = f.rssGrowthMiB < SOAK_TARGETS.rssGrowthMiB;
  const memberOk = f.bytesPerOnlineMember < SOAK_TARGETS.bytesPerOnlineMember;
  const mem = (m: SoakMemory) => `${m.rssMiB} / ${m.heapMiB}`;
  return markdownTable(
    ["figure", "value"],
    [
      ["network", f.network],
      ["linked rooms / online members", `${f.rooms} / ${f.onlineMembers}`],
      [
        "messages: warm-up, network -> XMPP, XMPP -> network",
        `${f.warmupMessages}, ${f.toXmppMessages}, ${f.toNetworkMessages}`,
      ],
      [
        "RSS growth after the warm-up (MiB)",
        `${f.rssGrowthMiB} (target < ${SOAK_TARGETS.rssGrowthMiB}: ${targetVerdict(growthOk)})`,
      ],
      ["heap growth after the warm-up (MiB)", String(f.heapGrowthMiB)],
      [
        `RSS per online member, ${f.onlineMembers} -> ${f.membersMeasured} (bytes)`,
        `${f.bytesPerOnlineMember} (target < ${SOAK_TARGETS.bytesPerOnlineMember}: ${targetVerdict(memberOk)})`,
      ],
      ["RSS / heap (MiB): started", mem(f.memory.started)],
      ["RSS / heap (MiB): after the warm-up", mem(f.memory.afterWarmup)],
      ["RSS / heap (MiB): after the run", mem(f.memory.afterRun)],
      [`RSS / heap (MiB): ${f.membersMeasured} online`, mem(f.memory.membersMeasured)],
      ["msgs/s network -> XMPP, XMPP -> network", `${f.toXmppMsgsPerSec}, ${f.toNetworkMsgsPerSec}`],
      [
        "caches after the run",
        Object.entries(f.caches)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none",
      ],
      ["node", f.node],
      ...f.notes.map((n): [string, string] => ["note", n]),
    ],
    ["left", "left"],
  );
}
