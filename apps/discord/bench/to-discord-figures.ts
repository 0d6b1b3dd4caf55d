/**
 * What the XMPP -> Discord bench keeps in results.json: bursts from one XMPP
 * user into one linked channel and into ten at once, against what Discord's
 * rate limits allow for them (the fake enforces those limits, headers
 * included, so no run can beat them), and catch-up after an outage in each
 * direction. Kept next to the Discord -> XMPP figures under names of their
 * own (`toDiscord…`, `catchUp…`).
 */
import {
  type BenchResults,
  markdownTable,
  msgsPerSecOf,
  roundTo,
  runVsLimit,
  runVsLimitRow,
  targetVerdict,
  type XmppToNetworkRun,
} from "@parley/testkit";

/** Target of issue 16. */
export const TO_DISCORD_TARGET = 0.9;

/** Rate limits as the bench needs them: requests per window, per webhook and over everything (global). */
export interface Limits {
  readonly perWebhook: { readonly limit: number; readonly windowMs: number };
  readonly global: { readonly limit: number; readonly windowMs: number };
}

/**
 * The shortest time, from the first request to the last, in which `channels`
 * webhooks can each post `perChannel` messages under `limits` (fixed windows
 * starting at the first request): the k-th post of a webhook waits for
 * window floor(k / limit), and likewise the k-th of all for the global one.
 */
export function allowedMs(limits: Limits, channels: number, perChannel: number): number {
  const perWebhook = Math.floor((perChannel - 1) / limits.perWebhook.limit) * limits.perWebhook.windowMs;
  const global = Math.floor((channels * perChannel - 1) / limits.global.limit) * limits.global.windowMs;
  return Math.max(perWebhook, global);
}

/** Messages per second the limits allow for that burst. */
export function allowedMsgsPerSec(limits: Limits, channels: number, perChannel: number): number {
  const ms = allowedMs(limits, channels, perChannel);
  return (channels * perChannel) / (Math.max(ms, 1) / 1000);
}

/** First send on XMPP to the last message made on Discord. */
export type ToDiscordRun = XmppToNetworkRun;

export interface ToDiscordFigures {
  readonly toDiscordMessages: number;
  readonly toDiscordMsgsPerSec: number;
  readonly toDiscordAllowedMsgsPerSec: number;
  readonly toDiscordOutOfOrder: number;
  readonly toDiscord10RoomsMessages: number;
  readonly toDiscord10RoomsMsgsPerSec: number;
  readonly toDiscord10RoomsAllowedMsgsPerSec: number;
  readonly toDiscord10RoomsOutOfOrder: number;
  /** Requests the fake answered 429 (a client that reads the headers waits instead: expected 0). */
  readonly toDiscordRateLimited: number;
  /** Messages caught up (that arrived), per direction. */
  readonly catchUpMessages: { readonly toDiscord: number; readonly toXmpp: number };
  /** Messages said during the outage that the catch-up did not bring to Discord (expected 0). */
  readonly catchUpMissingToDiscord: number;
  /** Messages the catch-up made on Discord after one said after them on XMPP (expected 0). */
  readonly catchUpOutOfOrderToDiscord: number;
  readonly catchUpMsgsPerSec: { readonly toDiscord: number; readonly toXmpp: number };
  readonly rateLimits: string;
}

export type ToDiscordResults = BenchResults<
  ToDiscordFigures,
  { readonly toDiscordVsRateLimit: number; readonly toDiscord10RoomsVsRateLimit: number }
>;

export function toDiscordResults(o: {
  readonly limits: Limits;
  readonly one: ToDiscordRun;
  readonly ten: ToDiscordRun;
  readonly rateLimited: number;
  readonly catchUp: {
    readonly toDiscord: {
      readonly messages: number;
      readonly ms: number;
      readonly missing: number;
      readonly outOfOrder: number;
    };
    readonly toXmpp: { readonly messages: number; readonly ms: number };
  };
}): ToDiscordResults {
  const allowed = (channels: number, perChannel: number) => allowedMsgsPerSec(o.limits, channels, perChannel);
  const one = runVsLimit(o.one, allowed);
  const ten = runVsLimit(o.ten, allowed);
  const { perWebhook, global } = o.limits;
  return {
    figures: {
      toDiscordMessages: one.messages,
      toDiscordMsgsPerSec: roundTo(one.measured, 2),
      toDiscordAllowedMsgsPerSec: roundTo(one.allowed, 2),
      toDiscordOutOfOrder: o.one.outOfOrder,
      toDiscord10RoomsMessages: ten.messages,
      toDiscord10RoomsMsgsPerSec: roundTo(ten.measured, 2),
      toDiscord10RoomsAllowedMsgsPerSec: roundTo(ten.allowed, 2),
      toDiscord10RoomsOutOfOrder: o.ten.outOfOrder,
      toDiscordRateLimited: o.rateLimited,
      catchUpMessages: { toDiscord: o.catchUp.toDiscord.messages, toXmpp: o.catchUp.toXmpp.messages },
      catchUpMissingToDiscord: o.catchUp.toDiscord.missing,
      catchUpOutOfOrderToDiscord: o.catchUp.toDiscord.outOfOrder,
      catchUpMsgsPerSec: {
        toDiscord: roundTo(msgsPerSecOf(o.catchUp.toDiscord.messages, o.catchUp.toDiscord.ms), 1),
        toXmpp: roundTo(msgsPerSecOf(o.catchUp.toXmpp.messages, o.catchUp.toXmpp.ms), 1),
      },
      rateLimits:
        `webhook ${perWebhook.limit} per ${perWebhook.windowMs / 1000} s, ` +
        `global ${global.limit} per ${global.windowMs / 1000} s`,
    },
    ratios: { toDiscordVsRateLimit: one.ratio, toDiscord10RoomsVsRateLimit: ten.ratio },
  };
}

export function toDiscordTable(r: ToDiscordResults): string {
  const f = r.figures;
  const table = markdownTable(
    ["XMPP -> Discord", "msgs/s", "limits allow", "ratio", "out of order"],
    [
      runVsLimitRow(`1 channel, ${f.toDiscordMessages} messages`, {
        msgsPerSec: f.toDiscordMsgsPerSec,
        allowed: f.toDiscordAllowedMsgsPerSec,
        ratio: r.ratios.toDiscordVsRateLimit,
        outOfOrder: f.toDiscordOutOfOrder,
      }),
      runVsLimitRow(`10 channels, ${f.toDiscord10RoomsMessages} messages`, {
        msgsPerSec: f.toDiscord10RoomsMsgsPerSec,
        allowed: f.toDiscord10RoomsAllowedMsgsPerSec,
        ratio: r.ratios.toDiscord10RoomsVsRateLimit,
        outOfOrder: f.toDiscord10RoomsOutOfOrder,
      }),
      [
        `catch-up of ${f.catchUpMessages.toDiscord} (${f.catchUpMissingToDiscord} missing), XMPP -> Discord`,
        String(f.catchUpMsgsPerSec.toDiscord),
        "",
        "",
        String(f.catchUpOutOfOrderToDiscord),
      ],
      [`catch-up of ${f.catchUpMessages.toXmpp}, Discord -> XMPP`, String(f.catchUpMsgsPerSec.toXmpp), "", "", ""],
    ],
  );
  const met = r.ratios.toDiscordVsRateLimit >= TO_DISCORD_TARGET && f.toDiscordOutOfOrder === 0;
  return (
    `${table}\n\nrate limits: ${f.rateLimits}; ${f.toDiscordRateLimited} requests answered 429\n` +
    `bridge / what the limits allow, 1 channel: ${r.ratios.toDiscordVsRateLimit} ` +
    `(target ${TO_DISCORD_TARGET} and 0 out of order: ${targetVerdict(met)})`
  );
}
