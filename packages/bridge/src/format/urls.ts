/**
 * Bare http(s) URLs in running text, found the way chat clients find them
 * (GFM's "extended autolinks" without the `www.` form): the URL runs to the
 * next space or bracket-like character, and trailing punctuation that more
 * likely ends the sentence (`.`, `)` without its `(`, ...) stays outside.
 * Shared by every reader so that all of them agree on where a URL ends, and
 * by the Markdown writer to know when a URL may be written bare.
 */
import { isSpaceCode, isWordChar } from "./text-chars.ts";

/** Characters that end a bare URL. */
function stops(c: number): boolean {
  return (
    isSpaceCode(c) ||
    c < 0x20 ||
    c === 0x7f ||
    c === 0x3c /* < */ ||
    c === 0x3e /* > */ ||
    c === 0x5b /* [ */ ||
    c === 0x5d /* ] */ ||
    c === 0x60 /* ` */ ||
    c === 0x7c /* | */ ||
    c === 0x5c /* \ */
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

/**
 * Where a bare URL starting at `i` ends (exclusive), or -1 when none starts
 * there. `from` is where the surrounding text starts: a URL glued to a
 * letter or digit before it is not one.
 */
export function bareUrlEnd(s: string, i: number, end = s.length, from = 0): number {
  const scheme = schemeLength(s, i);
  if (scheme === 0 || i + scheme >= end) return -1;
  if (i > from && isWordChar(s[i - 1])) return -1;
  let j = i + scheme;
  let open = 0;
  let close = 0;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (stops(c)) break;
    if (c === 0x28) open++;
    else if (c === 0x29) close++;
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

/** Whether `url` written bare (followed by a space or the end of the line) reads back as exactly `url`. */
export function isBareUrl(url: string): boolean {
  return bareUrlEnd(url, 0) === url.length;
}

/** Splits `text` into text and bare-URL pieces, in order. */
export function splitUrls(text: string): Array<{ url: boolean; text: string }> {
  const out: Array<{ url: boolean; text: string }> = [];
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const e = bareUrlEnd(text, i, text.length);
    if (e > i) {
      if (i > from) out.push({ url: false, text: text.slice(from, i) });
      out.push({ url: true, text: text.slice(i, e) });
      i = e;
      from = e;
    } else i++;
  }
  if (from < text.length) out.push({ url: false, text: text.slice(from) });
  return out;
}
