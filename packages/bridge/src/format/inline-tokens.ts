/**
 * The pairing half of a CommonMark-style inline reader, shared by every
 * Markdown-like dialect (the generic chat Markdown here, Discord's in
 * @parley/discord): a flat token list, delimiter runs paired by CommonMark's
 * "process emphasis" (with its rule of 3), `[text](url)` by a bracket stack,
 * and one sweep that turns the matches, kept as intervals over the tokens,
 * into runs. `readInlineRuns` is the whole reader: it reads the constructs
 * every dialect has and hands the rest to the dialect (its escapes, code
 * span padding, `<...>` tokens, URLs). The walk and the pairing live here
 * once, so neither the work nor the result depends on how deeply the input
 * nests, and hostile input costs linear time.
 *
 * Rules every dialect here shares: a delimiter opens when a non-space
 * follows it and closes when a non-space precedes it (no punctuation rules),
 * except that a single `_` next to a letter or digit is text (snake_case);
 * `~` and `|` pair two at a time (`~~strike~~`, `||spoiler||`) and alone are
 * text; `**` is bold, `__` underline, one `*` or `_` italic; no link inside a
 * link.
 */
import { type Leaf, type LinkSpan, newLink, type Run, STYLE_BIT } from "./inline-runs.ts";
import { characterAt, characterBefore, isSpaceChar, isWordChar } from "./text-chars.ts";

/**
 * What makes a dialect: its own constructs, and where its pairing parts
 * ways with the others (each choice is one reader's long-standing
 * behaviour).
 */
export interface InlineDialect {
  /**
   * Whether the characters around a delimiter run are whole code points
   * (so an astral letter before a `_` makes it intraword) rather than
   * single UTF-16 units.
   */
  readonly codePoints: boolean;
  /**
   * Whether a `~~~` or `|||` run that gave two characters to a match stops
   * being a delimiter at once (Discord). Otherwise the character left over
   * stays in the list, as CommonMark keeps a partly used run: it can pair
   * with nothing, and like any closer that found no opener it bounds later
   * searches for openers of its kind.
   */
  readonly retireSpentPairs: boolean;
  /** Whether `[](url)`, a link that shows nothing, stays text (Discord) rather than vanishing. */
  readonly linkNeedsText: boolean;
  /** The characters that may start one of the dialect's own constructs: `read` is called at each. */
  readonly triggers: string;
  /**
   * Reads what starts at `i` (one of `triggers`): an escape, a `<...>`
   * token, a bare URL... through `tokens.skip` and `tokens.leaf`. Returns
   * where reading goes on: `i + 1` when the character is just text.
   */
  read(src: string, i: number, tokens: InlineTokenSink): number;
  /** A code span's content, from what lies between its backtick fences (padding, newlines...). */
  codeText(raw: string): string;
  /**
   * The link destination right after a `]`, at `p` (see `linkDestination`),
   * or undefined when there is none and the brackets are text.
   */
  linkTarget(src: string, p: number): LinkTarget | undefined;
}

/** What a dialect's `read` hands its findings to. */
export interface InlineTokenSink {
  /** Ends the text at `to` and goes on at `from`: what lies between (an escape's backslash) is dropped. */
  skip(to: number, from: number): void;
  /** A leaf read from `at` to `end` (a mention, a URL...); returns `end`, where reading goes on. */
  leaf(at: number, leaf: Leaf, end: number): number;
}

/** What a `](...)` after link text points to, and where it ends. */
export interface LinkTarget {
  /** "" for a link without a target: its text stays, unlinked. */
  readonly url: string;
  readonly end: number;
}

/** Longest link destination read, so a hostile `[a](` repeated costs linear time. */
const MAX_URL = 4096;
/** Deepest parentheses in a link destination. */
const MAX_PARENS = 32;

interface Delim {
  readonly tok: number;
  readonly ch: string;
  /** Characters not yet used by a match. */
  n: number;
  /** Length of the run as written (the rule of 3 looks at it). */
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
  | { readonly k: "bracket"; used: boolean };

interface Bracket {
  readonly tok: number;
  /** The last delimiter before the bracket: emphasis inside the link text stops there. */
  readonly delimBottom: Delim | undefined;
}

interface StyleSpan {
  readonly from: number;
  readonly to: number;
  readonly bit: number;
}

interface LinkInterval {
  readonly from: number;
  readonly to: number;
  readonly link: LinkSpan;
}

/** Delimiters that pair two characters at a time and never nest by count. */
const pairOnly = (ch: string) => ch === "~" || ch === "|";

/**
 * Runs of one paragraph's (or heading's) inline source in `dialect`;
 * newlines are line breaks. The runs are as read, not tidied: the dialect
 * decides what else it does with them.
 */
export function readInlineRuns(src: string, dialect: InlineDialect): Run[] {
  return new InlineTokens(src, dialect).read();
}

/** The tokens of one inline source as it is read; text between constructs is collected on its own. */
class InlineTokens implements InlineTokenSink {
  private readonly src: string;
  private readonly dialect: InlineDialect;
  private readonly toks: Tok[] = [];
  private head: Delim | undefined;
  private tail: Delim | undefined;
  private readonly brackets: Bracket[] = [];
  /** Brackets below this index were open when a link closed: they can no longer make one. */
  private inactiveBelow = 0;
  private readonly spans: StyleSpan[] = [];
  private readonly links: LinkInterval[] = [];
  /** Starts of maximal backtick runs, by length, ascending; built at the first code span. */
  private backtickRuns: Map<number, number[]> | undefined;
  /** Start of the text not yet turned into a token. */
  private textFrom = 0;

  constructor(src: string, dialect: InlineDialect) {
    this.src = src;
    this.dialect = dialect;
  }

  /** Reads the whole source. Call once. */
  read(): Run[] {
    const { src, dialect } = this;
    let i = 0;
    while (i < src.length) {
      const ch = src[i] as string;
      switch (ch) {
        case "`":
          i = this.codeSpan(i);
          break;
        case "[":
          i = this.openBracket(i);
          break;
        case "]":
          i = this.closeBracket(i);
          break;
        case "*":
        case "_":
        case "~":
        case "|":
          i = this.delimiterRun(i);
          break;
        case "\n":
          i = this.leaf(i, { type: "linebreak" }, i + 1);
          break;
        default: {
          // Always a step forward, whatever the dialect answers.
          const next = dialect.triggers.includes(ch) ? dialect.read(src, i, this) : i + 1;
          i = next > i ? next : i + 1;
        }
      }
    }
    this.flush(src.length);
    this.processEmphasis(undefined);
    return this.runs();
  }

  skip(to: number, from: number): void {
    this.flush(to);
    this.textFrom = from;
  }

  leaf(at: number, leaf: Leaf, end: number): number {
    this.flush(at);
    this.toks.push({ k: "leaf", leaf });
    this.textFrom = end;
    return end;
  }

  /** The `[` at `at`, which a later `](url)` may make the start of a link; returns `at + 1`. */
  private openBracket(at: number): number {
    this.flush(at);
    this.brackets.push({ tok: this.toks.length, delimBottom: this.tail });
    this.toks.push({ k: "bracket", used: false });
    this.textFrom = at + 1;
    return at + 1;
  }

  /**
   * The `]` at `at`: it closes the innermost open `[` into a link when the
   * dialect finds a destination right after it, else it is text. Returns
   * where reading goes on.
   */
  private closeBracket(at: number): number {
    const opener = this.brackets.pop();
    const active = this.brackets.length >= this.inactiveBelow;
    this.inactiveBelow = Math.min(this.inactiveBelow, this.brackets.length);
    if (opener === undefined || !active) return at + 1;
    const dest = this.dialect.linkTarget(this.src, at + 1);
    if (dest === undefined) return at + 1;
    this.flush(at);
    if (this.dialect.linkNeedsText && opener.tok + 1 === this.toks.length) return at + 1;
    const tok = this.toks[opener.tok];
    if (tok?.k === "bracket") tok.used = true;
    if (dest.url !== "") this.links.push({ from: opener.tok + 1, to: this.toks.length, link: newLink(dest.url) });
    this.processEmphasis(opener.delimBottom);
    // No links inside links: the brackets still open can no longer make one.
    this.inactiveBelow = this.brackets.length;
    this.textFrom = dest.end;
    return dest.end;
  }

  /**
   * The code span opened by the backtick run at `at`: it closes at the next
   * run of exactly as many backticks, else the backticks are text. Returns
   * where reading goes on.
   */
  private codeSpan(at: number): number {
    const src = this.src;
    let j = at;
    while (src[j] === "`") j++;
    const close = this.backtickRunAt(j - at, j);
    if (close < 0) return j;
    return this.leaf(at, { type: "code", text: this.dialect.codeText(src.slice(j, close)) }, close + (j - at));
  }

  /** The run of `*`, `_`, `~` or `|` at `at`; returns its end. */
  private delimiterRun(at: number): number {
    const src = this.src;
    const ch = src[at] as string;
    let j = at;
    while (src[j] === ch) j++;
    const len = j - at;
    if (pairOnly(ch) && len < 2) return j; // text
    const cp = this.dialect.codePoints;
    const prev = cp ? characterBefore(src, at) : src[at - 1];
    const next = cp ? characterAt(src, j) : src[j];
    const leftFlanking = next !== undefined && !isSpaceChar(next);
    const rightFlanking = prev !== undefined && !isSpaceChar(prev);
    const snake = ch === "_" && len === 1;
    const canOpen = leftFlanking && !(snake && isWordChar(prev));
    const canClose = rightFlanking && !(snake && isWordChar(next));
    if (!canOpen && !canClose) return j; // text, joined to the text around it
    this.flush(at);
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

  private flush(to: number): void {
    if (to > this.textFrom) this.toks.push({ k: "text", s: this.src.slice(this.textFrom, to) });
    this.textFrom = to;
  }

  /** The first run of exactly `len` backticks starting at or after `from`, or -1. */
  private backtickRunAt(len: number, from: number): number {
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

  private remove(d: Delim): void {
    if (d.prev) d.prev.next = d.next;
    else if (this.head === d) this.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else if (this.tail === d) this.tail = d.prev;
    d.prev = undefined;
    d.next = undefined;
  }

  /** Whether a delimiter has nothing left to give. */
  private spent(d: Delim): boolean {
    return d.n === 0 || (this.dialect.retireSpentPairs && pairOnly(d.ch) && d.n < 2);
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
      if (!closer.canClose) {
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
      if (this.spent(found)) this.remove(found);
      if (this.spent(closer)) {
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
    const starts = new Map<number, StyleSpan[]>();
    const ends = new Map<number, StyleSpan[]>();
    const add = (m: Map<number, StyleSpan[]>, k: number, s: StyleSpan) => {
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
    let styles = 0;
    const bump = (bit: number, delta: number) => {
      const n = (counts.get(bit) ?? 0) + delta;
      counts.set(bit, n);
      styles = n > 0 ? styles | bit : styles & ~bit;
    };
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

/**
 * The link destination `(url)` or `(<url>)` at `p`, spaces and tabs
 * allowed inside the parentheses: the URL as written (escapes still in,
 * see `removeEscapes`) and the index after the `)`, or undefined when
 * there is none. `escapable` says which characters a backslash escapes
 * in the dialect, so that `\)` does not end the URL.
 */
export function linkDestination(
  src: string,
  p: number,
  escapable: (ch: string | undefined) => boolean,
): { readonly raw: string; readonly end: number } | undefined {
  if (src[p] !== "(") return undefined;
  let q = p + 1;
  while (src[q] === " " || src[q] === "\t") q++;
  let raw: string;
  if (src[q] === "<") {
    let k = q + 1;
    while (k < src.length && k - q <= MAX_URL) {
      const ch = src[k] as string;
      if (ch === "\\" && escapable(src[k + 1])) {
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
      const c = src.charCodeAt(k);
      if (c <= 0x20 || c === 0x7f) break;
      if (c === 0x5c /* \ */ && escapable(src[k + 1])) {
        k += 2;
        continue;
      }
      if (c === 0x28 /* ( */) {
        if (++depth > MAX_PARENS) return undefined;
      } else if (c === 0x29 /* ) */) {
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
  return { raw, end: q + 1 };
}
