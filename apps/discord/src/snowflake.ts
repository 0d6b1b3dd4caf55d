/**
 * Discord ids are snowflakes: 64-bit numbers written as decimal strings whose
 * high bits are a timestamp. They order messages, so catch-up cursors compare
 * them, and "now" as a snowflake is where a channel without a cursor starts.
 */

/** 2015-01-01T00:00:00Z, the zero of Discord's snowflake clock. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

const SNOWFLAKE = /^\d{1,20}$/;

export function isSnowflake(s: unknown): s is string {
  return typeof s === "string" && SNOWFLAKE.test(s) && BigInt(s) < 2n ** 64n;
}

/** Orders two snowflakes (negative, zero, positive like a sort comparator). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
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
