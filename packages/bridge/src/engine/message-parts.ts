/**
 * A message too big for one post, cut into parts that fit a channel's
 * `ChannelLimits`: the text at paragraph breaks (between blocks), else at
 * line breaks, else at spaces, else between characters (whole graphemes);
 * the files given out over the posts.
 *
 * The cut works on the shared tree, not on markup, so a part is always a
 * whole document: a code block cut in two is two code blocks (each written
 * with its own fences by the connector), a quote or a list cut in two is two
 * quotes or lists (an ordered list's second half goes on counting), and
 * styles go on across a cut. Parts are packed greedily: each takes as much
 * of what follows as fits, whole blocks first; a block too big for a post
 * of its own is cut by lines, a line by words, a word by characters; a
 * mention, emoji or link too long for a post goes as its text. A part that
 * would show nothing is never made. Only a limit under one character is
 * ever exceeded.
 */
import type { ChannelLimits } from "../connector/connector.ts";
import { type Block, mentionLabel, type RichText } from "../format/ast.ts";
import { flattenInlines, type Run, runsToInlines, splitLines, tidyRuns, trimRunLine } from "../format/inline-runs.ts";
import { toPlainText } from "../format/plain-text.ts";

/** One post of a message: its text (possibly empty) and its files. */
export interface MessagePart<A> {
  readonly text: RichText;
  readonly attachments: readonly A[];
  /**
   * Its number in the message map: 0 the first, 1, 2... further parts of
   * the text, -1, -2... posts of files alone.
   */
  readonly part: number;
}

const EMPTY: RichText = { blocks: [] };

/** Whether `text` shows nothing. */
function blank(text: RichText): boolean {
  return toPlainText(text).trim() === "";
}

/** Code points of the plain text: the measure of a connector that gives none. */
function plainLength(text: RichText): number {
  let n = 0;
  for (const _ of toPlainText(text)) n++;
  return n;
}

/** Whether `text` fits one post under `limits`. */
export function fitsLimits(limits: ChannelLimits | undefined): (text: RichText) => boolean {
  const max = limits?.maxTextLength;
  if (max === undefined || !Number.isFinite(max)) return () => true;
  const measure = limits?.textLength?.bind(limits) ?? plainLength;
  return (text) => {
    try {
      return measure(text) <= max;
    } catch {
      return true; // a measure that fails cannot be obeyed; the network judges
    }
  };
}

/** What ends the last part of a message cut short at `maxParts`. */
export const CUT_SHORT_NOTICE = "[… the rest of this message was too long to relay]";
const NOTICE: Block = { type: "paragraph", children: [{ type: "text", text: CUT_SHORT_NOTICE }] };

/**
 * The parts of `text` that each fit (`fits`), in order; never an empty one.
 * At most `maxParts`: what would go past them is left out, and the last part
 * ends with CUT_SHORT_NOTICE.
 */
export function splitRichText(
  text: RichText,
  fits: (t: RichText) => boolean,
  maxParts = Number.POSITIVE_INFINITY,
): RichText[] {
  return keepParts(cut(text, fits), maxParts, () => fits);
}

/**
 * The parts of a message's text under a channel's `limits` (`splitRichText`
 * at `maxTextLength`, the first part leaving `firstPartRoom` free), at most
 * `maxParts` of them.
 */
export function cutText(
  text: RichText,
  limits: ChannelLimits | undefined,
  maxParts = Number.POSITIVE_INFINITY,
): RichText[] {
  const fits = fitsLimits(limits);
  const parts = cut(text, fits);
  const room = limits?.firstPartRoom ?? 0;
  const max = limits?.maxTextLength;
  if (room <= 0 || max === undefined) return keepParts(parts, maxParts, () => fits);
  const fitsFirst = fitsLimits({ ...limits, maxTextLength: Math.max(1, max - room) });
  const first = parts[0];
  // The first part cut again where it does not leave the room free; the parts after it as they were.
  if (first !== undefined && !fitsFirst(first)) parts.splice(0, 1, ...cut(first, fitsFirst));
  return keepParts(parts, maxParts, (k) => (k === 0 ? fitsFirst : fits));
}

function cut(text: RichText, fits: (t: RichText) => boolean): RichText[] {
  if (blank(text)) return [];
  if (fits(text)) return [text];
  return pack(
    text.blocks,
    (blocks) => blocks,
    (blocks) => fits({ blocks }),
    (b) => splitBlock(b, (x) => fits({ blocks: [x] })).map((x) => [x]),
  )
    .map((blocks) => ({ blocks }))
    .filter((t) => !blank(t));
}

/**
 * At most `maxParts` of `parts`: the last part kept is cut again so that the
 * notice fits after it (where even the notice alone does not fit a post, the
 * part goes without it). `fitsAt(k)` says what fits as part `k`.
 */
function keepParts(parts: RichText[], maxParts: number, fitsAt: (k: number) => (t: RichText) => boolean): RichText[] {
  const max = Math.max(1, Math.floor(maxParts));
  if (parts.length <= max) return parts;
  const fits = fitsAt(max - 1);
  const noticed = (t: RichText): RichText => ({ blocks: [...t.blocks, NOTICE] });
  const last = parts[max - 1] as RichText;
  const head = cut(last, (t) => fits(noticed(t)))[0];
  const candidates = [head !== undefined ? noticed(head) : undefined, noticed({ blocks: [] })];
  const end = candidates.find((t) => t !== undefined && fits(t)) ?? last;
  return [...parts.slice(0, max - 1), end];
}

/**
 * The posts of a message under `limits`: the parts of its text, and its
 * files, `maxAttachments` to a post (with the first part of the text, unless
 * the network cannot carry both in one post). Always at least one post when
 * there is text or a file.
 */
export function messageParts<A>(
  text: RichText,
  attachments: readonly A[],
  limits: ChannelLimits | undefined,
  maxTextParts = Number.POSITIVE_INFINITY,
): MessagePart<A>[] {
  const texts = cutText(text, limits, maxTextParts);
  const max = Math.max(1, Math.floor(limits?.maxAttachments ?? Number.POSITIVE_INFINITY));
  const groups: A[][] = [];
  for (let i = 0; i < attachments.length; i += max === Number.POSITIVE_INFINITY ? attachments.length : max) {
    groups.push(attachments.slice(i, max === Number.POSITIVE_INFINITY ? undefined : i + max));
  }
  const withText = limits?.textWithAttachments !== false;
  const parts: MessagePart<A>[] = texts.map((t, i) => ({
    text: t,
    attachments: withText && i === 0 ? (groups.shift() ?? []) : [],
    part: i,
  }));
  // Files alone: the first post when there is no text and files may go with text; else numbered -1, -2...
  if (parts.length === 0 && withText && groups.length > 0) {
    parts.push({ text: EMPTY, attachments: groups.shift() ?? [], part: 0 });
  }
  groups.forEach((g, k) => {
    parts.push({ text: EMPTY, attachments: g, part: -(k + 1) });
  });
  return parts;
}

/** The delivery key of one post of a message keyed `key`. */
export function partKey(key: string, part: number): string {
  if (part === 0) return key;
  return part > 0 ? `${key}#${part + 1}` : `${key}#f${-part}`;
}

/**
 * Packs `units` in order into groups that fit (`fits`, once `make` has built
 * them): each group takes, of the units that follow, nearly the longest run
 * that fits (within a sixteenth of it: measuring can cost as much as writing
 * the markup, so the search starts at the last group's size and stops early).
 * A unit that does not fit on its own is handed to `finer`, whose pieces
 * stand as groups of their own.
 */
function pack<U, B>(units: readonly U[], make: (us: U[]) => B, fits: (b: B) => boolean, finer: (u: U) => B[]): B[] {
  const out: B[] = [];
  let i = 0;
  let guess = 1;
  while (i < units.length) {
    const left = units.length - i;
    const fitsNext = (n: number) => fits(make(units.slice(i, i + n)));
    // [i, i + good) fits (0: not known to); [i, i + bad) does not (left + 1: not known not to).
    let good = 0;
    let bad = left + 1;
    const first = Math.min(guess, left);
    if (fitsNext(first)) {
      good = first;
      while (good < left) {
        const next = Math.min(left, good * 2);
        if (!fitsNext(next)) {
          bad = next;
          break;
        }
        good = next;
      }
    } else {
      bad = first;
      while (bad > 1) {
        const next = bad >> 1;
        if (fitsNext(next)) {
          good = next;
          break;
        }
        bad = next;
      }
    }
    if (good === 0) {
      for (const piece of finer(units[i] as U)) out.push(piece);
      i++;
      continue;
    }
    while (bad - good > Math.max(1, good >> 4)) {
      const mid = (good + bad) >> 1;
      if (fitsNext(mid)) good = mid;
      else bad = mid;
    }
    out.push(make(units.slice(i, i + good)));
    i += good;
    guess = good;
  }
  return out;
}

/** A block too big for one post, as blocks that each fit (`fits`) where they can be cut. */
function splitBlock(b: Block, fits: (b: Block) => boolean): Block[] {
  switch (b.type) {
    case "paragraph":
    case "heading":
      return splitInlineBlock(b, fits);
    case "code_block": {
      const make = (lines: string[]): Block => ({ ...b, text: lines.join("\n") });
      return pack(b.text.split("\n"), make, fits, (line) =>
        pack(
          graphemes(line),
          (cs) => make([cs.join("")]),
          fits,
          (c) => [make([c])],
        ),
      );
    }
    case "quote": {
      const make = (children: Block[]): Block => ({ type: "quote", children });
      return pack(b.children, make, fits, (c) => splitBlock(c, (x) => fits(make([x]))).map((x) => make([x])));
    }
    case "list": {
      const first = b.start ?? 1;
      const make = (items: Array<{ item: Block[]; at: number }>): Block => ({
        type: "list",
        ordered: b.ordered,
        ...(b.ordered && { start: first + (items[0]?.at ?? 0) }),
        items: items.map((x) => x.item),
      });
      const items = b.items.map((item, at) => ({ item, at }));
      return pack(items, make, fits, ({ item, at }) => {
        const one = (blocks: Block[]) => make([{ item: blocks, at }]);
        return pack(item, one, fits, (x) => splitBlock(x, (y) => fits(one([y]))).map((y) => one([y])));
      });
    }
    default:
      return [b];
  }
}

/** A paragraph or heading cut by lines, a line by words, a word by graphemes. */
function splitInlineBlock(b: Extract<Block, { type: "paragraph" | "heading" }>, fits: (b: Block) => boolean): Block[] {
  const make = (runs: Run[]): Block => ({ ...b, children: runsToInlines(tidyRuns(trimRunLine(runs))) });
  const joinLines = (lines: Run[][]): Block => {
    const runs: Run[] = [];
    lines.forEach((line, k) => {
      if (k > 0) runs.push({ styles: 0, link: undefined, leaf: { type: "linebreak" } });
      for (const r of trimRunLine(line)) runs.push(r);
    });
    return { ...b, children: runsToInlines(tidyRuns(runs)) };
  };
  const lines = splitLines(flattenInlines(b.children)).filter((line) => trimRunLine(line).length > 0);
  // Too long to go whole (a mention, a bare link, a link's text with its long URL): as plain text.
  const plainly = (c: Run): Block[] => {
    const plain = asText(c);
    return plain !== undefined ? pack(plain, make, fits, (g) => [make([g])]) : [make([c])];
  };
  return pack(lines, joinLines, fits, (line) =>
    pack(
      words(line),
      (ws) => make(ws.flat()),
      fits,
      (word) => pack(characters(word), make, fits, plainly),
    ),
  );
}

/** A run as plain text, one grapheme a run (a mention or emoji as it reads, a link as its URL), or undefined for text already plain. */
function asText(r: Run): Run[] | undefined {
  const leaf = r.leaf;
  const text =
    leaf.type === "mention"
      ? mentionLabel(leaf.name, leaf.target)
      : leaf.type === "emoji"
        ? `:${leaf.name}:`
        : leaf.type === "autolink"
          ? leaf.url
          : undefined;
  if (text === undefined) return r.link !== undefined ? [{ ...r, link: undefined }] : undefined;
  return graphemes(text).map((g) => ({ styles: r.styles, link: undefined, leaf: { type: "text", text: g } }));
}

/** A line's runs as words, each with the spaces after it; a run that is not text stays whole in its word. */
function words(line: readonly Run[]): Run[][] {
  const out: Run[][] = [];
  let word: Run[] = [];
  let spaced = false; // the word has its spaces: what comes next starts a new one
  for (const r of line) {
    if (r.leaf.type !== "text") {
      if (spaced) {
        out.push(word);
        word = [];
        spaced = false;
      }
      word.push(r);
      continue;
    }
    for (const piece of r.leaf.text.split(/(\s+)/)) {
      if (piece === "") continue;
      const space = /^\s/.test(piece);
      if (!space && spaced) {
        out.push(word);
        word = [];
        spaced = false;
      }
      word.push({ ...r, leaf: { type: "text", text: piece } });
      if (space) spaced = true;
    }
  }
  if (word.length > 0) out.push(word);
  return out;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function graphemes(s: string): string[] {
  return Array.from(segmenter.segment(s), (x) => x.segment);
}

/** A word's runs one grapheme each (inline code too); mentions, emoji and bare links stay whole. */
function characters(word: readonly Run[]): Run[] {
  const out: Run[] = [];
  for (const r of word) {
    const leaf = r.leaf;
    if (leaf.type === "text" || leaf.type === "code") {
      for (const g of graphemes(leaf.text)) out.push({ ...r, leaf: { type: leaf.type, text: g } });
    } else out.push(r);
  }
  return out;
}
