/**
 * The normal form of a document: one spelling for each content, so that
 * documents compare with `deepStrictEqual` and writers only ever see tidy
 * trees. Readers return it; writers start from it.
 *
 * - Inline content is rebuilt from runs (see inline-runs.ts): adjacent texts
 *   merged, empty nodes dropped, same style never nested, styles never start
 *   or end on white space, line breaks never styled, links never nested.
 * - A paragraph is split where a line holds only spaces and tabs (every
 *   syntax here reads that as a paragraph break), so paragraphs never start
 *   or end with a line break; empty paragraphs, headings and quotes go.
 * - Headings are one line without edge spaces; code block languages are one
 *   word without backticks; an ordered list's start is kept only when it is
 *   not 1.
 * - Containers deeper than MAX_BLOCK_DEPTH are flattened into their parent.
 */
import { type Block, type Inline, MAX_BLOCK_DEPTH, type RichText } from "./ast.ts";
import {
  append,
  flattenInlines,
  isBlankRunLine,
  type Run,
  runsToInlines,
  splitLines,
  tidyRuns,
  trimRunLine,
} from "./inline-runs.ts";

export interface NormalizeOptions {
  /**
   * Also drop spaces and tabs at both ends of every paragraph line, as
   * Markdown readers do (Markdown cannot carry them).
   */
  readonly trimLineEdges?: boolean;
}

export function normalizeRichText(doc: RichText, options: NormalizeOptions = {}): RichText {
  const blocks = Array.isArray(doc?.blocks) ? doc.blocks : [];
  return { blocks: normalizeBlocks(blocks, 0, options) };
}

function normalizeBlocks(blocks: readonly Block[], depth: number, o: NormalizeOptions): Block[] {
  const out: Block[] = [];
  for (const b of blocks) {
    switch (b?.type) {
      case "paragraph":
        append(out, paragraphs(b.children, o));
        break;
      case "heading": {
        const h = heading(b.level, b.children);
        if (h) out.push(h);
        break;
      }
      case "code_block":
        out.push(codeBlock(b.text, b.lang));
        break;
      case "quote": {
        if (depth >= MAX_BLOCK_DEPTH) {
          append(out, normalizeBlocks(leafBlocks(b.children), depth, o));
          break;
        }
        const children = normalizeBlocks(Array.isArray(b.children) ? b.children : [], depth + 1, o);
        if (children.length > 0) out.push({ type: "quote", children });
        break;
      }
      case "list": {
        const items = Array.isArray(b.items) ? b.items : [];
        if (depth >= MAX_BLOCK_DEPTH) {
          append(out, normalizeBlocks(leafBlocks(items.flat()), depth, o));
          break;
        }
        const normalized = items.map((item) => normalizeBlocks(Array.isArray(item) ? item : [], depth + 1, o));
        if (normalized.length === 0) break;
        const start = b.ordered ? listStart(b.start, normalized.length) : undefined;
        out.push(
          start === undefined
            ? { type: "list", ordered: b.ordered === true, items: normalized }
            : { type: "list", ordered: true, start, items: normalized },
        );
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** The paragraphs, headings and code blocks inside `blocks` at any depth, in order, without recursion. */
function leafBlocks(blocks: readonly Block[]): Block[] {
  const out: Block[] = [];
  const stack: Array<{ blocks: readonly Block[]; i: number }> = [{ blocks, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { blocks: readonly Block[]; i: number };
    if (top.i >= top.blocks.length) {
      stack.pop();
      continue;
    }
    const b = top.blocks[top.i++] as Block;
    if (b?.type === "quote") stack.push({ blocks: Array.isArray(b.children) ? b.children : [], i: 0 });
    else if (b?.type === "list") stack.push({ blocks: Array.isArray(b.items) ? b.items.flat() : [], i: 0 });
    else if (b !== undefined && b !== null) out.push(b);
  }
  return out;
}

/** Normalized paragraphs of some inline content (none when it shows nothing). */
export function paragraphs(children: readonly Inline[], o: NormalizeOptions = {}): Block[] {
  const lines = splitLines(tidyRuns(flattenInlines(Array.isArray(children) ? children : [])));
  const out: Block[] = [];
  let current: Run[][] = [];
  const flush = () => {
    if (current.length === 0) return;
    const runs: Run[] = [];
    current.forEach((line, k) => {
      if (k > 0) runs.push({ styles: 0, link: undefined, leaf: { type: "linebreak" } });
      append(runs, line);
    });
    out.push({ type: "paragraph", children: runsToInlines(tidyRuns(runs)) });
    current = [];
  };
  for (const raw of lines) {
    const line = o.trimLineEdges ? trimRunLine(raw) : raw;
    if (isBlankRunLine(line)) flush();
    else current.push(line);
  }
  flush();
  return out;
}

function heading(level: number, children: readonly Inline[]): Block | undefined {
  const runs = tidyRuns(flattenInlines(Array.isArray(children) ? children : [])).map(
    (r): Run => (r.leaf.type === "linebreak" ? { ...r, leaf: { type: "text", text: " " } } : r),
  );
  const line = trimRunLine(tidyRuns(runs));
  if (line.length === 0) return undefined;
  const n = Math.trunc(Number(level));
  const lv = (Number.isFinite(n) ? Math.min(6, Math.max(1, n)) : 1) as 1 | 2 | 3 | 4 | 5 | 6;
  return { type: "heading", level: lv, children: runsToInlines(tidyRuns(line)) };
}

/** A code block's language: its first word, without backticks (no syntax here can carry more). */
export function codeLang(lang: string | undefined): string | undefined {
  if (typeof lang !== "string") return undefined;
  const word = lang.trim().split(/\s+/)[0] ?? "";
  return word === "" || word.includes("`") ? undefined : word;
}

function codeBlock(text: string, lang: string | undefined): Block {
  const l = codeLang(lang);
  const t = String(text ?? "").replace(/\r\n?/g, "\n");
  return l === undefined ? { type: "code_block", text: t } : { type: "code_block", lang: l, text: t };
}

/** Ordered lists count from 0 to 999,999,999 (nine digits, as CommonMark allows); 1 is the default and not kept. */
function listStart(start: number | undefined, items: number): number | undefined {
  if (start === undefined || !Number.isFinite(start)) return undefined;
  const s = Math.min(Math.max(0, Math.trunc(start)), 999_999_999 - (items - 1));
  return s === 1 ? undefined : s;
}
