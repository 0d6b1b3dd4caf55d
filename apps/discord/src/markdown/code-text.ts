/**
 * Code text through Discord's code syntax, which has no escapes: a code
 * block ends at the first ``` whatever fence opened it, and an inline code
 * span can only be fenced with one or two backticks (three or more start a
 * block). So code that holds two backticks in a row cannot be written as
 * it is. The writer puts a zero-width space after each backtick that is
 * followed by another backtick (or by a zero-width space, so that the
 * encoding stays reversible): Discord shows the same characters, and the
 * reader takes those zero-width spaces out again.
 */

const ZWSP = "\u200b";

/** Code text with no two backticks in a row. */
export function encodeBackticks(text: string): string {
  if (!text.includes("`")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    out += ch;
    if (ch === "`" && (text[i + 1] === "`" || text[i + 1] === ZWSP)) out += ZWSP;
  }
  return out;
}

/** The inverse of `encodeBackticks`. */
export function decodeBackticks(text: string): string {
  if (!text.includes(ZWSP)) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    out += ch;
    if (ch === "`" && text[i + 1] === ZWSP && (text[i + 2] === "`" || text[i + 2] === ZWSP)) i++;
  }
  return out;
}

/** The language names Discord reads after an opening fence. */
export const CODE_LANG = /^[a-z0-9_+\-.#]+$/i;
