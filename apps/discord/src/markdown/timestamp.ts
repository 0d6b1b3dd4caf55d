/**
 * Discord's `<t:seconds:style>` timestamps, which each Discord client shows
 * in its reader's time zone and language. Other networks get a fixed UTC
 * date in ISO order instead: unambiguous everywhere, and close to what the
 * style asks for (date only, time only, or both). The relative style (`R`,
 * "3 hours ago") would be wrong as soon as it is read later, so it gets the
 * full date too.
 */

const MAX_MS = 8.64e15; // the range of a JavaScript Date

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The text for a timestamp, or undefined when `seconds` is no date at all. */
export function timestampText(seconds: number, style: string | undefined): string | undefined {
  if (!Number.isSafeInteger(seconds) || Math.abs(seconds * 1000) > MAX_MS) return undefined;
  const d = new Date(seconds * 1000);
  const y = d.getUTCFullYear();
  const year = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  const date = `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  switch (style) {
    case "d":
    case "D":
      return date;
    case "t":
      return `${hm} UTC`;
    case "T":
      return `${hm}:${pad(d.getUTCSeconds())} UTC`;
    default:
      return `${date} ${hm} UTC`;
  }
}
