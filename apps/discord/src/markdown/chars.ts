/**
 * Character tests the Discord reader and writer share. They must agree
 * exactly: the writer escapes or chooses a spelling by asking the same
 * questions the reader will ask of its output.
 */

/** Unicode white space as JavaScript's `\s` has it. */
export function isSpace(ch: string | undefined): boolean {
  if (ch === undefined || ch === "") return false;
  const c = ch.charCodeAt(0);
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  return /\s/.test(ch[0] as string);
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** A letter or digit in any script: a single `_` touching one is text (snake_case). */
export function isWordChar(ch: string | undefined): boolean {
  if (ch === undefined || ch === "") return false;
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return LETTER_OR_DIGIT.test(String.fromCodePoint(ch.codePointAt(0) ?? c));
}

/**
 * Whether a backslash before `ch` escapes it. Discord escapes anything
 * that is neither an ASCII letter or digit nor white space: `\*`, `\<`,
 * `\:`, even `\😀`.
 */
export function isEscapable(ch: string | undefined): boolean {
  if (ch === undefined || ch === "") return false;
  const c = ch.charCodeAt(0);
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return false;
  return !isSpace(ch);
}

/** Length of the code point at `i` (2 for a surrogate pair). */
export function codePointWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** The code point ending just before `i` (a whole surrogate pair), or undefined at the start. */
export function charBefore(s: string, i: number): string | undefined {
  if (i <= 0) return undefined;
  const c = s.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = s.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return s.slice(i - 2, i);
  }
  return s[i - 1];
}

/** The code point starting at `i`, or undefined at the end. */
export function charAt(s: string, i: number): string | undefined {
  return i < s.length ? s.slice(i, i + codePointWidth(s, i)) : undefined;
}

/** Whether a line holds only spaces and tabs. */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}
