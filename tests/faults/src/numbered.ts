/**
 * The numbered messages every scenario sends (`fault <scenario> 0001`), and
 * what a receiving side's sequence of them says: how many arrived, which are
 * missing, which came twice, which came after a later one.
 */

export function numberedText(scenario: string, n: number): string {
  return `fault ${scenario} ${String(n).padStart(4, "0")}`;
}

/** The number a received text carries for `scenario`, or undefined for any other text. */
export function numberIn(scenario: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = new RegExp(`fault ${escapeRegExp(scenario)} (\\d{4,})`).exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export interface Tally {
  readonly sent: number;
  /** Distinct numbers seen. */
  readonly received: number;
  readonly lost: number;
  /** Copies beyond the first. */
  readonly duplicated: number;
  /** Messages whose first copy came after the first copy of a later-numbered one. */
  readonly outOfOrder: number;
  /** The missing numbers, as ranges ("764-2000"). */
  readonly missing: string;
  /** The numbers seen more than once, as ranges. */
  readonly doubled: string;
  /** The numbers that came after a later one (out of order), each with the one it came after: "501 after 503". */
  readonly late: string;
}

/**
 * Counts `seen` (numbers in the order the receiving side holds them) against 1..sent.
 *
 * `sentOrders` are the orders the sending side holds them in, when it may differ from
 * their numbers (messages sent several at a time); by default 1, 2, 3... A side can
 * hold more than one: Matrix gives a room two, the order /sync and the application
 * service are pushed events in (Synapse's stream order) and the order /messages reads
 * them back in (the room's graph). They differ for messages made at the same moment:
 * measured with `probe/order-probe.ts`, 2 of 1,000 sent 16 at a time on a busy
 * machine. A number is out of order when it comes after one that every given order
 * puts after it, so a receiving side that follows either order is in order.
 */
export function tally(sent: number, seen: readonly number[], sentOrders?: readonly (readonly number[])[]): Tally {
  const ranks = (sentOrders ?? []).map((order) => {
    const rank = new Map<number, number>();
    order.forEach((n, i) => {
      if (!rank.has(n)) rank.set(n, i + 1);
    });
    return rank;
  });
  const rankIn = (rank: ReadonlyMap<number, number> | undefined, n: number) => rank?.get(n) ?? n;
  const orders = ranks.length === 0 ? [undefined] : ranks;
  /** Whether every order puts `a` after `b`. */
  const after = (a: number, b: number) => orders.every((rank) => rankIn(rank, a) > rankIn(rank, b));
  const copies = new Map<number, number>();
  /** The first copies so far that no later arrival has shown out of order, in arrival order. */
  const firsts: number[] = [];
  let outOfOrder = 0;
  const late: string[] = [];
  for (const n of seen) {
    const before = copies.get(n) ?? 0;
    copies.set(n, before + 1);
    if (before > 0) continue;
    let overtakenBy: number | undefined;
    for (let i = firsts.length - 1; i >= 0; i--) {
      const m = firsts[i] as number;
      if (after(m, n) && (overtakenBy === undefined || after(m, overtakenBy))) overtakenBy = m;
    }
    if (overtakenBy !== undefined) {
      outOfOrder++;
      if (late.length < 8) late.push(`${n} after ${overtakenBy}`);
    } else firsts.push(n);
  }
  const missing: number[] = [];
  for (let n = 1; n <= sent; n++) if (!copies.has(n)) missing.push(n);
  const doubled = [...copies].filter(([, c]) => c > 1).map(([n]) => n);
  const strays = [...copies.keys()].filter((n) => n < 1 || n > sent).length;
  return {
    sent,
    received: copies.size - strays,
    lost: missing.length,
    duplicated: seen.length - copies.size,
    outOfOrder,
    missing: ranges(missing),
    doubled: ranges(doubled.sort((a, b) => a - b)),
    late: late.join(", "),
  };
}

/** 1,2,3,7,9,10 -> "1-3, 7, 9-10"; long lists are cut after 8 ranges. */
export function ranges(sorted: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      i++;
      end = sorted[i] as number;
    }
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return parts.length > 8 ? `${parts.slice(0, 8).join(", ")}, … (${parts.length} ranges)` : parts.join(", ");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
