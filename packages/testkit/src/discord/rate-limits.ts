/**
 * Discord's per-route rate limits, as @discordjs/rest reads them: every answer
 * carries X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket; a 429 adds
 * Retry-After (whole seconds), X-RateLimit-Scope, X-RateLimit-Global when
 * global, and the body `{ message, retry_after (seconds, float), global }`.
 * Buckets count for real (a client that ignores the headers gets 429s); tests
 * can also force the next matching requests into a 429.
 *
 * By default every bucket allows 50 requests a second and there is no global
 * limit, so that tests about something else are not slowed down.
 * `DISCORD_RATE_LIMITS` is Discord's own: the limits of the routes a bridge
 * posts through, and the global limit of 50 requests a second per bot (per
 * address for requests without a token), which applies over every route.
 * Discord's documentation gives only the global figure and tells clients to
 * read the headers; the per-route figures are those its answers carry.
 */
import { createHash } from "node:crypto";

export interface RateLimitRule {
  readonly method?: string;
  readonly pathIncludes?: string;
  readonly retryAfterMs: number;
  readonly global?: boolean;
  /** How many matching requests get the 429; 1 by default. */
  readonly count?: number;
}

/** The limit of one route (its template, as the OpenAPI description writes it), counted per major parameter. */
export interface RouteRateLimit {
  readonly method: string;
  readonly route: string;
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitOptions {
  /** Requests per bucket and window for routes without a limit of their own; 50 by default. */
  readonly limit?: number;
  /** Window length; 1000 ms by default. */
  readonly windowMs?: number;
  /** Routes with limits of their own. */
  readonly routes?: readonly RouteRateLimit[];
  /** Requests per window over every route, per bot token (per address without one); none by default. */
  readonly global?: { readonly limit: number; readonly windowMs: number };
}

/**
 * Discord's limits for what a bridge does most: a webhook executes 5 times
 * per 2 s (per webhook), a bot posts 5 messages per 5 s in a channel, and
 * the global 50 requests per second.
 */
export const DISCORD_RATE_LIMITS: RateLimitOptions = {
  limit: 50,
  windowMs: 1000,
  routes: [
    { method: "POST", route: "/webhooks/{webhook_id}/{webhook_token}", limit: 5, windowMs: 2000 },
    { method: "POST", route: "/channels/{channel_id}/messages", limit: 5, windowMs: 5000 },
  ],
  global: { limit: 50, windowMs: 1000 },
};

export interface RateLimitVerdict {
  readonly headers: Record<string, string>;
  /** Set when the request must be answered 429 with this body. */
  readonly limited?: { retry_after: number; global: boolean; message: string };
}

interface Window {
  resetAt: number;
  used: number;
}

export class RateLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly routes: readonly RouteRateLimit[];
  private readonly global: { readonly limit: number; readonly windowMs: number } | undefined;
  private readonly windows = new Map<string, Window>();
  private readonly forced: Array<RateLimitRule & { left: number }> = [];

  constructor(o: RateLimitOptions = {}) {
    this.limit = o.limit ?? 50;
    this.windowMs = o.windowMs ?? 1000;
    this.routes = o.routes ?? [];
    this.global = o.global;
  }

  /** The next `count` requests matching the rule get a 429. */
  force(rule: RateLimitRule): void {
    this.forced.push({ ...rule, left: rule.count ?? 1 });
  }

  /**
   * Counts the request in its bucket and says how to answer.
   * `bucketRoute` is the route template, `major` the id Discord keys buckets by
   * (channel, guild, or webhook id and token), `caller` who counts against
   * the global limit (the bot's token, or the address without one).
   */
  take(method: string, path: string, bucketRoute: string, major: string, caller = "anonymous"): RateLimitVerdict {
    const now = Date.now();
    const bucket = createHash("sha1").update(`${method} ${bucketRoute}`).digest("hex").slice(0, 16);
    const forced = this.forced.find(
      (r) =>
        r.left > 0 &&
        (!r.method || r.method.toUpperCase() === method) &&
        (!r.pathIncludes || path.includes(r.pathIncludes)),
    );
    if (forced) {
      forced.left--;
      if (forced.left === 0) this.forced.splice(this.forced.indexOf(forced), 1);
      return this.tooMany(bucket, forced.retryAfterMs, forced.global ?? false, now);
    }
    const rule = this.routes.find((r) => r.method.toUpperCase() === method && r.route === bucketRoute);
    const limit = rule?.limit ?? this.limit;
    const w = this.window(`${bucket}:${major}`, rule?.windowMs ?? this.windowMs, now);
    if (w.used >= limit) return this.tooMany(bucket, w.resetAt - now, false, now, limit);
    if (this.global) {
      const g = this.window(`global:${caller}`, this.global.windowMs, now);
      if (g.used >= this.global.limit) return this.tooMany(bucket, g.resetAt - now, true, now, limit);
      g.used++;
    }
    w.used++;
    return { headers: this.bucketHeaders(bucket, limit - w.used, w.resetAt, now, limit) };
  }

  /** The window `key` is counted in now (a new one once the last has passed). */
  private window(key: string, windowMs: number, now: number): Window {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { resetAt: now + windowMs, used: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  private tooMany(
    bucket: string,
    retryAfterMs: number,
    global: boolean,
    now: number,
    limit = this.limit,
  ): RateLimitVerdict {
    const seconds = Math.max(retryAfterMs, 1) / 1000;
    const headers: Record<string, string> = global
      ? { "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global" }
      : { ...this.bucketHeaders(bucket, 0, now + retryAfterMs, now, limit), "X-RateLimit-Scope": "user" };
    headers["Retry-After"] = String(Math.ceil(seconds));
    return { headers, limited: { message: "You are being rate limited.", retry_after: seconds, global } };
  }

  private bucketHeaders(
    bucket: string,
    remaining: number,
    resetAt: number,
    now: number,
    limit: number,
  ): Record<string, string> {
    return {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(Math.max(0, remaining)),
      "X-RateLimit-Reset": (resetAt / 1000).toFixed(3),
      "X-RateLimit-Reset-After": (Math.max(0, resetAt - now) / 1000).toFixed(3),
      "X-RateLimit-Bucket": bucket,
    };
  }
}
