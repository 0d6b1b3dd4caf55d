/**
 * Discord's inline markdown to runs.
 *
 * `**bold**`, `*italic*` and `_italic_`, `__underline__`, `~~strike~~`,
 * `||spoiler||`, `` `code` `` and ``` ``co`de`` ```, `[text](https://url)`,
 * `<https://url>` and bare http(s) URLs, backslash escapes, `<@id>` /
 * `<@!id>` / `<@&id>` / `<#id>` mentions, `@everyone` and `@here`,
 * `<:name:id>` custom emoji, `<t:seconds:style>` timestamps.
 *
 * Discord's own client matches these with regular expressions, leftmost
 * first; here the pairing follows CommonMark's delimiter-run algorithm
 * instead, which reads ordinary messages the same way but never
 * backtracks, so hostile input costs linear time and no recursion. The
 * rules a reader of Discord would expect:
 * - a delimiter opens when a non-space follows it and closes when a
 *   non-space precedes it; a single `_` touching a letter or digit is text
 *   (snake_case), a single `~` or `|` always is;
 * - code spans, escapes, mentions and URLs are read first and are atomic;
 * - a backslash escapes any character but an ASCII letter, digit or space;
 * - the shrug `¯\_(ツ)_/¯` keeps its backslash, as Discord shows it.
 */
import { angleToken, everyoneAt } from "./angle-tokens.ts";
import { charAt, charBefore, isEscapable, isSpace, isWordChar } from "./chars.ts";
import { decodeBackticks } from "./code-text.ts";
import type { Resolver } from "./context.ts";
import type { Leaf, LinkSpan, Run } from "./runs.ts";
import { STYLE_BIT } from "./runs.ts";
import { bareUrlEnd, isLinkable } from "./urls.ts";

/** Longest link destination read, and deepest parentheses in it: bounded so `[a](` repeated stays linear. */
const MAX_URL = 4096;
const MAX_PARENS = 32;

const SHRUG = "¯\\_(ツ)_/¯";

interface Delim {
  readonly tok: number;
  readonly ch: string;
  /** Characters not yet used by a match. */
  n: number;
  /** Length of the run as written (CommonMark's "rule of 3" looks at it). */
  readonly orig: number;
  readonly canOpen: boolean;
  readonly canClose: boolean;
  prev: Delim | undefined;
  next: Delim | undefined;
}

type Tok =
  | { readonly k: "text"; readonly s: string }
  | { readonly k: "leaf"; readonly leaf: Leaf }
  | { readonly k: "delim"; readonly d: Delim }
  | { k: "bracket"; used: boolean };

interface Bracket {
  readonly tok: number;
  /** The last delimiter before the bracket: emphasis inside the link text stops there. */
  readonly delimBottom: Delim | undefined;
}

interface Span {
  readonly from: number;
  readonly to: number;
  readonly bit: number;
}

interface LinkInterval {
  readonly from: number;
  readonly to: number;
  readonly link: LinkSpan;
}

/** Runs of one paragraph's (or heading's) inline markdown; newlines are line breaks. */
export function readInline(src: string, ctx: Resolver): Run[] {
  return new InlineReader(src, ctx).read();
}

/** Delimiters that pair two characters at a time and never nest by count. */
const pairOnly = (ch: string) => ch === "~" || ch === "|";

class InlineReader {
  private readonly src: string;
  private readonly ctx: Resolver;
  private readonly toks: Tok[] = [];
  private head: Delim | undefined;
  private tail: Delim | undefined;
  private readonly brackets: Bracket[] = [];
  /** Brackets below this index were open when a link closed: they can no longer make one. */
  private inactiveBelow = 0;
  private readonly spans: Span[] = [];
  private readonly links: LinkInterval[] = [];
  /** Starts of maximal backtick runs, by length, ascending; built at the first backtick. */
  private backtickRuns: Map<number, number[]> | undefined;
  /** Start of the text not yet turned into a token. */
  private textFrom = 0;

  constructor(src: string, ctx: Resolver) {
    this.src = src;
    this.ctx = ctx;
  }

  read(): Run[] {
    const src = this.src;
    let i = 0;
    while (i < src.length) {
      const ch = src[i] as string;
      switch (ch) {
        case "\\": {
          const next = charAt(src, i + 1);
          if (isEscapable(next)) {
            this.flush(i);
            this.textFrom = i + 1; // the escaped character is text
            i += 1 + (next as string).length;
          } else i++;
          break;
        }
        case "`":
          i = this.codeSpan(i);
          break;
        case "<":
          i = this.leafOr(i, angleToken(src, i, this.ctx));
          break;
        case "@":
          i = this.leafOr(i, everyoneAt(src, i));
          break;
        case "[":
          this.flush(i);
          this.brackets.push({ tok: this.toks.length, delimBottom: this.tail });
          this.toks.push({ k: "bracket", used: false });
          i++;
          this.textFrom = i;
          break;
        case "]":
          i = this.closeBracket(i);
          break;
        case "*":
        case "_":
        case "~":
        case "|":
          i = this.delimiterRun(i, ch);
          break;
        case "\n":
          this.flush(i);
          this.toks.push({ k: "leaf", leaf: { type: "linebreak" } });
          i++;
          this.textFrom = i;
          break;
        case "¯":
          if (src.startsWith(SHRUG, i)) {
            this.flush(i);
            this.toks.push({ k: "text", s: SHRUG });
            i += SHRUG.length;
            this.textFrom = i;
          } else i++;
          break;
        case "h":
        case "H": {
          const end = bareUrlEnd(src, i);
          i = this.leafOr(i, end > i ? { leaf: { type: "autolink", url: src.slice(i, end) }, end } : undefined);
          break;
        }
        default:
          i++;
      }
    }
    this.flush(src.length);
    this.processEmphasis(undefined);
    return this.runs();
  }

  private flush(to: number): void {
    if (to > this.textFrom) this.toks.push({ k: "text", s: this.src.slice(this.textFrom, to) });
    this.textFrom = to;
  }

  /** Pushes `found` as a leaf and returns where reading goes on, or steps over the character at `i`. */
  private leafOr(i: number, found: { leaf: Leaf; end: number } | undefined): number {
    if (found === undefined) return i + 1;
    this.flush(i);
    this.toks.push({ k: "leaf", leaf: found.leaf });
    this.textFrom = found.end;
    return found.end;
  }

  /**
   * A code span opened by the backtick run at `i`: it closes at the next
   * run of exactly as many backticks. Inside, backslashes are text; one
   * space next to a backtick at either end is padding (Discord's rule),
   * and zero-width spaces the writer put between backticks come out.
   */
  private codeSpan(i: number): number {
    const src = this.src;
    let j = i;
    while (src[j] === "`") j++;
    const close = this.findBacktickRun(j - i, j);
    if (close < 0) return j; // the backticks stay text
    this.flush(i);
    let text = src.slice(j, close);
    if (/^ +`/.test(text)) text = text.slice(1);
    if (text.endsWith(" ") && /` *$/.test(text.slice(0, -1))) text = text.slice(0, -1);
    this.toks.push({ k: "leaf", leaf: { type: "code", text: decodeBackticks(text).replace(/\n/g, " ") } });
    this.textFrom = close + (j - i);
    return this.textFrom;
  }

  private findBacktickRun(len: number, from: number): number {
    if (this.backtickRuns === undefined) {
      const runs = new Map<number, number[]>();
      const src = this.src;
      let k = src.indexOf("`");
      while (k >= 0) {
        let e = k;
        while (src[e] === "`") e++;
        const list = runs.get(e - k);
        if (list) list.push(k);
        else runs.set(e - k, [k]);
        k = src.indexOf("`", e);
      }
      this.backtickRuns = runs;
    }
    const list = this.backtickRuns.get(len);
    if (list === undefined) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? (list[lo] as number) : -1;
  }

  private delimiterRun(i: number, ch: string): number {
    const src = this.src;
    let j = i;
    while (src[j] === ch) j++;
    const len = j - i;
    if (pairOnly(ch) && len < 2) return j; // stays text
    const prev = charBefore(src, i);
    const next = charAt(src, j);
    const leftFlanking = next !== undefined && !isSpace(next);
    const rightFlanking = prev !== undefined && !isSpace(prev);
    const snake = ch === "_" && len === 1;
    const canOpen = leftFlanking && !(snake && isWordChar(prev));
    const canClose = rightFlanking && !(snake && isWordChar(next));
    if (!canOpen && !canClose) return j; // text, joined to the text around it
    this.flush(i);
    const d: Delim = {
      tok: this.toks.length,
      ch,
      n: len,
      orig: len,
      canOpen,
      canClose,
      prev: this.tail,
      next: undefined,
    };
    if (this.tail) this.tail.next = d;
    else this.head = d;
    this.tail = d;
    this.toks.push({ k: "delim", d });
    this.textFrom = j;
    return j;
  }

  /** `](url)` closing the innermost `[`, or a `]` that is text. */
  private closeBracket(i: number): number {
    const opener = this.brackets.pop();
    const active = this.brackets.length >= this.inactiveBelow;
    this.inactiveBelow = Math.min(this.inactiveBelow, this.brackets.length);
    if (opener === undefined || !active) return i + 1;
    const dest = this.destination(i + 1);
    if (dest === undefined) return i + 1;
    this.flush(i);
    if (opener.tok + 1 === this.toks.length) return i + 1; // `[](url)` shows nothing to click: text
    const tok = this.toks[opener.tok];
    if (tok?.k === "bracket") tok.used = true;
    this.links.push({ from: opener.tok + 1, to: this.toks.length, link: { url: dest.url } });
    this.processEmphasis(opener.delimBottom);
    // No links inside links: the brackets still open can no longer make one.
    this.inactiveBelow = this.brackets.length;
    this.textFrom = dest.end;
    return dest.end;
  }

  /**
   * `(url)` or `(<url>)` at `p`, spaces allowed inside the parentheses,
   * backslash escapes taken out of the URL. Only http(s) URLs make a link
   * in Discord.
   */
  private destination(p: number): { url: string; end: number } | undefined {
    const src = this.src;
    if (src[p] !== "(") return undefined;
    let q = p + 1;
    while (src[q] === " " || src[q] === "\t") q++;
    let raw: string;
    if (src[q] === "<") {
      let k = q + 1;
      while (k < src.length && k - q <= MAX_URL) {
        const ch = src[k] as string;
        if (ch === "\\" && isEscapable(src[k + 1])) {
          k += 2;
          continue;
        }
        if (ch === ">") break;
        if (ch === "<" || ch === "\n") return undefined;
        k++;
      }
      if (src[k] !== ">") return undefined;
      raw = src.slice(q + 1, k);
      q = k + 1;
    } else {
      let k = q;
      let depth = 0;
      while (k < src.length) {
        if (k - q > MAX_URL) return undefined;
        const ch = src[k] as string;
        if (ch.charCodeAt(0) <= 0x20 || ch === "\x7f") break;
        if (ch === "\\" && isEscapable(src[k + 1])) {
          k += 2;
          continue;
        }
        if (ch === "(") {
          if (++depth > MAX_PARENS) return undefined;
        } else if (ch === ")") {
          if (depth === 0) break;
          depth--;
        }
        k++;
      }
      if (depth !== 0) return undefined;
      raw = src.slice(q, k);
      q = k;
    }
    while (src[q] === " " || src[q] === "\t") q++;
    if (src[q] !== ")") return undefined;
    const url = withoutEscapes(raw);
    return isLinkable(url) ? { url, end: q + 1 } : undefined;
  }

  private remove(d: Delim): void {
    if (d.prev) d.prev.next = d.next;
    else if (this.head === d) this.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else if (this.tail === d) this.tail = d.prev;
    d.prev = undefined;
    d.next = undefined;
  }

  /**
   * CommonMark's "process emphasis" over the delimiters after `bottom`,
   * which are all gone from the list afterwards. `openersBottom` remembers,
   * per kind of closer, below which point a search already failed, which
   * keeps the whole pass linear.
   */
  private processEmphasis(bottom: Delim | undefined): void {
    const openersBottom = new Map<string, Delim | undefined>();
    let closer = bottom ? bottom.next : this.head;
    while (closer) {
      const usable = closer.canClose && (!pairOnly(closer.ch) || closer.n >= 2);
      if (!usable) {
        closer = closer.next;
        continue;
      }
      const key = pairOnly(closer.ch) ? closer.ch : `${closer.ch}${closer.canOpen ? 1 : 0}${closer.orig % 3}`;
      const floor = openersBottom.has(key) ? openersBottom.get(key) : bottom;
      let opener = closer.prev;
      let found: Delim | undefined;
      while (opener !== undefined && opener !== bottom && opener !== floor) {
        if (opener.ch === closer.ch && opener.canOpen && compatible(opener, closer)) {
          found = opener;
          break;
        }
        opener = opener.prev;
      }
      if (found === undefined) {
        openersBottom.set(key, closer.prev);
        const next: Delim | undefined = closer.next;
        if (!closer.canOpen) this.remove(closer);
        closer = next;
        continue;
      }
      const use = pairOnly(closer.ch) || (found.n >= 2 && closer.n >= 2) ? 2 : 1;
      found.n -= use;
      closer.n -= use;
      this.spans.push({ from: found.tok + 1, to: closer.tok, bit: styleBit(closer.ch, use) });
      let x = found.next;
      while (x !== undefined && x !== closer) {
        const nx: Delim | undefined = x.next;
        this.remove(x);
        x = nx;
      }
      if (found.n === 0 || (pairOnly(found.ch) && found.n < 2)) this.remove(found);
      if (closer.n === 0 || (pairOnly(closer.ch) && closer.n < 2)) {
        const next: Delim | undefined = closer.next;
        this.remove(closer);
        closer = next;
      }
    }
    let x = bottom ? bottom.next : this.head;
    while (x !== undefined) {
      const nx: Delim | undefined = x.next;
      this.remove(x);
      x = nx;
    }
  }

  /** Tokens to runs: one sweep over the style and link intervals. */
  private runs(): Run[] {
    const starts = new Map<number, Span[]>();
    const ends = new Map<number, Span[]>();
    const add = (m: Map<number, Span[]>, k: number, s: Span) => {
      const list = m.get(k);
      if (list) list.push(s);
      else m.set(k, [s]);
    };
    for (const s of this.spans) {
      if (s.from >= s.to) continue;
      add(starts, s.from, s);
      add(ends, s.to, s);
    }
    const linkStart = new Map<number, LinkInterval>();
    const linkEnd = new Set<number>();
    for (const l of this.links) {
      if (l.from >= l.to) continue;
      linkStart.set(l.from, l);
      linkEnd.add(l.to);
    }
    const counts = new Map<number, number>();
    const bump = (bit: number, delta: number) => {
      const n = (counts.get(bit) ?? 0) + delta;
      counts.set(bit, n);
      styles = n > 0 ? styles | bit : styles & ~bit;
    };
    let styles = 0;
    let link: LinkSpan | undefined;
    const out: Run[] = [];
    this.toks.forEach((t, k) => {
      for (const s of ends.get(k) ?? []) bump(s.bit, -1);
      for (const s of starts.get(k) ?? []) bump(s.bit, 1);
      if (linkEnd.has(k)) link = undefined;
      const l = linkStart.get(k);
      if (l) link = l.link;
      const push = (leaf: Leaf) => out.push({ styles, link, leaf });
      switch (t.k) {
        case "text":
          push({ type: "text", text: t.s });
          break;
        case "leaf":
          push(t.leaf);
          break;
        case "delim":
          if (t.d.n > 0) push({ type: "text", text: t.d.ch.repeat(t.d.n) });
          break;
        case "bracket":
          if (!t.used) push({ type: "text", text: "[" });
          break;
      }
    });
    return out;
  }
}

function compatible(o: Delim, c: Delim): boolean {
  if (pairOnly(o.ch)) return o.n >= 2 && c.n >= 2;
  const sum = o.orig + c.orig;
  return !((o.canClose || c.canOpen) && sum % 3 === 0 && !(o.orig % 3 === 0 && c.orig % 3 === 0));
}

function styleBit(ch: string, use: number): number {
  if (ch === "~") return STYLE_BIT.strike;
  if (ch === "|") return STYLE_BIT.spoiler;
  if (use === 1) return STYLE_BIT.italic;
  return ch === "*" ? STYLE_BIT.bold : STYLE_BIT.underline;
}

/** A URL with its backslash escapes taken out. */
function withoutEscapes(raw: string): string {
  if (!raw.includes("\\")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const next = charAt(raw, i + 1);
    if (raw[i] === "\\" && isEscapable(next)) {
      out += next;
      i += (next as string).length;
    } else out += raw[i];
  }
  return out;
}
