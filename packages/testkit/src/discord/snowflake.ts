/**
 * Discord snowflakes: milliseconds since the Discord epoch in the high bits, a
 * counter in the low 22. Ids handed out by one source always increase, even
 * within the same millisecond, because clients order messages by id.
 */

/** 2015-01-01T00:00:00.000Z, the zero of every Discord snowflake. */
export const DISCORD_EPOCH = 1420070400000n;

export class SnowflakeSource {
  private last = 0n;

  /** A new id, strictly greater than every id this source gave before. */
  next(): string {
    const fromClock = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    this.last = fromClock > this.last ? fromClock : this.last + 1n;
    return this.last.toString();
  }
}

/** When a snowflake was made, in epoch milliseconds. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Orders snowflake strings numerically (they differ in length across the years). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
