/**
 * A Discord message's markdown as a rich-text tree.
 *
 * Blocks, each recognised at the start of a line (after the quote or list
 * marker that contains it):
 * - a code block opens with ``` (a language word may follow when the line
 *   ends after it) and, as in Discord, ends at the very next ```, even
 *   mid-line; without a closing ``` the backticks are text;
 * - `> ` lines quote themselves, `>>> ` quotes the rest of the message;
 *   Discord has no quotes inside quotes, so in a quote `>` is text;
 * - `# `, `## `, `### ` headings (no deeper levels in Discord);
 * - `-# ` subtext, read as a plain paragraph;
 * - `- ` / `* ` and `1. ` list items; lines indented under an item belong
 *   to it, so indented items make nested lists;
 * - paragraphs: every newline is a line break, an empty line ends them.
 *
 * Spaces and tabs at the ends of paragraph lines do not count, as with
 * `normalizeRichText`'s `trimLineEdges`: markup cannot keep them apart
 * from the syntax around them. Quotes and lists nest at most
 * MAX_BLOCK_DEPTH deep; deeper markers are text. The result is in the
 * normal form of `normalizeRichText`, and nothing here throws.
 */
import {
  type Block,
  isBlankLine,
  MAX_BLOCK_DEPTH,
  normalizeRichText,
  type RichText,
  runsToInlines,
  trimBlanks,
  trimRunLineEdges,
} from "@parley/bridge";
import { CODE_LANG, decodeBackticks } from "./code-text.ts";
import { type DiscordReadContext, type Resolver, resolverOf } from "./context.ts";
import { readInline } from "./inline-read.ts";

export function fromDiscordMarkdown(text: string, ctx: DiscordReadContext): RichText {
  const src = typeof text === "string" ? text.replace(/\r\n?/g, "\n") : "";
  const blocks = new BlockReader(resolverOf(ctx)).blocks(src, 0, false);
  return normalizeRichText({ blocks });
}

const HEADING = /^(#{1,3}) +(.*)$/;
const SUBTEXT = /^-# +(.*)$/;
const QUOTE_LINE = /^ *> /;
const QUOTE_REST = /^ *>>> /;
const ITEM = /^(?:([-*])|(\d{1,9})\.)[ \t]/;

interface ItemStart {
  readonly ordered: boolean;
  readonly number: number;
  /** The marker and the space after it: what continuation lines are indented by. */
  readonly width: number;
}

function itemStart(line: string): ItemStart | undefined {
  const m = ITEM.exec(line);
  if (!m) return undefined;
  if (m[1] !== undefined) return { ordered: false, number: 1, width: 2 };
  return { ordered: true, number: Number(m[2]), width: (m[2] as string).length + 2 };
}

function headingOf(line: string): { level: number; text: string } | undefined {
  const m = HEADING.exec(line);
  if (!m || isBlankLine(m[2] as string)) return undefined;
  return { level: (m[1] as string).length, text: m[2] as string };
}

/** Spaces and tabs at the start of `line`. */
function indentOf(line: string): number {
  let i = 0;
  while (line[i] === " " || line[i] === "\t") i++;
  return i;
}

/** A container's text, read line by line; `pos` is the start of the current line. */
class Lines {
  readonly src: string;
  pos = 0;
  /** Where the last ``` starts: no fence can close after it. */
  readonly lastFence: number;

  constructor(src: string) {
    this.src = src;
    this.lastFence = src.lastIndexOf("```");
  }

  get done(): boolean {
    return this.pos >= this.src.length;
  }

  /** End of the line starting at `at` (its newline, or the end of the text). */
  lineEnd(at = this.pos): number {
    const e = this.src.indexOf("\n", at);
    return e < 0 ? this.src.length : e;
  }

  line(at = this.pos): string {
    return this.src.slice(at, this.lineEnd(at));
  }

  /** Moves to the next line. */
  next(): void {
    this.pos = this.lineEnd() + 1;
  }
}

interface Fence {
  readonly lang: string | undefined;
  readonly text: string;
  /** Just after the closing ```. */
  readonly end: number;
}

/**
 * The code block whose opening ``` is at `at`, read the way Discord reads
 * it: an optional language word and newline, then newlines skipped, then
 * at least one character of code up to the next ```; newlines before the
 * closing fence are not code.
 */
function fenceAt(lines: Lines, at: number): Fence | undefined {
  const src = lines.src;
  const body = at + 3;
  const close = (contentStart: number) => {
    if (contentStart >= src.length || src[contentStart] === "\n") return -1;
    if (lines.lastFence < contentStart + 1) return -1;
    return src.indexOf("```", contentStart + 1);
  };
  const skipNewlines = (k: number) => {
    while (src[k] === "\n") k++;
    return k;
  };
  const nl = src.indexOf("\n", body);
  if (nl > body && CODE_LANG.test(src.slice(body, nl))) {
    const start = skipNewlines(nl + 1);
    const end = close(start);
    if (end >= 0) return { lang: src.slice(body, nl), text: codeText(src.slice(start, end)), end: end + 3 };
  }
  const start = skipNewlines(body);
  const end = close(start);
  if (end < 0) return undefined;
  return { lang: undefined, text: codeText(src.slice(start, end)), end: end + 3 };
}

function codeText(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === "\n") end--;
  return decodeBackticks(raw.slice(0, end));
}

class BlockReader {
  private readonly ctx: Resolver;

  constructor(ctx: Resolver) {
    this.ctx = ctx;
  }

  blocks(src: string, depth: number, inQuote: boolean): Block[] {
    const lines = new Lines(src);
    const out: Block[] = [];
    while (!lines.done) {
      const line = lines.line();
      if (isBlankLine(line)) {
        lines.next();
        continue;
      }
      const lead = indentOf(line);
      if (line.startsWith("```", lead)) {
        const fence = fenceAt(lines, lines.pos + lead);
        if (fence) {
          out.push(
            fence.lang === undefined
              ? { type: "code_block", text: fence.text }
              : { type: "code_block", lang: fence.lang, text: fence.text },
          );
          // What follows the closing fence on its line starts a new line.
          lines.pos = fence.end;
          continue;
        }
      }
      const nests = depth < MAX_BLOCK_DEPTH;
      if (nests && !inQuote && QUOTE_REST.test(line)) {
        const content = src.slice(lines.pos + (QUOTE_REST.exec(line)?.[0].length ?? 0));
        out.push({ type: "quote", children: this.blocks(content, depth + 1, true) });
        lines.pos = src.length;
        continue;
      }
      if (nests && !inQuote && QUOTE_LINE.test(line)) {
        const inner: string[] = [];
        while (!lines.done && QUOTE_LINE.test(lines.line())) {
          inner.push(lines.line().replace(QUOTE_LINE, ""));
          lines.next();
        }
        out.push({ type: "quote", children: this.blocks(inner.join("\n"), depth + 1, true) });
        continue;
      }
      const h = headingOf(line);
      if (h) {
        out.push({ type: "heading", level: h.level as 1 | 2 | 3, children: this.inline(h.text) });
        lines.next();
        continue;
      }
      const sub = SUBTEXT.exec(line);
      if (sub && !isBlankLine(sub[1] as string)) {
        out.push({ type: "paragraph", children: this.inline(sub[1] as string) });
        lines.next();
        continue;
      }
      const first = nests ? itemStart(line) : undefined;
      if (first) {
        out.push(this.list(lines, first, depth, inQuote));
        continue;
      }
      out.push({ type: "paragraph", children: this.inline(this.paragraph(lines, depth, inQuote)) });
    }
    return out;
  }

  private inline(text: string) {
    return runsToInlines(trimRunLineEdges(readInline(text, this.ctx)));
  }

  /** Lines of a paragraph, up to an empty line or a line that starts another block. */
  private paragraph(lines: Lines, depth: number, inQuote: boolean): string {
    const para: string[] = [lines.line()];
    lines.next();
    while (!lines.done) {
      const line = lines.line();
      if (isBlankLine(line) || this.startsBlock(lines, line, depth, inQuote)) break;
      para.push(line);
      lines.next();
    }
    return para.map(trimBlanks).join("\n");
  }

  private startsBlock(lines: Lines, line: string, depth: number, inQuote: boolean): boolean {
    const lead = indentOf(line);
    if (line.startsWith("```", lead) && fenceAt(lines, lines.pos + lead) !== undefined) return true;
    if (headingOf(line) !== undefined) return true;
    if (SUBTEXT.test(line) && !isBlankLine(line.slice(3))) return true;
    if (depth >= MAX_BLOCK_DEPTH) return false;
    if (!inQuote && (QUOTE_LINE.test(line) || QUOTE_REST.test(line))) return true;
    return itemStart(line) !== undefined;
  }

  /**
   * A list: items of one kind (bullets, or numbers) one after another. An
   * item holds the rest of its marker's line and the lines indented under
   * it; empty lines stay in the item only when an indented line follows.
   */
  private list(lines: Lines, first: ItemStart, depth: number, inQuote: boolean): Block {
    const items: Block[][] = [];
    let start: ItemStart | undefined = first;
    while (start !== undefined) {
      const width = start.width;
      const content = [lines.line().slice(width)];
      lines.next();
      while (!lines.done) {
        const line = lines.line();
        if (!isBlankLine(line)) {
          if (indentOf(line) === 0) break;
          content.push(stripIndent(line, width));
          lines.next();
          continue;
        }
        // Empty lines belong to the item only when an indented line follows them.
        let k = lines.lineEnd() + 1;
        while (k < lines.src.length && isBlankLine(lines.line(k))) k = lines.lineEnd(k) + 1;
        if (k >= lines.src.length || indentOf(lines.line(k)) === 0) break;
        while (lines.pos < k) {
          content.push(stripIndent(lines.line(), width));
          lines.next();
        }
      }
      items.push(this.blocks(content.join("\n"), depth + 1, inQuote));
      const next = lines.done ? undefined : itemStart(lines.line());
      start = next !== undefined && next.ordered === first.ordered ? next : undefined;
    }
    return first.ordered
      ? { type: "list", ordered: true, start: first.number, items }
      : { type: "list", ordered: false, items };
  }
}

/** `line` without up to `width` leading spaces. */
function stripIndent(line: string, width: number): string {
  let i = 0;
  while (i < width && line[i] === " ") i++;
  return line.slice(i);
}
