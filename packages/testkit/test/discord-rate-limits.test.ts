/** The fake Discord's rate limits: Discord's per-route buckets and global limit, with the headers clients read. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateLimiter } from "../src/discord/rate-limits.ts";
import { DISCORD_RATE_LIMITS } from "../src/index.ts";

const WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}";

describe("Discord's rate limits in the fake", () => {
  it("lets a webhook execute 5 times per 2 s, then answers 429 with the bucket's headers", () => {
    const limiter = new RateLimiter(DISCORD_RATE_LIMITS);
    const answers = Array.from({ length: 6 }, () => limiter.take("POST", "/webhooks/1/t", WEBHOOK, "1/t"));
    assert.deepEqual(
      answers.slice(0, 5).map((a) => a.headers["X-RateLimit-Remaining"]),
      ["4", "3", "2", "1", "0"],
    );
    assert.equal(answers[0]?.headers["X-RateLimit-Limit"], "5");
    assert.ok(Number(answers[0]?.headers["X-RateLimit-Reset-After"]) > 1.9);
    const sixth = answers[5];
    assert.equal(sixth?.limited?.global, false);
    assert.equal(sixth?.headers["X-RateLimit-Scope"], "user");
    assert.ok((sixth?.limited?.retry_after ?? 0) > 1.9);
    // Another webhook has a bucket of its own.
    assert.equal(limiter.take("POST", "/webhooks/2/t", WEBHOOK, "2/t").limited, undefined);
  });

  it("holds every route to 50 requests a second per caller (global), whatever their buckets allow", () => {
    const limiter = new RateLimiter(DISCORD_RATE_LIMITS);
    let limited = 0;
    for (let i = 0; i < 60; i++) {
      const a = limiter.take("GET", `/channels/${i}`, "/channels/{channel_id}", String(i), "bot");
      if (a.limited) {
        limited++;
        assert.equal(a.limited.global, true);
        assert.equal(a.headers["X-RateLimit-Global"], "true");
      }
    }
    assert.equal(limited, 10);
    // Another caller (a request without the bot's token) counts apart.
    assert.equal(limiter.take("GET", "/channels/1", "/channels/{channel_id}", "1", "anonymous").limited, undefined);
  });

  it("keeps the lenient default for tests about something else: 50 per bucket, no global limit", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 50; i++) assert.equal(limiter.take("POST", "/webhooks/1/t", WEBHOOK, "1/t").limited, undefined);
    assert.ok(limiter.take("POST", "/webhooks/1/t", WEBHOOK, "1/t").limited);
  });
});
