/**
 * The Slack bench's own arithmetic and names: what chat.postMessage's limit
 * allows, and the figures results.json keeps (the root summary and later runs
 * read them by name). The shared arithmetic is tested in @parley/testkit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BurstFigures, SLACK_METHOD_LIMITS } from "@parley/testkit";
import { slackResults, slackTable } from "../bench/bench-figures.ts";
import { allowedMs, allowedMsgsPerSec, toSlackResults, toSlackTable } from "../bench/to-slack-figures.ts";

const POST = { perMinute: 60, burst: 10 };

describe("what Slack's chat.postMessage limit allows", () => {
  it("takes the first 10 posts of a channel at once, then one a second", () => {
    assert.equal(allowedMs(POST, 10), 0);
    assert.equal(allowedMs(POST, 11), 1000);
    assert.equal(allowedMs(POST, 40), 30_000);
    assert.equal(Math.round(allowedMsgsPerSec(POST, 1, 40) * 100) / 100, 1.33);
  });

  it("counts each channel on its own, so ten channels take as long as one", () => {
    assert.equal(allowedMsgsPerSec(POST, 10, 20), 20);
    assert.equal(allowedMsgsPerSec(POST, 1, 20), 2);
  });

  it("is the limit the fake Slack enforces", () => {
    const limit = SLACK_METHOD_LIMITS["chat.postMessage"];
    assert.deepEqual(
      { perMinute: limit?.perMinute, burst: limit?.burst, perChannel: limit?.perChannel },
      {
        ...POST,
        perChannel: true,
      },
    );
  });
});

describe("XMPP -> Slack bench results", () => {
  const catchUp = {
    toSlack: { messages: 36, ms: 30_000, missing: 4, outOfOrder: 2 },
    toXmpp: { messages: 10_000, ms: 25_000 },
  };
  const r = toSlackResults({
    limit: POST,
    one: { channels: 1, perChannel: 40, durationMs: 33_000, outOfOrder: 0 },
    ten: { channels: 10, perChannel: 20, durationMs: 11_000, outOfOrder: 1 },
    rateLimited: 50,
    catchUp,
  });

  it("names the ratios against what the limit allows", () => {
    assert.deepEqual(r.ratios, { toSlackVsRateLimit: 0.909, toSlack10RoomsVsRateLimit: 0.909 });
    assert.equal(r.figures.toSlackMsgsPerSec, 1.21);
    assert.equal(r.figures.toSlackAllowedMsgsPerSec, 1.33);
    assert.equal(r.figures.toSlack10RoomsOutOfOrder, 1);
    assert.equal(r.figures.toSlackRateLimited, 50);
  });

  it("keeps catch-up in each direction, with what did not come and what came out of order", () => {
    assert.deepEqual(r.figures.catchUpMessages, { toSlack: 36, toXmpp: 10_000 });
    assert.deepEqual(r.figures.catchUpMsgsPerSec, { toSlack: 1.2, toXmpp: 400 });
    assert.equal(r.figures.catchUpMissingToSlack, 4);
    assert.equal(r.figures.catchUpOutOfOrderToSlack, 2);
    assert.match(toSlackTable(r), /\| catch-up of 36 \(4 missing\), XMPP -> Slack \| +1\.2 \|.*\| +2 \|/);
    assert.match(toSlackTable(r), /\| catch-up of 10000, Slack -> XMPP +\| +400 \|/);
  });

  it("prints the verdict: met only with the ratio and nothing out of order", () => {
    assert.match(toSlackTable(r), /1 channel: 0\.909 \(target 0\.9 and 0 out of order: meets target\)/);
    const slow = toSlackResults({
      limit: POST,
      one: { channels: 1, perChannel: 40, durationMs: 60_000, outOfOrder: 0 },
      ten: { channels: 10, perChannel: 20, durationMs: 11_000, outOfOrder: 0 },
      rateLimited: 0,
      catchUp,
    });
    assert.match(toSlackTable(slow), /MISSES target/);
  });
});

describe("Slack -> XMPP bench results", () => {
  // The figures, their names and the verdicts are the testkit's (test/bench-network-burst-figures.test.ts).
  it("names the bridged path Slack's socket", () => {
    const one: BurstFigures = { messages: 10, msgsPerSec: 50, p50ms: 2, p99ms: 7, maxMs: 7, durationMs: 200 };
    const r = slackResults({
      paced: one,
      bridge: [one],
      ceiling: [{ ...one, msgsPerSec: 100 }],
      pacedRatePerSec: 200,
      duplicates: 0,
      server: "test",
      node: "v0",
      loadAverage: [0, 0],
      cpus: 2,
      warmUpRoundRatios: [],
      cpu: { bridge: { processUs: 1, serverUs: 2 }, ceiling: { processUs: 1, serverUs: 2 } },
    });
    assert.equal(r.ratios.vsCeiling, 0.5);
    assert.match(slackTable(r), /\| burst throughput, Slack socket -> occupant \(msgs\/s\) +\| 50 +\|/);
  });
});
