/**
 * Discord ids are snowflakes: 64-bit numbers written as decimal strings whose
 * high bits are a timestamp. They order messages, so catch-up cursors compare
 * them, and "now" as a snowflake is where a channel without a cursor starts.
 */

/** 2015-01-01T00:00:00Z, the zero of Discord's snowflake clock. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

const SNOWFLAKE = /^\d{1,20}$/;

export function isSnowflake(s: unknown): s is string {
  // Up to 19 digits is always below 2^64 (20 digits): only the longest need the big-number check.
  return typeof s === "string" && SNOWFLAKE.test(s) && (s.length < 20 || BigInt(s) < 2n ** 64n);
}

/**
 * Orders two snowflakes (negative, zero, positive like a sort comparator), as
 * numbers: by length once leading zeros are off, then digit by digit. Called
 * for every message handled, so without big-number arithmetic.
 */
export function compareSnowflakes(a: string, b: string): number {
  const x = withoutLeadingZeros(a);
  const y = withoutLeadingZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function withoutLeadingZeros(s: string): string {
  return s.length > 1 && s.startsWith("0") ? s.replace(/^0+(?=\d)/, "") : s;
}

/** The smallest snowflake of the given millisecond: every message posted at or after it sorts after it. */
export function snowflakeAt(ms: number): string {
  const since = BigInt(Math.max(0, Math.floor(ms) - DISCORD_EPOCH_MS));
  return (since << 22n).toString();
}

/** When a snowflake was made, in milliseconds since the Unix epoch. */
export function timeOfSnowflake(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}
