/**
 * XEP-0393 Message Styling (v1.1): parse a body into blocks (plain lines,
 * preformatted blocks, nested quotations) and spans (strong `*`, emphasis `_`,
 * strike `~`, preformatted `` ` ``), and write them back. The tree is lossless:
 * `serializeStyling(parseStyling(s)) === s` for every string, so a bridge can
 * rewrite styling into another network's markup and back without drift.
 * Also the `<unstyled/>` opt-out hint.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element } from "../xml.ts";

export type StyledSpan =
  | { readonly type: "plain"; readonly text: string }
  | { readonly type: "strong" | "emphasis" | "strike"; readonly children: readonly StyledSpan[] }
  | { readonly type: "pre"; readonly text: string };

export type StyledBlock =
  /** One line outside any preformatted block. */
  | { readonly type: "plain"; readonly spans: readonly StyledSpan[] }
  /** ```` ``` ```` opening line (with its ignored info string), the lines, and whether a closing line ended it. */
  | { readonly type: "pre"; readonly open: string; readonly lines: readonly string[]; readonly closed: boolean }
  /** A quotation: what was trimmed from each line (`>` plus one whitespace, if any) and the child blocks. */
  | { readonly type: "quote"; readonly prefixes: readonly string[]; readonly children: readonly StyledBlock[] };

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0393: the sender asks that the body not be styled. */
    readonly unstyled?: true;
  }
}

export const unstyledCodec: PayloadCodec<true> = {
  names: ["unstyled"],
  ns: NS.styling,
  parse: () => ok(true),
  build: () => element("unstyled", { xmlns: NS.styling }),
};

const SPAN_TYPES: Record<string, "strong" | "emphasis" | "strike" | "pre"> = {
  "*": "strong",
  _: "emphasis",
  "~": "strike",
  "`": "pre",
};
const DIRECTIVE: Record<string, string> = { strong: "*", emphasis: "_", strike: "~", pre: "`" };
const DIRECTIVE_CHARS = ["*", "_", "~", "`"] as const;
const HAS_DIRECTIVE = /[*_~`]/;
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/**
 * How many quotations may nest. A `>` line already inside this many is read
 * as plain text (its markers stay in the text, so the tree is still
 * lossless): a hostile body of thousands of `>` would otherwise cost one
 * stack frame and one copy of the line per marker. No real client nests
 * quotes anywhere near this deep.
 */
export const MAX_STYLING_QUOTE_DEPTH = 32;

/**
 * Work done by one `parseStyling` call, for tests and benchmarks: `steps`
 * grows by one per line handled at each quote level, per character looked at
 * while matching spans, and per character indexed for span matching. It stays
 * within a small multiple of the body length (times the quote depth for
 * lines inside quotations), whatever the body holds.
 */
export interface StylingParseStats {
  steps: number;
}

/**
 * Blocks and spans of a message body. Never throws, and costs time linear in
 * the body's length: quotes nest at most MAX_STYLING_QUOTE_DEPTH deep, and the
 * closing directive of a span comes from tables built once per line instead
 * of a scan per candidate. `stats`, when given, is incremented by the work done.
 */
export function parseStyling(body: string, stats?: StylingParseStats): StyledBlock[] {
  return parseBlocks(body.split("\n"), 0, stats ?? { steps: 0 });
}

function parseBlocks(lines: readonly string[], depth: number, stats: StylingParseStats): StyledBlock[] {
  const blocks: StyledBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    stats.steps++;
    if (depth < MAX_STYLING_QUOTE_DEPTH && line.startsWith(">")) {
      const prefixes: string[] = [];
      const inner: string[] = [];
      while (i < lines.length && (lines[i] as string).startsWith(">")) {
        const l = lines[i] as string;
        const cut = isSpace(l[1]) ? 2 : 1;
        prefixes.push(l.slice(0, cut));
        inner.push(l.slice(cut));
        i++;
      }
      blocks.push({ type: "quote", prefixes, children: parseBlocks(inner, depth + 1, stats) });
    } else if (line.startsWith("```")) {
      const body: string[] = [];
      i++;
      let closed = false;
      while (i < lines.length) {
        const l = lines[i] as string;
        stats.steps++;
        i++;
        if (l === "```") {
          closed = true;
          break;
        }
        body.push(l);
      }
      blocks.push({ type: "pre", open: line, lines: body, closed });
    } else {
      blocks.push({ type: "plain", spans: lineSpans(line, stats) });
      i++;
    }
  }
  return blocks;
}

/** Spans of one line. A line without directives is one plain span (or none when empty). */
function lineSpans(line: string, stats: StylingParseStats): StyledSpan[] {
  if (!HAS_DIRECTIVE.test(line)) return line === "" ? [] : [{ type: "plain", text: line }];
  return new SpanReader(line, stats).spans(0, line.length);
}

/**
 * The span rules of XEP-0393 §6.2 over one line, matched lazily from left to
 * right. A span opened by `c` at `open` closes at the first `c` after it that
 * does not follow white space, provided some non-directive character lies in
 * between. With f the first non-directive index after `open`, that is the
 * first such `c` at an index > f: two lookups in tables built in one pass,
 * where a scan per candidate opener costs quadratic time on `*_*_*_…`.
 *
 * Spans nest at most four deep (strong, emphasis, strike, then pre): a span
 * can hold no span of its own kind, since that span's closer would have closed
 * the outer one first. So the recursion in `spans` is shallow.
 */
class SpanReader {
  private readonly s: string;
  private readonly stats: StylingParseStats;
  /** nextText[i]: the first index >= i whose character is not a directive (or the line length). */
  private readonly nextText: Int32Array;
  /** closers[c][j]: the first index >= j holding `c` right after a non-space character (or the line length). */
  private readonly closers: Record<string, Int32Array> = {};

  constructor(s: string, stats: StylingParseStats) {
    this.s = s;
    this.stats = stats;
    const n = s.length;
    stats.steps += n;
    this.nextText = new Int32Array(n + 1);
    const next: Record<string, number> = {};
    for (const c of DIRECTIVE_CHARS) {
      this.closers[c] = new Int32Array(n + 1);
      next[c] = n;
    }
    let text = n;
    for (let j = n; j >= 0; j--) {
      const ch = s[j];
      if (ch !== undefined && SPAN_TYPES[ch] !== undefined) {
        if (j > 0 && !isSpace(s[j - 1])) next[ch] = j;
      } else if (j < n) {
        text = j;
      }
      this.nextText[j] = text;
      for (const c of DIRECTIVE_CHARS) (this.closers[c] as Int32Array)[j] = next[c] as number;
    }
  }

  /** Spans of `s[start, end)`. */
  spans(start: number, end: number): StyledSpan[] {
    const s = this.s;
    const out: StyledSpan[] = [];
    let plainFrom = start;
    let i = start;
    while (i < end) {
      this.stats.steps++;
      const c = s[i] as string;
      const type = SPAN_TYPES[c];
      if (type !== undefined && this.opensAt(i, start, end)) {
        const close = this.closingFor(c, i, end);
        if (close >= 0) {
          if (i > plainFrom) out.push({ type: "plain", text: s.slice(plainFrom, i) });
          out.push(
            type === "pre"
              ? { type: "pre", text: s.slice(i + 1, close) }
              : { type, children: this.spans(i + 1, close) },
          );
          i = close + 1;
          plainFrom = i;
          continue;
        }
      }
      i++;
    }
    if (end > plainFrom) out.push({ type: "plain", text: s.slice(plainFrom, end) });
    return out;
  }

  private opensAt(i: number, start: number, end: number): boolean {
    const s = this.s;
    if (i + 1 >= end || isSpace(s[i + 1])) return false;
    if (i === start) return true;
    const prev = s[i - 1] as string;
    return isSpace(prev) || (SPAN_TYPES[prev] !== undefined && prev !== s[i]);
  }

  /** The first valid closing directive for `c` opened at `open`, before `end`, or -1. The span must hold some text. */
  private closingFor(c: string, open: number, end: number): number {
    const text = this.nextText[open + 1] as number;
    if (text >= end) return -1;
    const close = (this.closers[c] as Int32Array)[text + 1] as number;
    return close < end ? close : -1;
  }
}

export function serializeStyling(blocks: readonly StyledBlock[]): string {
  return blocks.map(serializeBlock).join("\n");
}

function serializeBlock(b: StyledBlock): string {
  switch (b.type) {
    case "plain":
      return serializeSpans(b.spans);
    case "pre":
      return [b.open, ...b.lines, ...(b.closed ? ["```"] : [])].join("\n");
    case "quote":
      return serializeStyling(b.children)
        .split("\n")
        .map((l, k) => (b.prefixes[k] ?? "> ") + l)
        .join("\n");
  }
}

export function serializeSpans(spans: readonly StyledSpan[]): string {
  let s = "";
  for (const sp of spans) {
    if (sp.type === "plain") s += sp.text;
    else if (sp.type === "pre") s += `\`${sp.text}\``;
    else {
      const d = DIRECTIVE[sp.type] as string;
      s += d + serializeSpans(sp.children) + d;
    }
  }
  return s;
}

/** The text a reader sees: directives and quote markers removed, blocks joined by new lines. */
export function toPlainText(blocks: readonly StyledBlock[]): string {
  return blocks.map(blockText).join("\n");
}

function blockText(b: StyledBlock): string {
  switch (b.type) {
    case "plain":
      return spansText(b.spans);
    case "pre":
      return b.lines.join("\n");
    case "quote":
      return toPlainText(b.children);
  }
}

function spansText(spans: readonly StyledSpan[]): string {
  let s = "";
  for (const sp of spans) s += sp.type === "plain" || sp.type === "pre" ? sp.text : spansText(sp.children);
  return s;
}
