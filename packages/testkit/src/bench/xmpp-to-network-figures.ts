/**
 * The figures of an XMPP -> network bench, for any network whose rate limit
 * bounds the run: each run's msgs/s against what the limit allows for that
 * run, their ratio, and the table row that shows them. The names the figures
 * are kept under stay the app's (`toDiscord…`, `toSlack…`).
 */
import { roundTo } from "./statistics.ts";
import type { XmppToNetworkRun } from "./xmpp-to-network.ts";

/** Messages per second of `messages` over `ms` (at least a microsecond). */
export function msgsPerSecOf(messages: number, ms: number): number {
  return messages / (Math.max(ms, 0.001) / 1000);
}

export interface RunVsLimit {
  readonly messages: number;
  /** Msgs/s measured, unrounded. */
  readonly measured: number;
  /** Msgs/s the limit allows for the run, unrounded. */
  readonly allowed: number;
  /** measured / allowed, to 3 places. */
  readonly ratio: number;
}

/** `allowed(channels, perChannel)`: the msgs/s the network's limit allows for such a run. */
export function runVsLimit(r: XmppToNetworkRun, allowed: (channels: number, perChannel: number) => number): RunVsLimit {
  const messages = r.channels * r.perChannel;
  const measured = msgsPerSecOf(messages, r.durationMs);
  const allows = allowed(r.channels, r.perChannel);
  return { messages, measured, allowed: allows, ratio: roundTo(measured / allows, 3) };
}

/** A table row: `<what> , msgs/s, what the limit allows, ratio, out of order`. */
export function runVsLimitRow(
  what: string,
  f: { readonly msgsPerSec: number; readonly allowed: number; readonly ratio: number; readonly outOfOrder: number },
): string[] {
  return [what, String(f.msgsPerSec), String(f.allowed), String(f.ratio), String(f.outOfOrder)];
}
