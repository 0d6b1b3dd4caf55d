/**
 * Where a `<...>` token closes: Discord's and Slack's markup both write
 * mentions, links and the like as one-line tokens in angle brackets, and a
 * `<` that closes nothing is text.
 */

/**
 * The index of the `>` that closes the `<` at `open`, or undefined when a
 * `<` or a line break comes first, or none comes within `maxLength` code
 * units (a cap that keeps a stray `<` in a long message from a long scan).
 */
export function angleTokenClose(src: string, open: number, maxLength: number): number | undefined {
  const limit = Math.min(src.length, open + 1 + maxLength);
  for (let k = open + 1; k < limit; k++) {
    const c = src.charCodeAt(k);
    if (c === 0x3e /* > */) return k;
    if (c === 0x3c /* < */ || c === 0x0a) return undefined;
  }
  return undefined;
}
