/**
 * Slack message timestamps (`1700000000.000200`): a message's id within its
 * channel, and its time. They are compared as numbers without going through
 * a float, which cannot hold sixteen digits exactly.
 */

const TS = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

export function isSlackTs(s: unknown): s is string {
  return typeof s === "string" && TS.test(s);
}

/** Negative when `a` is earlier than `b`, 0 when they are the same, positive otherwise. */
export function compareTs(a: string, b: string): number {
  if (a === b) return 0;
  const [ai = "0", af = ""] = a.split(".");
  const [bi = "0", bf = ""] = b.split(".");
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const fa = af.padEnd(9, "0");
  const fb = bf.padEnd(9, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** Milliseconds since the epoch. */
export function tsMillis(ts: string): number {
  const [i = "0", f = ""] = ts.split(".");
  return Number(i) * 1000 + Math.floor(Number(f.padEnd(6, "0").slice(0, 6)) / 1000);
}

/**
 * Milliseconds since the epoch with the microseconds as a fraction: an edit's
 * time (`edited.ts`), so that two edits of one message in the same
 * millisecond still tell which came last.
 */
export function tsMillisExact(ts: string): number {
  const [i = "0", f = ""] = ts.split(".");
  return Number(i) * 1000 + Number(f.padEnd(6, "0").slice(0, 6)) / 1000;
}

/** The ts of a time, for `oldest` bounds. */
export function tsOf(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const micros = Math.floor((ms - whole * 1000) * 1000);
  return `${whole}.${String(micros).padStart(6, "0")}`;
}
