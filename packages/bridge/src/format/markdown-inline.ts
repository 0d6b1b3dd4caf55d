/**
 * Inline Markdown to runs. The structure is CommonMark's: code spans,
 * autolinks and escapes first, then `[text](url)` by a bracket stack, then
 * emphasis by the delimiter-run algorithm (with its "rule of 3"), so
 * `***a**b*` and `***a*b**` both come out right. Matches become intervals
 * of styles over a flat token list instead of nested nodes, so neither the
 * work nor the result depends on how deeply the input nests.
 *
 * Chat-flavoured differences from CommonMark:
 * - `__x__` is underline (Discord), `~~x~~` strike, `||x||` spoiler; a single
 *   `~` or `|` is text;
 * - a delimiter opens when a non-space follows it and closes when a non-space
 *   precedes it (no punctuation rules), except that a single `_` next to a
 *   letter or digit is text (snake_case stays as it is);
 * - `<@id>`, `<@!id>` are user mentions, `<@&id>` role and `<#id>` channel
 *   mentions, with the id as the name until a connector resolves it;
 * - bare http(s) URLs are links (see urls.ts); no HTML, entities or images.
 */
import type { MentionTarget } from "./ast.ts";
import { type Leaf, type LinkSpan, newLink, normalizeUrl, type Run, STYLE_BIT, tidyRuns } from "./inline-runs.ts";
import { isAsciiPunct, isSpaceChar, isSpaceCode, isWordChar } from "./text-chars.ts";
import { bareUrlEnd } from "./urls.ts";

/** Longest link destination or autolink read, so a hostile `[a](` repeated costs linear time. */
const MAX_URL = 4096;
const MAX_PARENS = 32;

const BACKSLASH = 0x5c;
const BACKTICK = 0x60;
const LT = 0x3c;
const GT = 0x3e;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LPAREN = 0x28;
const RPAREN = 0x29;
const STAR = 0x2a;
const UNDERSCORE = 0x5f;
const TILDE = 0x7e;
const PIPE = 0x7c;
const NEWLINE = 0x0a;

export const MENTION_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ANGLE_MENTION = /^(@!?|@&|#)([A-Za-z0-9_.-]{1,64})$/;
const AUTOLINK = /^[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*$/;

interface Delim {
  readonly tok: number;
  readonly ch: string;
  n: number;
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
  readonly delimBottom: Delim | undefined;
  active: boolean;
}

interface StyleInterval {
  readonly from: number;
  readonly to: number;
  readonly bit: number;
}

interface LinkInterval {
  readonly from: number;
  readonly to: number;
  readonly link: LinkSpan;
}

const unescapePunct = (s: string) => s.replace(/\\([!-/:-@[-`{-~])/g, "$1");

/** Runs of one paragraph's (or heading's) inline Markdown; newlines are line breaks. */
export function parseInlineMarkdown(src: string): Run[] {
  return new InlineParser(src).parse();
}

class InlineParser {
  private readonly src: string;
  private readonly toks: Tok[] = [];
  private head: Delim | undefined;
  private tail: Delim | undefined;
  private readonly brackets: Bracket[] = [];
  private readonly styles: StyleInterval[] = [];
  private readonly links: LinkInterval[] = [];
  /** Starts of maximal backtick runs by length, ascending; built at the first backtick. */
  private backtickRuns: Map<number, number[]> | undefined;
  private textFrom = 0;

  constructor(src: string) {
    this.src = src;
  }

  parse(): Run[] {
    const src = this.src;
    const n = src.length;
    let i = 0;
    while (i < n) {
      const c = src.charCodeAt(i);
      switch (c) {
        case BACKSLASH:
          if (isAsciiPunct(src[i + 1])) {
            this.flush(i);
            this.textFrom = i + 1; // the escaped character is plain text
            i += 2;
          } else i++;
          break;
        case BACKTICK:
          i = this.codeSpan(i);
          break;
        case LT:
          i = this.angle(i);
          break;
        case LBRACKET:
          this.flush(i);
          this.brackets.push({ tok: this.toks.length, delimBottom: this.tail, active: true });
          this.toks.push({ k: "bracket", used: false });
          i++;
          this.textFrom = i;
          break;
        case RBRACKET:
          i = this.closeBracket(i);
          break;
        case STAR:
        case UNDERSCORE:
        case TILDE:
        case PIPE:
          i = this.delimiterRun(i, c);
          break;
        case NEWLINE:
          this.flush(i);
          this.toks.push({ k: "leaf", leaf: { type: "linebreak" } });
          i++;
          this.textFrom = i;
          break;
        default: {
          const e = c === 0x68 || c === 0x48 ? bareUrlEnd(src, i, n) : -1;
          if (e > i) {
            this.flush(i);
            this.toks.push({ k: "leaf", leaf: { type: "autolink", url: src.slice(i, e) } });
            i = e;
            this.textFrom = i;
          } else i++;
        }
      }
    }
    this.flush(n);
    this.processEmphasis(undefined);
    return this.runs();
  }

  private flush(to: number): void {
    if (to > this.textFrom) this.toks.push({ k: "text", s: this.src.slice(this.textFrom, to) });
    this.textFrom = to;
  }

  private codeSpan(i: number): number {
    const src = this.src;
    let j = i;
    while (src.charCodeAt(j) === BACKTICK) j++;
    const len = j - i;
    const close = this.findBacktickRun(len, j);
    if (close < 0) return j; // the backticks stay text
    this.flush(i);
    let text = src.slice(j, close).replace(/\n/g, " ");
    if (text.length >= 2 && text.startsWith(" ") && text.endsWith(" ") && /[^ ]/.test(text)) text = text.slice(1, -1);
    this.toks.push({ k: "leaf", leaf: { type: "code", text } });
    this.textFrom = close + len;
    return close + len;
  }

  private findBacktickRun(len: number, from: number): number {
    if (this.backtickRuns === undefined) {
      const runs = new Map<number, number[]>();
      const src = this.src;
      let k = 0;
      while (k < src.length) {
        if (src.charCodeAt(k) !== BACKTICK) {
          k++;
          continue;
        }
        let e = k;
        while (src.charCodeAt(e) === BACKTICK) e++;
        const list = runs.get(e - k);
        if (list) list.push(k);
        else runs.set(e - k, [k]);
        k = e;
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

  /** `<url>`, `<@id>`, `<@&id>`, `<#id>`, or a literal `<`. */
  private angle(i: number): number {
    const src = this.src;
    let k = i + 1;
    while (k < src.length && k - i <= MAX_URL) {
      const c = src.charCodeAt(k);
      if (c === GT) break;
      if (c === LT || c <= 0x20 || c === 0x7f || isSpaceCode(c)) return i + 1;
      k++;
    }
    if (src.charCodeAt(k) !== GT) return i + 1;
    const inner = src.slice(i + 1, k);
    let leaf: Leaf | undefined;
    const m = ANGLE_MENTION.exec(inner);
    if (m) {
      const id = m[2] as string;
      const kind: MentionTarget["kind"] = m[1] === "@&" ? "role" : m[1] === "#" ? "channel" : "user";
      leaf = { type: "mention", name: id, target: { remoteId: id, kind } };
    } else if (AUTOLINK.test(inner)) leaf = { type: "autolink", url: inner };
    if (leaf === undefined) return i + 1;
    this.flush(i);
    this.toks.push({ k: "leaf", leaf });
    this.textFrom = k + 1;
    return k + 1;
  }

  private delimiterRun(i: number, c: number): number {
    const src = this.src;
    let j = i;
    while (src.charCodeAt(j) === c) j++;
    const len = j - i;
    if ((c === TILDE || c === PIPE) && len < 2) return j;
    const prev = i > 0 ? src[i - 1] : undefined;
    const next = j < src.length ? src[j] : undefined;
    const leftFlanking = next !== undefined && !isSpaceChar(next);
    const rightFlanking = prev !== undefined && !isSpaceChar(prev);
    const intraword = c === UNDERSCORE && len === 1;
    const canOpen = leftFlanking && !(intraword && isWordChar(prev));
    const canClose = rightFlanking && !(intraword && isWordChar(next));
    this.flush(i);
    if (!canOpen && !canClose) {
      this.textFrom = i; // plain text: let the run join the text around it
      return j;
    }
    const d: Delim = {
      tok: this.toks.length,
      ch: String.fromCharCode(c),
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

  private closeBracket(i: number): number {
    const opener = this.brackets.pop();
    if (opener === undefined || !opener.active) return i + 1; // `]` stays text
    const dest = this.destination(i + 1);
    if (dest === undefined) return i + 1;
    this.flush(i);
    const tok = this.toks[opener.tok];
    if (tok?.k === "bracket") tok.used = true;
    const url = normalizeUrl(dest.url);
    if (url !== "") this.links.push({ from: opener.tok + 1, to: this.toks.length, link: newLink(url) });
    this.processEmphasis(opener.delimBottom);
    // No links inside links: earlier openers can no longer make one.
    for (const b of this.brackets) b.active = false;
    this.textFrom = dest.end;
    return dest.end;
  }

  /** `(url)` or `(<url>)` at `p`, with optional spaces inside the parentheses. */
  private destination(p: number): { url: string; end: number } | undefined {
    const src = this.src;
    if (src.charCodeAt(p) !== LPAREN) return undefined;
    let q = p + 1;
    while (src[q] === " " || src[q] === "\t") q++;
    let url: string;
    if (src.charCodeAt(q) === LT) {
      let k = q + 1;
      while (k < src.length && k - q <= MAX_URL) {
        const c = src.charCodeAt(k);
        if (c === BACKSLASH && isAsciiPunct(src[k + 1])) {
          k += 2;
          continue;
        }
        if (c === GT) break;
        if (c === LT || c === NEWLINE) return undefined;
        k++;
      }
      if (src.charCodeAt(k) !== GT) return undefined;
      url = unescapePunct(src.slice(q + 1, k));
      q = k + 1;
    } else {
      let k = q;
      let depth = 0;
      while (k < src.length) {
        if (k - q > MAX_URL) return undefined;
        const c = src.charCodeAt(k);
        if (c <= 0x20 || c === 0x7f) break;
        if (c === BACKSLASH && isAsciiPunct(src[k + 1])) {
          k += 2;
          continue;
        }
        if (c === LPAREN) {
          if (++depth > MAX_PARENS) return undefined;
        } else if (c === RPAREN) {
          if (depth === 0) break;
          depth--;
        }
        k++;
      }
      if (depth !== 0) return undefined;
      url = unescapePunct(src.slice(q, k));
      q = k;
    }
    while (src[q] === " " || src[q] === "\t") q++;
    if (src.charCodeAt(q) !== RPAREN) return undefined;
    return { url, end: q + 1 };
  }

  private remove(d: Delim): void {
    if (d.prev) d.prev.next = d.next;
    else if (this.head === d) this.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else if (this.tail === d) this.tail = d.prev;
    d.prev = undefined;
    d.next = undefined;
  }

  /** CommonMark's "process emphasis" over the delimiters above `bottom`, which are all removed after. */
  private processEmphasis(bottom: Delim | undefined): void {
    const openersBottom = new Map<string, Delim | undefined>();
    let cur = bottom ? bottom.next : this.head;
    while (cur) {
      if (!cur.canClose) {
        cur = cur.next;
        continue;
      }
      const pair = cur.ch === "~" || cur.ch === "|";
      const key = pair ? cur.ch : `${cur.ch}${cur.canOpen ? 1 : 0}${cur.orig % 3}`;
      const floor = openersBottom.has(key) ? openersBottom.get(key) : bottom;
      let o = cur.prev;
      let found: Delim | undefined;
      while (o !== undefined && o !== bottom && o !== floor) {
        if (o.ch === cur.ch && o.canOpen && compatible(o, cur)) {
          found = o;
          break;
        }
        o = o.prev;
      }
      if (found === undefined) {
        openersBottom.set(key, cur.prev);
        const next: Delim | undefined = cur.next;
        if (!cur.canOpen) this.remove(cur);
        cur = next;
        continue;
      }
      const use = pair || (found.n >= 2 && cur.n >= 2) ? 2 : 1;
      found.n -= use;
      cur.n -= use;
      this.styles.push({ from: found.tok + 1, to: cur.tok, bit: styleBit(cur.ch, use) });
      let x = found.next;
      while (x !== undefined && x !== cur) {
        const nx: Delim | undefined = x.next;
        this.remove(x);
        x = nx;
      }
      if (found.n === 0) this.remove(found);
      if (cur.n === 0) {
        const next: Delim | undefined = cur.next;
        this.remove(cur);
        cur = next;
      }
    }
    let x = bottom ? bottom.next : this.head;
    while (x !== undefined) {
      const nx: Delim | undefined = x.next;
      this.remove(x);
      x = nx;
    }
  }

  /** Tokens to runs: a sweep over the style and link intervals. */
  private runs(): Run[] {
    const events = new Map<number, Array<{ bit: number; delta: number } | { link: LinkSpan | undefined }>>();
    const at = (k: number) => {
      let e = events.get(k);
      if (e === undefined) {
        e = [];
        events.set(k, e);
      }
      return e;
    };
    for (const s of this.styles) {
      if (s.from >= s.to) continue;
      at(s.from).push({ bit: s.bit, delta: 1 });
      at(s.to).push({ bit: s.bit, delta: -1 });
    }
    for (const l of this.links) {
      if (l.from >= l.to) continue;
      at(l.to).unshift({ link: undefined });
      at(l.from).push({ link: l.link });
    }
    const counts = new Map<number, number>();
    let styles = 0;
    let link: LinkSpan | undefined;
    const out: Run[] = [];
    this.toks.forEach((t, k) => {
      for (const e of events.get(k) ?? []) {
        if ("link" in e) link = e.link;
        else {
          const n = (counts.get(e.bit) ?? 0) + e.delta;
          counts.set(e.bit, n);
          styles = n > 0 ? styles | e.bit : styles & ~e.bit;
        }
      }
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
    return tidyRuns(out);
  }
}

function compatible(o: Delim, c: Delim): boolean {
  if (o.ch === "~" || o.ch === "|") return o.n >= 2 && c.n >= 2;
  const sum = o.orig + c.orig;
  return !((o.canClose || c.canOpen) && sum % 3 === 0 && !(o.orig % 3 === 0 && c.orig % 3 === 0));
}

function styleBit(ch: string, use: number): number {
  if (ch === "~") return STYLE_BIT.strike;
  if (ch === "|") return STYLE_BIT.spoiler;
  if (use === 1) return STYLE_BIT.italic;
  return ch === "*" ? STYLE_BIT.bold : STYLE_BIT.underline;
}
