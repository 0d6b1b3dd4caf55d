/**
 * Where Discord links things. Only http(s) URLs become links in a Discord
 * message (bare, `<url>` or `[text](url)`); anything else is text there, so
 * the writer spells other schemes as text.
 *
 * A bare URL runs to the next space or bracket-like character; trailing
 * punctuation that more likely ends the sentence (`.`, `!`, a `)` without
 * its `(`, the `**` of a bold around it) stays outside.
 */
import { isSpace } from "./chars.ts";

const HTTP = /^https?:\/\//i;

/** Whether Discord can link `url` at all. */
export function isLinkable(url: string): boolean {
  return HTTP.test(url) && url.length > url.indexOf("//") + 2 && !/[\s<>]/.test(url);
}

function stops(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (
    c < 0x20 ||
    c === 0x7f ||
    isSpace(ch) ||
    ch === "<" ||
    ch === ">" ||
    ch === "[" ||
    ch === "]" ||
    ch === "`" ||
    ch === "|" ||
    ch === "\\"
  );
}

const TRAILING = new Set([".", ",", ":", ";", "!", "?", "'", '"', "*", "_", "~"]);

function schemeLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c !== 0x68 && c !== 0x48) return 0; // h, H
  const head = s.slice(i, i + 8).toLowerCase();
  if (head.startsWith("https://")) return 8;
  if (head.startsWith("http://")) return 7;
  return 0;
}

/** Where a bare URL starting at `i` ends (exclusive), or -1 when none starts there. */
export function bareUrlEnd(s: string, i: number): number {
  const scheme = schemeLength(s, i);
  if (scheme === 0) return -1;
  let j = i + scheme;
  let open = 0;
  let close = 0;
  while (j < s.length) {
    const ch = s[j] as string;
    if (stops(ch)) break;
    if (ch === "(") open++;
    else if (ch === ")") close++;
    j++;
  }
  while (j > i + scheme) {
    const last = s[j - 1] as string;
    if (TRAILING.has(last)) j--;
    else if (last === ")" && close > open) {
      close--;
      j--;
    } else break;
  }
  return j > i + scheme ? j : -1;
}
