/**
 * Discord's per-route rate limits, as @discordjs/rest reads them: every answer
 * carries X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket; a 429 adds
 * Retry-After (whole seconds), X-RateLimit-Scope, X-RateLimit-Global when
 * global, and the body `{ message, retry_after (seconds, float), global }`.
 * Buckets count for real (a client that ignores the headers gets 429s); tests
 * can also force the next matching requests into a 429.
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

export interface RateLimitOptions {
  /** Requests per bucket and window; 50 by default. */
  readonly limit?: number;
  /** Window length; 1000 ms by default. */
  readonly windowMs?: number;
}

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
  private readonly windows = new Map<string, Window>();
  private readonly forced: Array<RateLimitRule & { left: number }> = [];

  constructor(o: RateLimitOptions = {}) {
    this.limit = o.limit ?? 50;
    this.windowMs = o.windowMs ?? 1000;
  }

  /** The next `count` requests matching the rule get a 429. */
  force(rule: RateLimitRule): void {
    this.forced.push({ ...rule, left: rule.count ?? 1 });
  }

  /**
   * Counts the request in its bucket and says how to answer.
   * `bucketRoute` is the route template, `major` the id Discord keys buckets by
   * (channel, guild, or webhook id and token).
   */
  take(method: string, path: string, bucketRoute: string, major: string): RateLimitVerdict {
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
    const key = `${bucket}:${major}`;
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { resetAt: now + this.windowMs, used: 0 };
      this.windows.set(key, w);
    }
    if (w.used >= this.limit) return this.tooMany(bucket, w.resetAt - now, false, now);
    w.used++;
    return { headers: this.bucketHeaders(bucket, this.limit - w.used, w.resetAt, now) };
  }

  private tooMany(bucket: string, retryAfterMs: number, global: boolean, now: number): RateLimitVerdict {
    const seconds = Math.max(retryAfterMs, 1) / 1000;
    const headers: Record<string, string> = global
      ? { "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global" }
      : { ...this.bucketHeaders(bucket, 0, now + retryAfterMs, now), "X-RateLimit-Scope": "user" };
    headers["Retry-After"] = String(Math.ceil(seconds));
    return { headers, limited: { message: "You are being rate limited.", retry_after: seconds, global } };
  }

  private bucketHeaders(bucket: string, remaining: number, resetAt: number, now: number): Record<string, string> {
    return {
      "X-RateLimit-Limit": String(this.limit),
      "X-RateLimit-Remaining": String(Math.max(0, remaining)),
      "X-RateLimit-Reset": (resetAt / 1000).toFixed(3),
      "X-RateLimit-Reset-After": (Math.max(0, resetAt - now) / 1000).toFixed(3),
      "X-RateLimit-Bucket": bucket,
    };
  }
}
