/**
 * Per-sender rate limits: a token bucket per sender (`perMinute` tokens a
 * minute, at most `burst` saved up). A message without a token is dropped;
 * the first drop of a run says so once (`take` answers "first-drop"), the
 * rest of the run silently, until the sender has tokens again. At most
 * MAX_SENDERS buckets are kept (the least recently used go; a forgotten
 * sender starts with a full bucket). `perMinute` 0 is no limit.
 */
import { setBounded } from "../connector/bounded-map.ts";

const MAX_SENDERS = 10_000;

export interface SenderRateOptions {
  readonly perMinute: number;
  readonly burst: number;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** Dropping now: the sender was told once. */
  dropping: boolean;
}

export class SenderRate {
  private readonly o: SenderRateOptions;
  private readonly buckets = new Map<string, Bucket>();

  constructor(o: SenderRateOptions) {
    this.o = o;
  }

  /** Takes a token for `sender`: "ok", or "first-drop" / "drop" when the sender is over the limit. */
  take(sender: string): "ok" | "first-drop" | "drop" {
    if (this.o.perMinute <= 0) return "ok";
    const now = (this.o.now ?? Date.now)();
    const bucket = this.buckets.get(sender) ?? { tokens: this.o.burst, at: now, dropping: false };
    setBounded(this.buckets, sender, bucket, MAX_SENDERS);
    bucket.tokens = Math.min(this.o.burst, bucket.tokens + ((now - bucket.at) * this.o.perMinute) / 60_000);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.dropping = false;
      return "ok";
    }
    if (bucket.dropping) return "drop";
    bucket.dropping = true;
    return "first-drop";
  }

  get size(): number {
    return this.buckets.size;
  }
}
