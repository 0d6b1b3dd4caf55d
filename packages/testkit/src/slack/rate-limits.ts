/**
 * Slack's per-method rate limits (docs.slack.dev/apis/web-api/rate-limits):
 * each method belongs to a tier, counted per app per workspace per minute,
 * "with bursts tolerated", and a few are special. Over the limit Slack
 * answers HTTP 429 with `Retry-After` (seconds) and `{ ok: false, error:
 * "ratelimited" }`; @slack/web-api waits that long and retries.
 *
 * Modelled as token buckets: a bucket holds `burst` calls and refills at
 * `perMinute`. The figures are the documented minimums of each tier (Tier 1:
 * 1+ a minute, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+), with a burst of the
 * same size (Tier 1: 10, so a client reconnecting Socket Mode a few times in
 * a test is not held for a minute), and chat.postMessage's special limit of
 * about one message per second per channel with short bursts (10) allowed.
 * The tier of each method is the one its reference page gives.
 */

export interface MethodRateLimit {
  /** Sustained calls per minute. */
  readonly perMinute: number;
  /** Calls allowed at once from a full bucket. */
  readonly burst: number;
  /** Counted per channel (chat.postMessage) rather than per workspace. */
  readonly perChannel?: boolean;
}

export const SLACK_TIERS = {
  tier1: { perMinute: 1, burst: 10 },
  tier2: { perMinute: 20, burst: 20 },
  tier3: { perMinute: 50, burst: 50 },
  tier4: { perMinute: 100, burst: 100 },
  /** chat.postMessage: 1 per second per channel, bursts allowed. */
  postMessage: { perMinute: 60, burst: 10, perChannel: true },
} as const satisfies Record<string, MethodRateLimit>;

/** The tier of every method the fake serves (Slack's "Special" methods other than chat.postMessage count as Tier 4). */
export const SLACK_METHOD_LIMITS: Readonly<Record<string, MethodRateLimit>> = {
  "auth.test": SLACK_TIERS.tier4,
  "apps.connections.open": SLACK_TIERS.tier1,
  "conversations.list": SLACK_TIERS.tier2,
  "conversations.info": SLACK_TIERS.tier3,
  "conversations.members": SLACK_TIERS.tier4,
  "conversations.history": SLACK_TIERS.tier3,
  "conversations.replies": SLACK_TIERS.tier3,
  "conversations.join": SLACK_TIERS.tier3,
  "conversations.open": SLACK_TIERS.tier3,
  "users.info": SLACK_TIERS.tier4,
  "users.list": SLACK_TIERS.tier2,
  "users.getPresence": SLACK_TIERS.tier3,
  "users.profile.get": SLACK_TIERS.tier4,
  "dnd.teamInfo": SLACK_TIERS.tier2,
  "usergroups.list": SLACK_TIERS.tier2,
  "team.info": SLACK_TIERS.tier3,
  "emoji.list": SLACK_TIERS.tier2,
  "bots.info": SLACK_TIERS.tier3,
  "chat.postMessage": SLACK_TIERS.postMessage,
  "chat.update": SLACK_TIERS.tier3,
  "chat.delete": SLACK_TIERS.tier3,
  "chat.getPermalink": SLACK_TIERS.tier4,
  "reactions.add": SLACK_TIERS.tier3,
  "reactions.remove": SLACK_TIERS.tier2,
  "files.getUploadURLExternal": SLACK_TIERS.tier4,
  "files.completeUploadExternal": SLACK_TIERS.tier4,
  "files.info": SLACK_TIERS.tier4,
};

/**
 * `false` turns counting off (forced 429s from `failNext` still happen);
 * otherwise per-method replacements for SLACK_METHOD_LIMITS, and the limit of
 * methods not listed (Tier 3 by default).
 */
export type RateLimitOptions =
  | false
  | { readonly methods?: Readonly<Record<string, MethodRateLimit>>; readonly fallback?: MethodRateLimit };

interface Bucket {
  tokens: number;
  at: number;
}

export class SlackRateLimiter {
  private readonly enabled: boolean;
  private readonly methods: Readonly<Record<string, MethodRateLimit>>;
  private readonly fallback: MethodRateLimit;
  private readonly buckets = new Map<string, Bucket>();

  constructor(o: RateLimitOptions | undefined) {
    this.enabled = o !== false;
    const given = o === false || o === undefined ? {} : o;
    this.methods = { ...SLACK_METHOD_LIMITS, ...(given.methods ?? {}) };
    this.fallback = given.fallback ?? SLACK_TIERS.tier3;
  }

  /** Takes a call from the method's bucket: undefined when allowed, else the seconds to wait. */
  take(method: string, channel: string | undefined): number | undefined {
    if (!this.enabled) return undefined;
    const limit = this.methods[method] ?? this.fallback;
    const key = limit.perChannel ? `${method}:${channel ?? ""}` : method;
    const now = Date.now();
    const ratePerMs = limit.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    b.tokens = Math.min(limit.burst, b.tokens + (now - b.at) * ratePerMs);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000));
  }
}
