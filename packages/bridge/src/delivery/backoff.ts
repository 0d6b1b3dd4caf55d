/**
 * Retry delays: exponential backoff with full jitter (a random delay between
 * zero and a cap that doubles per failure), so that many lanes failing at once
 * against the same API do not retry in lockstep. A server's Retry-After wins
 * when it asks for longer, up to an hour: a hostile or broken header must not
 * park a lane for days.
 */

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A number in [0, 1); out-of-range values are clamped. */
  readonly random: () => number;
}

export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** The delay before the try following failure number `failures` (1 for the first failure). */
export function retryDelayMs(policy: BackoffPolicy, failures: number, retryAfterMs?: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  let r = policy.random();
  if (!(r >= 0)) r = 0;
  if (r >= 1) r = 0.999_999;
  const jittered = Math.floor(r * cap);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > jittered) {
    return Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS);
  }
  return jittered;
}
