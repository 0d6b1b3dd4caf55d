/**
 * What the XMPP -> Slack bench keeps in results.json: bursts from one XMPP
 * user into one linked channel and into ten at once, against what Slack's
 * rate limit on chat.postMessage allows for them. The fake holds every
 * client to that limit (a bucket per channel: 10 posts at once, then one a
 * second; SLACK_METHOD_LIMITS), answering 429 with Retry-After beyond it,
 * so no run can beat it; the ratio says how much of it the bridge uses.
 * Also catch-up after an outage in each direction. Kept next to the Slack ->
 * XMPP figures under names of their own (`toSlack…`, `catchUp…`).
 */
import {
  type BenchResults,
  type CatchUpLeg,
  markdownTable,
  msgsPerSecOf,
  roundTo,
  runVsLimit,
  runVsLimitRow,
  targetVerdict,
  type XmppToNetworkRun,
} from "@parley/testkit";

/** Issue 16's target for the network direction, as for Discord. */
export const TO_SLACK_TARGET = 0.9;

/** chat.postMessage's limit as the bench needs it (a SlackMethodRateLimit). */
export interface PostLimit {
  readonly perMinute: number;
  readonly burst: number;
}

/**
 * The shortest time, from the first post to the last, in which each of
 * `channels` channels takes `perChannel` posts from full buckets: the first
 * `burst` at once, then one every 60 / perMinute seconds. Channels have
 * buckets of their own, so more channels take no longer.
 */
export function allowedMs(limit: PostLimit, perChannel: number): number {
  return (Math.max(0, perChannel - limit.burst) * 60_000) / limit.perMinute;
}

/** Messages per second the limit allows for that burst. */
export function allowedMsgsPerSec(limit: PostLimit, channels: number, perChannel: number): number {
  return (channels * perChannel) / (Math.max(allowedMs(limit, perChannel), 1) / 1000);
}

/** First send on XMPP to the last post Slack took. */
export type ToSlackRun = XmppToNetworkRun;

export interface ToSlackFigures {
  readonly toSlackMessages: number;
  readonly toSlackMsgsPerSec: number;
  readonly toSlackAllowedMsgsPerSec: number;
  readonly toSlackOutOfOrder: number;
  readonly toSlack10RoomsMessages: number;
  readonly toSlack10RoomsMsgsPerSec: number;
  readonly toSlack10RoomsAllowedMsgsPerSec: number;
  readonly toSlack10RoomsOutOfOrder: number;
  /** Calls the fake answered 429: expected, since Slack gives no headers to wait by before the limit is hit. */
  readonly toSlackRateLimited: number;
  readonly toSlackRateLimit: string;
  /** Messages caught up (that arrived), per direction. */
  readonly catchUpMessages: { readonly toSlack: number; readonly toXmpp: number };
  /** Messages said during the outage that the catch-up did not bring to Slack (expected 0). */
  readonly catchUpMissingToSlack: number;
  /** Messages the catch-up posted on Slack after one said after them on XMPP (expected 0). */
  readonly catchUpOutOfOrderToSlack: number;
  readonly catchUpMsgsPerSec: { readonly toSlack: number; readonly toXmpp: number };
}

export type ToSlackResults = BenchResults<
  ToSlackFigures,
  { readonly toSlackVsRateLimit: number; readonly toSlack10RoomsVsRateLimit: number }
>;

export function toSlackResults(o: {
  readonly limit: PostLimit;
  readonly one: ToSlackRun;
  readonly ten: ToSlackRun;
  readonly rateLimited: number;
  readonly catchUp: {
    readonly toSlack: CatchUpLeg & { readonly missing: number; readonly outOfOrder: number };
    readonly toXmpp: CatchUpLeg;
  };
}): ToSlackResults {
  const allowed = (channels: number, perChannel: number) => allowedMsgsPerSec(o.limit, channels, perChannel);
  const one = runVsLimit(o.one, allowed);
  const ten = runVsLimit(o.ten, allowed);
  return {
    figures: {
      toSlackMessages: one.messages,
      toSlackMsgsPerSec: roundTo(one.measured, 2),
      toSlackAllowedMsgsPerSec: roundTo(one.allowed, 2),
      toSlackOutOfOrder: o.one.outOfOrder,
      toSlack10RoomsMessages: ten.messages,
      toSlack10RoomsMsgsPerSec: roundTo(ten.measured, 2),
      toSlack10RoomsAllowedMsgsPerSec: roundTo(ten.allowed, 2),
      toSlack10RoomsOutOfOrder: o.ten.outOfOrder,
      toSlackRateLimited: o.rateLimited,
      toSlackRateLimit: `chat.postMessage ${o.limit.burst} at once, then ${o.limit.perMinute} a minute per channel`,
      catchUpMessages: { toSlack: o.catchUp.toSlack.messages, toXmpp: o.catchUp.toXmpp.messages },
      catchUpMissingToSlack: o.catchUp.toSlack.missing,
      catchUpOutOfOrderToSlack: o.catchUp.toSlack.outOfOrder,
      catchUpMsgsPerSec: {
        toSlack: roundTo(msgsPerSecOf(o.catchUp.toSlack.messages, o.catchUp.toSlack.ms), 1),
        toXmpp: roundTo(msgsPerSecOf(o.catchUp.toXmpp.messages, o.catchUp.toXmpp.ms), 1),
      },
    },
    ratios: { toSlackVsRateLimit: one.ratio, toSlack10RoomsVsRateLimit: ten.ratio },
  };
}

export function toSlackTable(r: ToSlackResults): string {
  const f = r.figures;
  const table = markdownTable(
    ["XMPP -> Slack", "msgs/s", "limit allows", "ratio", "out of order"],
    [
      runVsLimitRow(`1 channel, ${f.toSlackMessages} messages`, {
        msgsPerSec: f.toSlackMsgsPerSec,
        allowed: f.toSlackAllowedMsgsPerSec,
        ratio: r.ratios.toSlackVsRateLimit,
        outOfOrder: f.toSlackOutOfOrder,
      }),
      runVsLimitRow(`10 channels, ${f.toSlack10RoomsMessages} messages`, {
        msgsPerSec: f.toSlack10RoomsMsgsPerSec,
        allowed: f.toSlack10RoomsAllowedMsgsPerSec,
        ratio: r.ratios.toSlack10RoomsVsRateLimit,
        outOfOrder: f.toSlack10RoomsOutOfOrder,
      }),
      [
        `catch-up of ${f.catchUpMessages.toSlack} (${f.catchUpMissingToSlack} missing), XMPP -> Slack`,
        String(f.catchUpMsgsPerSec.toSlack),
        "",
        "",
        String(f.catchUpOutOfOrderToSlack),
      ],
      [`catch-up of ${f.catchUpMessages.toXmpp}, Slack -> XMPP`, String(f.catchUpMsgsPerSec.toXmpp), "", "", ""],
    ],
  );
  const met = r.ratios.toSlackVsRateLimit >= TO_SLACK_TARGET && f.toSlackOutOfOrder === 0;
  return (
    `${table}\n\nrate limit: ${f.toSlackRateLimit}; ${f.toSlackRateLimited} calls answered 429\n` +
    `bridge / what the limit allows, 1 channel: ${r.ratios.toSlackVsRateLimit} ` +
    `(target ${TO_SLACK_TARGET} and 0 out of order: ${targetVerdict(met)})`
  );
}
