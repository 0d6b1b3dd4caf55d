/**
 * Webhook usernames as Discord accepts them: 1 to 80 characters, without
 * "discord" or "clyde" anywhere and not "everyone" or "here". Discord refuses
 * the whole message otherwise, so an XMPP nick is adjusted rather than
 * rejected, keeping it recognisable.
 */

const MAX_CHARS = 80;
const FALLBACK = "XMPP user";

/** Breaks the reserved words with a hyphen: people still read the same name. */
const RESERVED_PARTS: ReadonlyArray<[RegExp, (m: string) => string]> = [
  [/discord/gi, (m) => `${m.slice(0, 4)}-${m.slice(4)}`],
  [/clyde/gi, (m) => `${m.slice(0, 3)}-${m.slice(3)}`],
];

const RESERVED_NAMES = new Set(["everyone", "here"]);

export function webhookUsername(nick: string): string {
  // Control characters, invisible and direction-changing characters have no place in a name shown on one line
  // (the zero-width joiner stays: emoji sequences need it).
  let name = nick
    .replace(/[\p{Cc}\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\uFEFF\u2028\u2029]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  for (const [re, fix] of RESERVED_PARTS) name = name.replace(re, fix);
  if (RESERVED_NAMES.has(name.toLowerCase())) name = `${name} (XMPP)`;
  const chars = Array.from(name);
  if (chars.length > MAX_CHARS) name = chars.slice(0, MAX_CHARS).join("").trimEnd();
  return name === "" ? FALLBACK : name;
}
