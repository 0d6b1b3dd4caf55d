/**
 * Character classes the readers and writers share, as code-unit tests: the
 * parsers call them once per character, so they avoid regular expressions.
 */

/** Unicode White_Space as JavaScript's `\s` defines it (what XEP-0393 parsers such as @parley/stanza use). */
export function isSpaceCode(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `isSpaceCode` for a one-character string; undefined (outside the text) is not a space. */
export function isSpaceChar(ch: string | undefined): boolean {
  return ch !== undefined && ch !== "" && isSpaceCode(ch.charCodeAt(0));
}

const WORD = /[\p{L}\p{N}]/u;

/** A letter or a digit in any script: what a URL or an underscore may not follow. */
export function isWordChar(ch: string | undefined): boolean {
  if (ch === undefined || ch === "") return false;
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return WORD.test(ch);
}

/** ASCII punctuation: exactly the characters a Markdown backslash escapes. */
export function isAsciiPunct(ch: string | undefined): boolean {
  if (ch === undefined || ch.length !== 1) return false;
  const c = ch.charCodeAt(0);
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/** Whether a line holds nothing but spaces and tabs (a paragraph break in every syntax here). */
export function isBlankLine(s: string, start = 0, end = s.length): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Code points in `s` (a lone surrogate counts as one, as `Array.from` does). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i + 1 < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** `s` without its trailing spaces and tabs; a loop, since `/[ \t]+$/` retries from every space of a long run. */
export function trimBlanksEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** `s` without its leading and trailing spaces and tabs. */
export function trimBlanks(s: string): string {
  let start = 0;
  while (start < s.length && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++;
  return trimBlanksEnd(start === 0 ? s : s.slice(start));
}

/** Length in UTF-16 units of the code point at `i`: 2 for a surrogate pair, else 1. */
export function codePointWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** The character starting at `i`: a whole code point (both halves of a surrogate pair), or undefined at the end. */
export function characterAt(s: string, i: number): string | undefined {
  return i < s.length ? s.slice(i, i + codePointWidth(s, i)) : undefined;
}

/** The character ending just before `i`: a whole code point, or undefined at the start. */
export function characterBefore(s: string, i: number): string | undefined {
  if (i <= 0) return undefined;
  const c = s.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = s.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return s.slice(i - 2, i);
  }
  return s[i - 1];
}

/**
 * `s` without the backslash of each escape: a backslash followed by a
 * character (a whole code point) that `escapable` accepts. Left to right,
 * so `\\*` is a backslash and a star.
 */
export function removeEscapes(s: string, escapable: (ch: string | undefined) => boolean): string {
  if (!s.includes("\\")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const next = characterAt(s, i + 1);
    if (s[i] === "\\" && next !== undefined && escapable(next)) {
      out += next;
      i += next.length;
    } else out += s[i];
  }
  return out;
}
