/**
 * XEP-0393 block and span parsing that reports where everything is in the
 * body (UTF-16 offsets), which XEP-0372 mention references need.
 *
 * It follows the same rules as `parseStyling` in @parley/stanza (and is
 * tested against it), but answers for hostile bodies: the closing directive
 * for a span is found with precomputed tables instead of a scan per
 * candidate, so a line costs linear time (the scan costs seconds on a few
 * kilobytes of `*_*_`), and quotes nest at most MAX_BLOCK_DEPTH deep
 * (deeper `>` are text) instead of one stack frame per level.
 */
import { MAX_BLOCK_DEPTH } from "./ast.ts";
import { isSpaceCode } from "./text-chars.ts";

export type SpanAt =
  | { readonly type: "plain"; readonly start: number; readonly end: number }
  | { readonly type: "strong" | "emphasis" | "strike"; readonly children: SpanAt[] }
  | { readonly type: "pre"; readonly start: number; readonly end: number };

export interface LineAt {
  readonly start: number;
  readonly end: number;
}

export type BlockAt =
  /** One line outside any preformatted block, with its spans. */
  | { readonly type: "line"; readonly start: number; readonly end: number; readonly spans: SpanAt[] }
  /** A preformatted block: the info string after ```` ``` ```` and its lines (offsets into the body). */
  | { readonly type: "pre"; readonly info: string; readonly lines: LineAt[]; readonly closed: boolean }
  | { readonly type: "quote"; readonly children: BlockAt[] };

const STAR = 0x2a;
const UNDERSCORE = 0x5f;
const TILDE = 0x7e;
const BACKTICK = 0x60;
const GT = 0x3e;
const DIRECTIVES = [STAR, UNDERSCORE, TILDE, BACKTICK] as const;
const SPAN_TYPE = new Map<number, "strong" | "emphasis" | "strike" | "pre">([
  [STAR, "strong"],
  [UNDERSCORE, "emphasis"],
  [TILDE, "strike"],
  [BACKTICK, "pre"],
]);

const isDirective = (c: number) => c === STAR || c === UNDERSCORE || c === TILDE || c === BACKTICK;

export function parseStylingAt(body: string, maxDepth = MAX_BLOCK_DEPTH): BlockAt[] {
  return new StylingParser(body, maxDepth).parse();
}

class StylingParser {
  private readonly s: string;
  private readonly maxDepth: number;
  /** nextNonDirective[i]: the first index >= i holding no directive character. */
  private readonly nextNonDirective: Int32Array;
  /** closers.get(c)[i]: the first j >= i with s[j] === c not preceded by white space. */
  private readonly closers = new Map<number, Int32Array>();

  constructor(body: string, maxDepth: number) {
    this.s = body;
    this.maxDepth = maxDepth;
    const n = body.length;
    this.nextNonDirective = new Int32Array(n + 1);
    this.nextNonDirective[n] = n;
    for (let i = n - 1; i >= 0; i--) {
      this.nextNonDirective[i] = isDirective(body.charCodeAt(i)) ? (this.nextNonDirective[i + 1] as number) : i;
    }
    for (const c of DIRECTIVES) {
      const t = new Int32Array(n + 1);
      t[n] = n;
      for (let j = n - 1; j >= 0; j--) {
        const candidate = body.charCodeAt(j) === c && j > 0 && !isSpaceCode(body.charCodeAt(j - 1));
        t[j] = candidate ? j : (t[j + 1] as number);
      }
      this.closers.set(c, t);
    }
  }

  parse(): BlockAt[] {
    const lines: LineAt[] = [];
    let start = 0;
    for (;;) {
      const nl = this.s.indexOf("\n", start);
      if (nl < 0) {
        lines.push({ start, end: this.s.length });
        break;
      }
      lines.push({ start, end: nl });
      start = nl + 1;
    }
    return this.blocks(lines, 0);
  }

  private startsWithFence(l: LineAt): boolean {
    return l.end - l.start >= 3 && this.s.startsWith("```", l.start);
  }

  private blocks(lines: readonly LineAt[], depth: number): BlockAt[] {
    const s = this.s;
    const out: BlockAt[] = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i] as LineAt;
      if (depth < this.maxDepth && line.end > line.start && s.charCodeAt(line.start) === GT) {
        const inner: LineAt[] = [];
        while (i < lines.length) {
          const l = lines[i] as LineAt;
          if (!(l.end > l.start && s.charCodeAt(l.start) === GT)) break;
          const cut = l.start + 1 < l.end && isSpaceCode(s.charCodeAt(l.start + 1)) ? 2 : 1;
          inner.push({ start: l.start + cut, end: l.end });
          i++;
        }
        out.push({ type: "quote", children: this.blocks(inner, depth + 1) });
      } else if (this.startsWithFence(line)) {
        const body: LineAt[] = [];
        let closed = false;
        i++;
        while (i < lines.length) {
          const l = lines[i] as LineAt;
          i++;
          if (l.end - l.start === 3 && s.startsWith("```", l.start)) {
            closed = true;
            break;
          }
          body.push(l);
        }
        out.push({ type: "pre", info: s.slice(line.start + 3, line.end), lines: body, closed });
      } else {
        out.push({ type: "line", start: line.start, end: line.end, spans: this.spans(line.start, line.end) });
        i++;
      }
    }
    return out;
  }

  /** Spans of `s[start, end)`, matched lazily from left to right. */
  private spans(start: number, end: number): SpanAt[] {
    const s = this.s;
    const out: SpanAt[] = [];
    let plainFrom = start;
    let i = start;
    while (i < end) {
      const c = s.charCodeAt(i);
      const type = SPAN_TYPE.get(c);
      if (type !== undefined && this.opensAt(c, i, start, end)) {
        const close = this.closingFor(c, i, end);
        if (close >= 0) {
          if (i > plainFrom) out.push({ type: "plain", start: plainFrom, end: i });
          out.push(
            type === "pre" ? { type: "pre", start: i + 1, end: close } : { type, children: this.spans(i + 1, close) },
          );
          i = close + 1;
          plainFrom = i;
          continue;
        }
      }
      i++;
    }
    if (end > plainFrom) out.push({ type: "plain", start: plainFrom, end });
    return out;
  }

  private opensAt(c: number, i: number, start: number, end: number): boolean {
    const s = this.s;
    if (i + 1 >= end || isSpaceCode(s.charCodeAt(i + 1))) return false;
    if (i === start) return true;
    const prev = s.charCodeAt(i - 1);
    return isSpaceCode(prev) || (isDirective(prev) && prev !== c);
  }

  /** The first valid closing directive for `c` opened at `open`: after some non-directive text, not after a space. */
  private closingFor(c: number, open: number, end: number): number {
    const f = this.nextNonDirective[open + 1] as number;
    if (f >= end) return -1;
    const j = (this.closers.get(c) as Int32Array)[f + 1] as number;
    return j < end ? j : -1;
  }
}
