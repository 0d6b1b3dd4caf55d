/**
 * `node bench/profile-summary.ts <messages> <file.cpuprofile>...`: where the
 * time of the profiles PARLEY_BENCH_CPU_PROFILE wrote went, in µs per message
 * (`<messages>` per profile, the burst size): by file, native code (SQLite,
 * the garbage collector, socket writes) charged to the file that called it,
 * then the functions with the most time of their own. Idle time and the
 * profiler's own are left out. A profile samples the main thread's wall
 * clock: time a call spent waiting (a lock, a write the kernel held up)
 * counts, and the other threads (V8's collector helpers, the WAL
 * checkpointer) do not appear.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const LEFT_OUT = new Set(["(idle)"]);

export function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(packages|apps)\//, "$1/").replace(/^.*\/node_modules\//, "");
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

export function summarise(profiles: readonly CpuProfile[]): {
  byFile: Map<string, number>;
  byFunction: Map<string, number>;
} {
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    p.samples.forEach((id, i) => {
      const n = nodes.get(id);
      const dt = p.timeDeltas[i] ?? 0;
      if (n === undefined || LEFT_OUT.has(n.callFrame.functionName)) return;
      let file: string | undefined;
      for (let cur: number | undefined = id; cur !== undefined && file === undefined; cur = parent.get(cur)) {
        const url = nodes.get(cur)?.callFrame.url;
        if (url) file = shortUrl(url);
      }
      if (file?.startsWith("node:inspector") || file?.includes("burst-profile")) return;
      const cf = n.callFrame;
      const native = cf.url === "" ? `[${cf.functionName || "native"}] ` : "";
      add(byFile, `${native}${file ?? ""}`, dt);
      add(
        byFunction,
        `${cf.functionName || "(anonymous)"} ${cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : ""}`,
        dt,
      );
    });
  }
  return { byFile, byFunction };
}

function print(title: string, m: Map<string, number>, messages: number, top: number): void {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${title} (busy: ${(total / messages).toFixed(0)} µs per message)`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(v / messages).toFixed(1).padStart(7)} µs  ${k}`);
  }
}

if (import.meta.main) {
  const [count, ...files] = process.argv.slice(2);
  const perProfile = Number(count);
  if (!Number.isInteger(perProfile) || perProfile < 1 || files.length === 0) {
    console.error("usage: node bench/profile-summary.ts <messages per profile> <file.cpuprofile>...");
    process.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as CpuProfile);
  const { byFile, byFunction } = summarise(profiles);
  const messages = perProfile * profiles.length;
  print("by file", byFile, messages, 30);
  print("by function (own time)", byFunction, messages, 40);
}
