/**
 * Inline content as a flat sequence of runs: each leaf (text, code, mention,
 * emoji, bare link, line break) with the set of styles and the link that
 * apply to it. Every reader produces runs and every writer consumes a tree
 * rebuilt from them, because the flat form makes the questions that trees
 * make hard trivial: `**a****b**` and `**ab**` are the same runs, bold in
 * bold is just bold, and `bold(italic(x))` equals `italic(bold(x))`.
 * Flattening is iterative and the rebuilt tree is at most one level per
 * style plus one for the link deep, whatever the nesting of the input.
 */
import type { Inline, InlineStyle, MentionTarget } from "./ast.ts";
import { isSpaceCode, trimBlanksEnd } from "./text-chars.ts";

export const STYLE_BIT: Readonly<Record<InlineStyle, number>> = {
  bold: 1,
  italic: 2,
  underline: 4,
  strike: 8,
  spoiler: 16,
};

const STYLE_BITS: readonly number[] = Object.values(STYLE_BIT);

export type Leaf =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "code"; readonly text: string }
  | { readonly type: "autolink"; readonly url: string }
  | { readonly type: "mention"; readonly name: string; readonly target: MentionTarget }
  | { readonly type: "emoji"; readonly name: string; readonly url?: string }
  | { readonly type: "linebreak" };

/** A link with text; `id` tells two adjacent links to the same URL apart. */
export interface LinkSpan {
  readonly id: number;
  readonly url: string;
}

export interface Run {
  readonly styles: number;
  readonly link: LinkSpan | undefined;
  readonly leaf: Leaf;
}

/** A run with no style and no link: plain text, or a leaf of its own. */
const isPlainRun = (r: Run) => r.styles === 0 && r.link === undefined;

/** Appends `items` to `out` one by one: `push(...items)` overflows the stack for long arrays. */
export function append<T>(out: T[], items: readonly T[]): void {
  for (const x of items) out.push(x);
}

let nextLinkId = 1;
/** A fresh link identity for readers that build runs themselves. */
export function newLink(url: string): LinkSpan {
  return { id: nextLinkId++, url };
}

/** Control characters and spaces cannot be written inside a URL in any syntax here: percent-encode them. */
export function normalizeUrl(url: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c > 0x20 && c !== 0x7f) continue;
    out += `${url.slice(from, i)}%${c.toString(16).toUpperCase().padStart(2, "0")}`;
    from = i + 1;
  }
  return from === 0 ? url : out + url.slice(from);
}

const NEWLINE = /\r\n|\r|\n/;
const oneLine = (s: string) => s.replace(/\r\n|\r|\n/g, " ");

interface Frame {
  readonly nodes: readonly Inline[];
  index: number;
  readonly styles: number;
  readonly link: LinkSpan | undefined;
}

/** Runs of `nodes`. Newlines inside text become line breaks; links inside links lose their link. */
export function flattenInlines(nodes: readonly Inline[]): Run[] {
  const out: Run[] = [];
  const stack: Frame[] = [{ nodes, index: 0, styles: 0, link: undefined }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame;
    if (f.index >= f.nodes.length) {
      stack.pop();
      continue;
    }
    const n = f.nodes[f.index++] as Inline;
    const { styles, link } = f;
    switch (n.type) {
      case "text": {
        const parts = String(n.text).split(NEWLINE);
        parts.forEach((p, k) => {
          if (k > 0) out.push({ styles, link, leaf: { type: "linebreak" } });
          if (p !== "") out.push({ styles, link, leaf: { type: "text", text: p } });
        });
        break;
      }
      case "code": {
        const text = oneLine(String(n.text));
        if (text !== "") out.push({ styles, link, leaf: { type: "code", text } });
        break;
      }
      case "linebreak":
        out.push({ styles, link, leaf: { type: "linebreak" } });
        break;
      case "mention":
        out.push({ styles, link, leaf: { type: "mention", name: oneLine(String(n.name)), target: { ...n.target } } });
        break;
      case "emoji":
        out.push({
          styles,
          link,
          leaf: { type: "emoji", name: oneLine(String(n.name)), ...(n.url !== undefined && { url: String(n.url) }) },
        });
        break;
      case "link": {
        const url = normalizeUrl(String(n.url));
        const children = Array.isArray(n.children) ? n.children : [];
        if (url === "" || link !== undefined) {
          // No target, or a link inside a link: keep what it shows.
          if (children.length > 0) stack.push({ nodes: children, index: 0, styles, link });
          else if (url !== "") out.push({ styles, link, leaf: { type: "text", text: url } });
        } else if (children.length === 0) out.push({ styles, link, leaf: { type: "autolink", url } });
        else stack.push({ nodes: children, index: 0, styles, link: newLink(url) });
        break;
      }
      case "bold":
      case "italic":
      case "underline":
      case "strike":
      case "spoiler":
        if (Array.isArray(n.children)) {
          stack.push({ nodes: n.children, index: 0, styles: styles | STYLE_BIT[n.type], link });
        }
        break;
      default:
        // Not a node type of this tree (e.g. from untyped JSON): nothing to show.
        break;
    }
  }
  return out;
}

function leadingSpace(s: string): number {
  let i = 0;
  while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++;
  return i;
}

function trailingSpace(s: string): number {
  let i = s.length;
  while (i > 0 && isSpaceCode(s.charCodeAt(i - 1))) i--;
  return s.length - i;
}

const sameMarks = (a: Run, b: Run) => a.styles === b.styles && a.link?.id === b.link?.id;

/**
 * The normal form of a run sequence:
 * - line breaks carry no style and no link (no syntax here styles a line end);
 * - a style never starts or ends on white space (`** a**` is not bold in any
 *   of them), so edge spaces move outside it; the edge of a link counts as
 *   an end, since no syntax lets a style cross it;
 * - a link whose text is its URL becomes a bare link, and a bare link inside
 *   a link is text;
 * - adjacent texts (and adjacent code spans) with the same marks merge, and
 *   empty texts go.
 */
export function tidyRuns(input: readonly Run[]): Run[] {
  // Runs without style or link (most text) only merge: nothing below would change them.
  const runs = input.every(isPlainRun) ? input : tidyMarks(input);
  const out: Run[] = [];
  for (const r of runs) {
    if (r.leaf.type === "text" && r.leaf.text === "") continue;
    const last = out[out.length - 1];
    if (last !== undefined && sameMarks(last, r)) {
      if (last.leaf.type === "text" && r.leaf.type === "text") {
        out[out.length - 1] = { ...last, leaf: { type: "text", text: last.leaf.text + r.leaf.text } };
        continue;
      }
      if (last.leaf.type === "code" && r.leaf.type === "code") {
        out[out.length - 1] = { ...last, leaf: { type: "code", text: last.leaf.text + r.leaf.text } };
        continue;
      }
    }
    out.push(r);
  }
  return out;
}

/** What `tidyRuns` does to runs with a style or a link before merging. */
function tidyMarks(input: readonly Run[]): Run[] {
  let runs: Run[] = input.map((r) => {
    if (r.leaf.type === "linebreak")
      return r.styles === 0 && r.link === undefined ? r : { ...r, styles: 0, link: undefined };
    if (r.leaf.type === "autolink" && r.link !== undefined) return { ...r, leaf: { type: "text", text: r.leaf.url } };
    return r;
  });
  runs = bareLinks(runs);
  for (const bit of STYLE_BITS) runs = stripStyleEdges(runs, bit);
  return runs;
}

/** Links whose runs are plain text spelling their URL, with one set of styles, become bare links. */
function bareLinks(runs: Run[]): Run[] {
  const out: Run[] = [];
  let i = 0;
  while (i < runs.length) {
    const r = runs[i] as Run;
    if (r.link === undefined) {
      out.push(r);
      i++;
      continue;
    }
    let j = i;
    let text = "";
    let plain = true;
    while (j < runs.length && runs[j]?.link?.id === r.link.id) {
      const leaf = (runs[j] as Run).leaf;
      if (leaf.type !== "text" || (runs[j] as Run).styles !== r.styles) plain = false;
      else text += leaf.text;
      j++;
    }
    if (plain && text === r.link.url)
      out.push({ styles: r.styles, link: undefined, leaf: { type: "autolink", url: text } });
    else for (let k = i; k < j; k++) out.push(runs[k] as Run);
    i = j;
  }
  return out;
}

function stripStyleEdges(runs: Run[], bit: number): Run[] {
  if (!runs.some((r) => (r.styles & bit) !== 0)) return runs;
  const out: Run[] = [];
  let i = 0;
  while (i < runs.length) {
    if (((runs[i] as Run).styles & bit) === 0) {
      out.push(runs[i] as Run);
      i++;
      continue;
    }
    // A style cannot cross the edge of a link in any syntax: each side is its own group.
    const link = (runs[i] as Run).link?.id;
    let j = i;
    while (j < runs.length && ((runs[j] as Run).styles & bit) !== 0 && (runs[j] as Run).link?.id === link) j++;
    const group = runs.slice(i, j);
    const head: Run[] = [];
    const tail: Run[] = [];
    // Leading white space leaves the style...
    while (group.length > 0) {
      const r = group[0] as Run;
      if (r.leaf.type !== "text") break;
      const n = leadingSpace(r.leaf.text);
      if (n === 0) break;
      head.push({ ...r, styles: r.styles & ~bit, leaf: { type: "text", text: r.leaf.text.slice(0, n) } });
      if (n === r.leaf.text.length) group.shift();
      else {
        group[0] = { ...r, leaf: { type: "text", text: r.leaf.text.slice(n) } };
        break;
      }
    }
    // ...and so does trailing white space.
    while (group.length > 0) {
      const r = group[group.length - 1] as Run;
      if (r.leaf.type !== "text") break;
      const n = trailingSpace(r.leaf.text);
      if (n === 0) break;
      const t = r.leaf.text;
      tail.unshift({ ...r, styles: r.styles & ~bit, leaf: { type: "text", text: t.slice(t.length - n) } });
      if (n === t.length) group.pop();
      else {
        group[group.length - 1] = { ...r, leaf: { type: "text", text: t.slice(0, t.length - n) } };
        break;
      }
    }
    append(out, head);
    append(out, group);
    append(out, tail);
    i = j;
  }
  return out;
}

/** A wrapper in a rebuilt tree: a style, or a link with text. */
export type Wrapper = { readonly style: InlineStyle } | { readonly link: LinkSpan };

export type RunTree =
  | { readonly leaf: Leaf; readonly run: Run }
  | { readonly wrap: Wrapper; readonly children: RunTree[] };

/** The wrapper kinds a tree is built with, outermost first when two cover the same runs. */
export type WrapperOrder = ReadonlyArray<InlineStyle | "link">;

export const AST_ORDER: WrapperOrder = ["link", "strike", "bold", "italic", "underline", "spoiler"];

export interface TreeOptions {
  /**
   * Open the first kind in `order` that covers the run at hand, however far
   * it reaches, instead of the widest.
   */
  readonly byOrder?: boolean;
  /**
   * Let a wrapper end next to white space even where another style has to
   * be split there. Every writer here checks its spelling by reading it
   * back, so such a tree is only a candidate that may fail; Discord's
   * writer builds its fallback trees this way, as it always has, so that
   * its output for a given document does not change.
   */
  readonly endAtSpaces?: boolean;
}

/**
 * The canonical tree of `runs`: at each point the wrapper that covers the
 * most runs opens first (ties go to the earlier kind in `order`). Kinds not
 * in `order` are ignored, which lets a writer leave out what its syntax
 * treats separately.
 *
 * Overlapping styles force a split (`**a ~~b**c~~` is `**a ~~b~~**~~c~~`),
 * and no syntax can open or close a style on white space, so a wrapper ends
 * early rather than split another style next to a space (unless
 * `endAtSpaces`); a link is never split.
 */
export function buildTree(runs: readonly Run[], order: WrapperOrder = AST_ORDER, options: TreeOptions = {}): RunTree[] {
  // The styles whose split next to a space makes a wrapper end earlier: none when spaces do not matter.
  const mask = options.endAtSpaces ? 0 : order.reduce((m, k) => (k === "link" ? m : m | STYLE_BIT[k]), 0);
  return build(runs, 0, runs.length, 0, false, { order, mask, byOrder: options.byOrder === true });
}

/**
 * Other trees of the same runs, for a writer whose syntax cannot spell the
 * canonical one: each opens wrappers strictly in the given order (the first
 * kind active wins, however far it reaches) instead of widest first.
 */
export function alternativeTrees(runs: readonly Run[]): RunTree[][] {
  const tidy = tidyRuns(runs);
  return [
    buildTree(tidy, ["link", "strike", "underline", "spoiler", "bold", "italic"], { byOrder: true }),
    buildTree(tidy, ["link", "italic", "strike", "underline", "spoiler", "bold"], { byOrder: true }),
  ];
}

interface BuildOptions {
  readonly order: WrapperOrder;
  /** The styles in `order` that must not be split next to a space. */
  readonly mask: number;
  /** Open the first active kind in `order` rather than the widest. */
  readonly byOrder: boolean;
}

const startsWithSpace = (r: Run) => r.leaf.type === "text" && isSpaceCode(r.leaf.text.charCodeAt(0));
const endsWithSpace = (r: Run) => r.leaf.type === "text" && isSpaceCode(r.leaf.text.charCodeAt(r.leaf.text.length - 1));

/** Whether a wrapper may end between runs e-1 and e (the end of the parent range always may). */
function canEndAt(runs: readonly Run[], e: number, hi: number, open: number, inLink: boolean, mask: number): boolean {
  if (e >= hi) return true;
  const a = runs[e - 1] as Run;
  const b = runs[e] as Run;
  if (!inLink && a.link !== undefined && a.link.id === b.link?.id) return false;
  if ((a.styles & b.styles & mask & ~open) === 0) return true;
  return !endsWithSpace(a) && !startsWithSpace(b);
}

function build(
  runs: readonly Run[],
  lo: number,
  hi: number,
  open: number,
  inLink: boolean,
  o: BuildOptions,
): RunTree[] {
  const out: RunTree[] = [];
  let i = lo;
  while (i < hi) {
    const r = runs[i] as Run;
    let best: Wrapper | undefined;
    let bestEnd = i;
    for (const kind of o.order) {
      if (o.byOrder && best !== undefined) break;
      let end = i;
      if (kind === "link") {
        if (inLink || r.link === undefined) continue;
        const id = r.link.id;
        while (end < hi && runs[end]?.link?.id === id) end++;
        if (end > bestEnd) {
          best = { link: r.link };
          bestEnd = end;
        }
        continue;
      }
      const bit = STYLE_BIT[kind];
      if ((open & bit) !== 0 || (r.styles & bit) === 0) continue;
      while (end < hi && ((runs[end] as Run).styles & bit) !== 0) end++;
      let e = end;
      while (e > i + 1 && !canEndAt(runs, e, hi, open, inLink, o.mask)) e--;
      if (!canEndAt(runs, e, hi, open, inLink, o.mask)) e = end;
      if (e > bestEnd) {
        best = { style: kind };
        bestEnd = e;
      }
    }
    if (best === undefined) {
      out.push({ leaf: r.leaf, run: r });
      i++;
      continue;
    }
    const children =
      "link" in best
        ? build(runs, i, bestEnd, open, true, o)
        : build(runs, i, bestEnd, open | STYLE_BIT[best.style], inLink, o);
    out.push({ wrap: best, children });
    i = bestEnd;
  }
  return out;
}

function leafInline(leaf: Leaf): Inline {
  switch (leaf.type) {
    case "autolink":
      return { type: "link", url: leaf.url, children: [] };
    case "mention":
      return { type: "mention", name: leaf.name, target: leaf.target };
    case "emoji":
      return leaf.url === undefined
        ? { type: "emoji", name: leaf.name }
        : { type: "emoji", name: leaf.name, url: leaf.url };
    default:
      return leaf;
  }
}

/** AST inlines of a built tree. */
export function treeInlines(tree: readonly RunTree[]): Inline[] {
  return tree.map((t): Inline => {
    if ("leaf" in t) return leafInline(t.leaf);
    const children = treeInlines(t.children);
    return "link" in t.wrap ? { type: "link", url: t.wrap.link.url, children } : { type: t.wrap.style, children };
  });
}

/**
 * The canonical tree of `runs` in which no style opens or closes on white
 * space. Overlapping styles can force a split next to a space that was
 * inside a style (`**a ~~b**\tc~~`): such spaces lose that style, and the
 * tree is rebuilt until nothing changes (each round only removes styles, so
 * this ends, in practice after one or two rounds).
 */
export function canonicalTree(input: readonly Run[]): RunTree[] {
  let runs = tidyRuns(input);
  for (let round = 0; ; round++) {
    const tree = buildTree(runs);
    if (round >= 8) return tree;
    const stripped = tidyRuns(stripTreeEdges(tree));
    if (sameRuns(stripped, runs)) return tree;
    runs = stripped;
  }
}

function stripTreeEdges(tree: readonly RunTree[]): Run[] {
  const out: Run[] = [];
  for (const t of tree) {
    if ("leaf" in t) out.push(t.run);
    else if ("link" in t.wrap) append(out, stripTreeEdges(t.children));
    else append(out, stripStyleEdges(stripTreeEdges(t.children), STYLE_BIT[t.wrap.style]));
  }
  return out;
}

function sameRuns(a: readonly Run[], b: readonly Run[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((r, k) => {
    const o = b[k] as Run;
    return r.styles === o.styles && r.link?.id === o.link?.id && JSON.stringify(r.leaf) === JSON.stringify(o.leaf);
  });
}

/** The canonical inlines of `runs`. */
export function runsToInlines(runs: readonly Run[]): Inline[] {
  // Most text has no style and no link: its canonical tree is its tidy runs side by side, which is
  // what building it would find (no wrapper to open, nothing to strip), at a fraction of the cost.
  if (runs.every(isPlainRun)) return tidyRuns(runs).map((r) => leafInline(r.leaf));
  return treeInlines(canonicalTree(runs));
}

/** Splits runs at line breaks (the breaks themselves are dropped). */
export function splitLines(runs: readonly Run[]): Run[][] {
  const lines: Run[][] = [[]];
  for (const r of runs) {
    if (r.leaf.type === "linebreak") lines.push([]);
    else (lines[lines.length - 1] as Run[]).push(r);
  }
  return lines;
}

/** Whether a line shows nothing but spaces and tabs. */
export function isBlankRunLine(line: readonly Run[]): boolean {
  return line.every((r) => r.leaf.type === "text" && /^[ \t]*$/.test(r.leaf.text));
}

/** Removes spaces and tabs at both ends of a line of runs. */
export function trimRunLine(line: readonly Run[]): Run[] {
  const out = [...line];
  while (out.length > 0) {
    const r = out[0] as Run;
    if (r.leaf.type !== "text") break;
    const t = r.leaf.text.replace(/^[ \t]+/, "");
    if (t === "") out.shift();
    else {
      out[0] = { ...r, leaf: { type: "text", text: t } };
      break;
    }
  }
  while (out.length > 0) {
    const r = out[out.length - 1] as Run;
    if (r.leaf.type !== "text") break;
    const t = trimBlanksEnd(r.leaf.text);
    if (t === "") out.pop();
    else {
      out[out.length - 1] = { ...r, leaf: { type: "text", text: t } };
      break;
    }
  }
  return out;
}

/**
 * Runs with the spaces and tabs at both ends of every line dropped (line
 * breaks kept): what `normalizeRichText`'s `trimLineEdges` does to a
 * paragraph, for a reader that trims before it builds its tree.
 */
export function trimRunLineEdges(runs: readonly Run[]): Run[] {
  const out: Run[] = [];
  let line: Run[] = [];
  for (const r of runs) {
    if (r.leaf.type !== "linebreak") {
      line.push(r);
      continue;
    }
    append(out, trimRunLine(line));
    out.push(r);
    line = [];
  }
  append(out, trimRunLine(line));
  return out;
}
