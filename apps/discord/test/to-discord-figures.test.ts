/** The XMPP -> Discord bench's arithmetic: what Discord's rate limits allow, and the names results.json keeps. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allowedMs,
  allowedMsgsPerSec,
  type Limits,
  toDiscordResults,
  toDiscordTable,
} from "../bench/to-discord-figures.ts";

const DISCORD: Limits = { perWebhook: { limit: 5, windowMs: 2000 }, global: { limit: 50, windowMs: 1000 } };

describe("what Discord's rate limits allow", () => {
  it("gives one webhook 5 posts per 2 s window, the first window at once", () => {
    assert.equal(allowedMs(DISCORD, 1, 5), 0);
    assert.equal(allowedMs(DISCORD, 1, 6), 2000);
    assert.equal(allowedMs(DISCORD, 1, 100), 38_000);
    assert.equal(Math.round(allowedMsgsPerSec(DISCORD, 1, 100) * 100) / 100, 2.63);
  });

  it("holds many webhooks to the global limit once it is the tighter one", () => {
    // 20 webhooks x 25: each could finish in 8 s, but 500 requests take 9 s at 50 a second.
    assert.equal(allowedMs(DISCORD, 20, 25), 9000);
    assert.equal(allowedMs(DISCORD, 10, 25), 8000);
  });
});

describe("XMPP -> Discord bench results", () => {
  const results = toDiscordResults({
    limits: DISCORD,
    one: { channels: 1, perChannel: 100, durationMs: 40_000, outOfOrder: 0 },
    ten: { channels: 10, perChannel: 25, durationMs: 8400, outOfOrder: 0 },
    rateLimited: 0,
    catchUp: {
      toDiscord: { messages: 96, ms: 40_000, missing: 4, outOfOrder: 1 },
      toXmpp: { messages: 10_000, ms: 20_000 },
    },
  });

  it("names the ratios against what the limits allow", () => {
    assert.deepEqual(results.ratios, { toDiscordVsRateLimit: 0.95, toDiscord10RoomsVsRateLimit: 0.952 });
    assert.equal(results.figures.toDiscordMsgsPerSec, 2.5);
    assert.equal(results.figures.toDiscordAllowedMsgsPerSec, 2.63);
    assert.deepEqual(results.figures.catchUpMsgsPerSec, { toDiscord: 2.4, toXmpp: 500 });
    assert.equal(results.figures.catchUpMissingToDiscord, 4);
    assert.equal(results.figures.catchUpOutOfOrderToDiscord, 1);
  });

  it("says whether the target is met", () => {
    assert.match(toDiscordTable(results), /1 channel: 0\.95 .*meets target/);
    assert.match(toDiscordTable(results), /catch-up of 96 \(4 missing\), XMPP -> Discord \| +2\.4 \|.*\| +1 \|/);
  });
});
