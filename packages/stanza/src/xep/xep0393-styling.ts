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
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

export function parseStyling(body: string): StyledBlock[] {
  return parseBlocks(body.split("\n"));
}

function parseBlocks(lines: readonly string[]): StyledBlock[] {
  const blocks: StyledBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.startsWith(">")) {
      const prefixes: string[] = [];
      const inner: string[] = [];
      while (i < lines.length && (lines[i] as string).startsWith(">")) {
        const l = lines[i] as string;
        const cut = isSpace(l[1]) ? 2 : 1;
        prefixes.push(l.slice(0, cut));
        inner.push(l.slice(cut));
        i++;
      }
      blocks.push({ type: "quote", prefixes, children: parseBlocks(inner) });
    } else if (line.startsWith("```")) {
      const body: string[] = [];
      i++;
      let closed = false;
      while (i < lines.length) {
        const l = lines[i] as string;
        i++;
        if (l === "```") {
          closed = true;
          break;
        }
        body.push(l);
      }
      blocks.push({ type: "pre", open: line, lines: body, closed });
    } else {
      blocks.push({ type: "plain", spans: parseSpans(line, 0, line.length) });
      i++;
    }
  }
  return blocks;
}

/** Spans of `s[start, end)`, matched lazily from left to right. */
function parseSpans(s: string, start: number, end: number): StyledSpan[] {
  const out: StyledSpan[] = [];
  let plainFrom = start;
  let i = start;
  while (i < end) {
    const c = s[i] as string;
    const type = SPAN_TYPES[c];
    if (type !== undefined && opensAt(s, i, start, end)) {
      const close = closingFor(s, c, i, end);
      if (close >= 0) {
        if (i > plainFrom) out.push({ type: "plain", text: s.slice(plainFrom, i) });
        out.push(
          type === "pre"
            ? { type: "pre", text: s.slice(i + 1, close) }
            : { type, children: parseSpans(s, i + 1, close) },
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

function opensAt(s: string, i: number, start: number, end: number): boolean {
  if (i + 1 >= end || isSpace(s[i + 1])) return false;
  if (i === start) return true;
  const prev = s[i - 1] as string;
  return isSpace(prev) || (SPAN_TYPES[prev] !== undefined && prev !== s[i]);
}

/** The first valid closing directive for `c` opened at `open`, or -1. The span must hold some text. */
function closingFor(s: string, c: string, open: number, end: number): number {
  for (let j = open + 2; j < end; j++) {
    if (s[j] !== c || isSpace(s[j - 1])) continue;
    const inner = s.slice(open + 1, j);
    if (/[^*_~`]/.test(inner)) return j;
  }
  return -1;
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
