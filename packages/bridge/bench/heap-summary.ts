/**
 * `node bench/heap-summary.ts <messages> <file.heapprofile>...`: what the
 * profiles PARLEY_BENCH_HEAP_PROFILE wrote say was allocated, in bytes per
 * message (`<messages>` per profile, the burst size): in all, by file
 * (allocations in Node's and V8's own code charged to the file that called
 * them), then the functions that allocated the most themselves. Sampled: a
 * function's figure is an estimate, good to a few percent for the large ones.
 */
import { readFileSync } from "node:fs";
import { shortUrl } from "./profile-summary.ts";

interface HeapNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

interface HeapProfile {
  readonly head: HeapNode;
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

export function summariseHeap(profiles: readonly HeapProfile[]): {
  total: number;
  byFile: Map<string, number>;
  byFunction: Map<string, number>;
} {
  let total = 0;
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const walk = (n: HeapNode, file: string | undefined): void => {
    const cf = n.callFrame;
    const own = cf.url !== "" && !cf.url.startsWith("node:") ? shortUrl(cf.url) : file;
    if (n.selfSize > 0) {
      total += n.selfSize;
      add(byFile, own ?? "(no file)", n.selfSize);
      const where = cf.url ? ` ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : "";
      add(byFunction, `${cf.functionName || "(anonymous)"}${where}`, n.selfSize);
    }
    for (const c of n.children) walk(c, own);
  };
  for (const p of profiles) walk(p.head, undefined);
  return { total, byFile, byFunction };
}

function print(title: string, m: Map<string, number>, messages: number, top: number): void {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(v / messages).toFixed(0).padStart(7)} B  ${k}`);
  }
}

if (import.meta.main) {
  const [count, ...files] = process.argv.slice(2);
  const perProfile = Number(count);
  if (!Number.isInteger(perProfile) || perProfile < 1 || files.length === 0) {
    console.error("usage: node bench/heap-summary.ts <messages per profile> <file.heapprofile>...");
    process.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as HeapProfile);
  const { total, byFile, byFunction } = summariseHeap(profiles);
  const messages = perProfile * profiles.length;
  console.log(`allocated: ${(total / messages).toFixed(0)} bytes per message`);
  print("by file", byFile, messages, 30);
  print("by function (own allocations)", byFunction, messages, 40);
}
