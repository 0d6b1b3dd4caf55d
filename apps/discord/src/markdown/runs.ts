/**
 * Inline content as flat runs: each leaf with the set of styles and the link
 * that cover it. The Discord reader finds style spans as intervals over a
 * flat token list (so nesting depth costs nothing), turns them into runs and
 * lets `normalizeRichText` pick the one canonical tree; the writer goes the
 * other way when it needs a nesting other than the canonical one.
 *
 * @parley/bridge keeps its own run machinery private, so this is the small
 * part of it the Discord converters need.
 */
import type { Inline, InlineStyle, MentionTarget } from "@parley/bridge";

export const STYLE_BIT: Readonly<Record<InlineStyle, number>> = {
  bold: 1,
  italic: 2,
  underline: 4,
  strike: 8,
  spoiler: 16,
};

const STYLES_INNER_FIRST: readonly InlineStyle[] = ["spoiler", "strike", "underline", "italic", "bold"];

export type Leaf =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "code"; readonly text: string }
  | { readonly type: "autolink"; readonly url: string }
  | { readonly type: "mention"; readonly name: string; readonly target: MentionTarget }
  | { readonly type: "emoji"; readonly name: string; readonly url?: string }
  | { readonly type: "linebreak" };

/** A link with text. Identity matters: two adjacent links to the same URL stay two links. */
export interface LinkSpan {
  readonly url: string;
}

export interface Run {
  readonly styles: number;
  readonly link: LinkSpan | undefined;
  readonly leaf: Leaf;
}

function leafInline(leaf: Leaf): Inline {
  return leaf.type === "autolink" ? { type: "link", url: leaf.url, children: [] } : leaf;
}

function styled(styles: number, leaf: Leaf): Inline {
  let node = leafInline(leaf);
  if (leaf.type === "linebreak") return node;
  for (const style of STYLES_INNER_FIRST) {
    if ((styles & STYLE_BIT[style]) !== 0) node = { type: style, children: [node] };
  }
  return node;
}

/**
 * Inlines for runs: one chain of style nodes per run, runs of one link
 * grouped under one link node. Not canonical (`normalizeRichText` makes it
 * so), but never deeper than one link and five styles.
 */
export function runsToInlines(runs: readonly Run[]): Inline[] {
  const out: Inline[] = [];
  let i = 0;
  while (i < runs.length) {
    const r = runs[i] as Run;
    if (r.link === undefined) {
      out.push(styled(r.styles, r.leaf));
      i++;
      continue;
    }
    const children: Inline[] = [];
    let j = i;
    while (j < runs.length && (runs[j] as Run).link === r.link) {
      const rj = runs[j] as Run;
      children.push(styled(rj.styles, rj.leaf));
      j++;
    }
    out.push({ type: "link", url: r.link.url, children });
    i = j;
  }
  return out;
}

/**
 * Runs of a normalized inline tree (at most one link and five styles deep,
 * so the recursion is shallow).
 */
export function inlinesToRuns(nodes: readonly Inline[]): Run[] {
  const out: Run[] = [];
  const walk = (ns: readonly Inline[], styles: number, link: LinkSpan | undefined) => {
    for (const n of ns) {
      switch (n.type) {
        case "link":
          if (n.children.length === 0 || link !== undefined) {
            out.push({ styles, link, leaf: { type: "autolink", url: n.url } });
          } else walk(n.children, styles, { url: n.url });
          break;
        case "bold":
        case "italic":
        case "underline":
        case "strike":
        case "spoiler":
          walk(n.children, styles | STYLE_BIT[n.type], link);
          break;
        default:
          out.push({ styles, link, leaf: n });
      }
    }
  };
  walk(nodes, 0, undefined);
  return out;
}

/**
 * A tree of `runs` that opens styles strictly in `order` (the first style
 * in `order` that covers a run wraps as far as it reaches), links always
 * outermost and never split. The writer tries such trees when the
 * canonical one has no Discord spelling that reads back.
 */
export function buildInlines(runs: readonly Run[], order: readonly InlineStyle[]): Inline[] {
  return build(runs, 0, runs.length, 0, false, order);
}

function build(
  runs: readonly Run[],
  lo: number,
  hi: number,
  open: number,
  inLink: boolean,
  order: readonly InlineStyle[],
): Inline[] {
  const out: Inline[] = [];
  let i = lo;
  while (i < hi) {
    const r = runs[i] as Run;
    if (!inLink && r.link !== undefined) {
      let e = i;
      while (e < hi && (runs[e] as Run).link === r.link) e++;
      out.push({ type: "link", url: r.link.url, children: build(runs, i, e, open, true, order) });
      i = e;
      continue;
    }
    const kind = order.find((k) => (open & STYLE_BIT[k]) === 0 && (r.styles & STYLE_BIT[k]) !== 0);
    if (kind === undefined) {
      out.push(leafInline(r.leaf));
      i++;
      continue;
    }
    const bit = STYLE_BIT[kind];
    let e = i;
    while (e < hi && ((runs[e] as Run).styles & bit) !== 0) e++;
    // A style that starts outside a link may not end inside it.
    while (!inLink && e < hi && e > i + 1) {
      const before = (runs[e - 1] as Run).link;
      if (before === undefined || before !== (runs[e] as Run).link) break;
      e--;
    }
    out.push({ type: kind, children: build(runs, i, e, open | bit, inLink, order) });
    i = e;
  }
  return out;
}

const isTab = (c: number) => c === 0x20 || c === 0x09;

/**
 * Runs with the spaces and tabs at both ends of every line dropped: what
 * `normalizeRichText`'s `trimLineEdges` does, done here with loops because
 * a regular expression anchored at the end rescans long runs of spaces.
 */
export function trimLineEdges(runs: readonly Run[]): Run[] {
  const out: Run[] = [];
  let line: Run[] = [];
  const flush = () => {
    for (const r of trimLine(line)) out.push(r);
    line = [];
  };
  for (const r of runs) {
    if (r.leaf.type === "linebreak") {
      flush();
      out.push(r);
    } else line.push(r);
  }
  flush();
  return out;
}

function trimLine(line: Run[]): Run[] {
  let a = 0;
  let b = line.length;
  while (a < b) {
    const r = line[a] as Run;
    if (r.leaf.type !== "text") break;
    const t = r.leaf.text;
    let k = 0;
    while (k < t.length && isTab(t.charCodeAt(k))) k++;
    if (k === t.length) {
      a++;
      continue;
    }
    if (k > 0) line[a] = { ...r, leaf: { type: "text", text: t.slice(k) } };
    break;
  }
  while (b > a) {
    const r = line[b - 1] as Run;
    if (r.leaf.type !== "text") break;
    const t = r.leaf.text;
    let k = t.length;
    while (k > 0 && isTab(t.charCodeAt(k - 1))) k--;
    if (k === 0) {
      b--;
      continue;
    }
    if (k < t.length) line[b - 1] = { ...r, leaf: { type: "text", text: t.slice(0, k) } };
    break;
  }
  return line.slice(a, b);
}
