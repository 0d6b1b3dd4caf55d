/**
 * The commonest message text: one line of words and sentence punctuation,
 * which no reader or writer of markup changes. Such a line skips the block
 * and inline parsers (`fromMarkdown`) and the styling writer (`toStyling`),
 * which would give back the same paragraph and the same body the long way.
 *
 * The characters are chosen so that none can start anything: no markup
 * delimiter, bracket, escape, mention or URL scheme (no `:`), no list, quote
 * or heading at the start (it starts with a letter), no line break, and no
 * space at either end (readers trim them). Anything else takes the long way.
 */
import type { RichText } from "./ast.ts";

const PLAIN_LINE = /^\p{L}(?:[\p{L}\p{N} ,.?!']*[\p{L}\p{N},.?!'])?$/u;

/** Whether `text` is a plain line: read and written as it is by every dialect. */
export function isPlainLine(text: string): boolean {
  return PLAIN_LINE.test(text);
}

/** The tree of a plain line: one paragraph holding the text. */
export function plainLineDoc(text: string): RichText {
  return { blocks: [{ type: "paragraph", children: [{ type: "text", text }] }] };
}

/** The text of a tree that is one paragraph of one plain line; undefined for any other tree. */
export function plainLineOf(doc: RichText): string | undefined {
  const blocks = doc?.blocks;
  if (!Array.isArray(blocks) || blocks.length !== 1) return undefined;
  const b = blocks[0];
  if (b?.type !== "paragraph" || b.children.length !== 1) return undefined;
  const c = b.children[0];
  return c?.type === "text" && typeof c.text === "string" && isPlainLine(c.text) ? c.text : undefined;
}
