/**
 * What a V8 heap snapshot (.heapsnapshot, as the inspector or
 * --heapsnapshot-signal writes it) holds, summed by constructor, and what
 * grew between two of them: the first question when memory grows with every
 * message. `retainersOf` answers the second (who holds the objects that
 * grew), one edge up.
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
      readonly edge_fields: string[];
      readonly edge_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

export interface ConstructorTotal {
  readonly count: number;
  readonly bytes: number;
}

/** Objects and closures by constructor name; strings, arrays, code and the rest by their kind in parentheses. */
function kindOf(s: Snapshot, node: number, width: number): string {
  const types = s.snapshot.meta.node_types[0];
  const type = types[s.nodes[node * width] as number] ?? "?";
  if (type === "object" || type === "closure" || type === "native") {
    return `${s.strings[s.nodes[node * width + 1] as number] ?? "?"}${type === "object" ? "" : ` (${type})`}`;
  }
  return `(${type})`;
}

function read(file: string): Snapshot {
  return JSON.parse(readFileSync(file, "utf8")) as Snapshot;
}

/** Count and self size of every constructor in the snapshot at `file`. */
export function summarizeHeapSnapshot(file: string): Map<string, ConstructorTotal> {
  const s = read(file);
  const width = s.snapshot.meta.node_fields.length;
  const sizeAt = s.snapshot.meta.node_fields.indexOf("self_size");
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let node = 0; node * width < s.nodes.length; node++) {
    const key = kindOf(s, node, width);
    const t = totals.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += s.nodes[node * width + sizeAt] as number;
    totals.set(key, t);
  }
  return totals;
}

export interface HeapGrowth {
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

/** The constructors whose self size grew most from `before` to `after`, largest first. */
export function heapGrowth(
  before: ReadonlyMap<string, ConstructorTotal>,
  after: ReadonlyMap<string, ConstructorTotal>,
  top = 25,
): HeapGrowth[] {
  const rows: HeapGrowth[] = [];
  for (const [name, a] of after) {
    const b = before.get(name) ?? { count: 0, bytes: 0 };
    rows.push({ name, count: a.count - b.count, bytes: a.bytes - b.bytes });
  }
  return rows.sort((x, y) => y.bytes - x.bytes).slice(0, top);
}

/**
 * Who holds the objects of constructor `name` in the snapshot at `file`: the
 * holder's constructor and the edge's name (a property, an element, a Map's
 * table), counted, most first. Weak edges are left out.
 */
export function retainersOf(file: string, name: string, top = 15): Array<{ holder: string; count: number }> {
  const s = read(file);
  const width = s.snapshot.meta.node_fields.length;
  const edgeWidth = s.snapshot.meta.edge_fields.length;
  const edgeCountAt = s.snapshot.meta.node_fields.indexOf("edge_count");
  const edgeTypeAt = s.snapshot.meta.edge_fields.indexOf("type");
  const edgeNameAt = s.snapshot.meta.edge_fields.indexOf("name_or_index");
  const edgeToAt = s.snapshot.meta.edge_fields.indexOf("to_node");
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const counts = new Map<string, number>();
  let edge = 0;
  for (let node = 0; node * width < s.nodes.length; node++) {
    const edges = s.nodes[node * width + edgeCountAt] as number;
    for (let i = 0; i < edges; i++, edge++) {
      const at = edge * edgeWidth;
      const type = edgeTypes[s.edges[at + edgeTypeAt] as number];
      if (type === "weak" || type === "shortcut") continue;
      const to = (s.edges[at + edgeToAt] as number) / width;
      if (kindOf(s, to, width) !== name) continue;
      const nameOrIndex = s.edges[at + edgeNameAt] as number;
      const label = type === "element" || type === "hidden" ? `[${type}]` : (s.strings[nameOrIndex] ?? "?");
      const holder = `${kindOf(s, node, width)}.${label}`;
      counts.set(holder, (counts.get(holder) ?? 0) + 1);
    }
  }
  return [...counts]
    .map(([holder, count]) => ({ holder, count }))
    .sort((x, y) => y.count - x.count)
    .slice(0, top);
}
