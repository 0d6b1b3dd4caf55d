/**
 * XEP-0393 Message Styling (the XMPP side of the rich-text tree), with
 * XEP-0372 references for mentions.
 *
 * Where XEP-0393 has no construct, we choose:
 * - underline is written as plain text (nothing to say it with);
 * - a heading becomes a line that is strong as a whole;
 * - list items become `- item` / `1. item` lines (read back as text);
 * - a link is written as its URL, or `text (url)` when the text differs; bare
 *   http(s) URLs are read back as links;
 * - a custom emoji is `:name:` (read back as text: connectors decide);
 * - a spoiler is `||text||`. XEP-0393 has no spoilers; `||` is the
 *   convention Discord, Element and several XMPP clients share, so we write
 *   it and read `||text||` back as a spoiler. It is written innermost
 *   (`*||secret||*`), since a styling directive cannot open after `|`.
 * - A mention is written as the shown name, with no `@` added (XMPP clients
 *   highlight the nick), and covered by a `mention` reference with
 *   `uri="xmpp:<jid>"` whose begin/end count code points. A mention without
 *   a JID is written as text, `@name`.
 *
 * Reading references: a `mention` reference whose range lies inside one run
 * of plain text becomes a mention of that JID (a leading `@` in the covered
 * text is not part of the name). Ranges outside the body, inverted, empty,
 * overlapping another, crossing a styling directive or inside preformatted
 * text are ignored, never thrown on.
 *
 * XEP-0393 has no escape: text that contains directive characters is
 * written as it is and may be styled by the reader. The writer only emits a
 * directive where the XEP's rules make it one (at the start of a line, after
 * white space or after another opening directive), and writes the content
 * unstyled where they do not (e.g. bold in the middle of a word).
 *
 * Bodies are read with styling-parse.ts, which applies the rules of
 * @parley/stanza's `parseStyling` (and is tested against it) in linear time
 * and with bounded nesting, and reports offsets for the references.
 */
import { buildMention, type Reference } from "@parley/stanza";
import { type Block, mentionLabel, needsBlankLine, type RichText } from "./ast.ts";
import { listItemMarker } from "./block-lines.ts";
import {
  append,
  buildTree,
  flattenInlines,
  type Leaf,
  type Run,
  type RunTree,
  runsToInlines,
  STYLE_BIT,
  splitLines,
  tidyRuns,
  type WrapperOrder,
} from "./inline-runs.ts";
import { normalizeRichText } from "./normalize.ts";
import { plainLineOf } from "./plain-line.ts";
import { type BlockAt, parseStylingAt, type SpanAt } from "./styling-parse.ts";
import { codePointLength, isBlankLine, isSpaceChar } from "./text-chars.ts";
import { bareUrlEnd } from "./urls.ts";

// --- reading -------------------------------------------------------------------

interface MentionRange {
  readonly start: number;
  readonly end: number;
  readonly jid: string;
}

/** The XMPP body (and its XEP-0372 references) as a tree. */
export function fromStyling(body: string, references: readonly Reference[] = []): RichText {
  const text = typeof body === "string" ? body : "";
  const reader = new StylingReader(text, mentionRanges(text, Array.isArray(references) ? references : []));
  return normalizeRichText({ blocks: reader.blocks(parseStylingAt(text)) });
}

/** Valid mention references as UTF-16 ranges of `body`, sorted, without overlaps. */
function mentionRanges(body: string, refs: readonly Reference[]): MentionRange[] {
  const wanted = refs.filter(
    (r) =>
      r?.type === "mention" &&
      typeof r.uri === "string" &&
      r.uri.startsWith("xmpp:") &&
      Number.isSafeInteger(r.begin) &&
      Number.isSafeInteger(r.end),
  );
  if (wanted.length === 0) return [];
  // Code point index -> UTF-16 offset.
  const offsets: number[] = [];
  for (let i = 0; i < body.length; i++) {
    offsets.push(i);
    const c = body.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = body.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  offsets.push(body.length);
  const cps = offsets.length - 1;
  const ranges: MentionRange[] = [];
  const seen = new Set<string>();
  for (const r of wanted) {
    const begin = r.begin as number;
    const end = r.end as number;
    if (begin < 0 || end > cps || begin >= end) continue;
    const jid = (r.uri.slice("xmpp:".length).split("?")[0] ?? "").trim();
    if (jid === "") continue;
    const key = `${begin} ${end} ${jid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ranges.push({ start: offsets[begin] as number, end: offsets[end] as number, jid });
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  // Overlapping references contradict each other: keep neither.
  const bad = new Set<number>();
  let reach = -1;
  let reacher = -1;
  ranges.forEach((m, k) => {
    if (m.start < reach) {
      bad.add(k);
      bad.add(reacher);
    }
    if (m.end > reach) {
      reach = m.end;
      reacher = k;
    }
  });
  return ranges.filter((_, k) => !bad.has(k));
}

const SPAN_STYLE = { strong: STYLE_BIT.bold, emphasis: STYLE_BIT.italic, strike: STYLE_BIT.strike } as const;

class StylingReader {
  private readonly s: string;
  private readonly mentions: readonly MentionRange[];
  /** The next mention not yet placed; plain text is visited in body order. */
  private nextMention = 0;

  constructor(body: string, mentions: readonly MentionRange[]) {
    this.s = body;
    this.mentions = mentions;
  }

  blocks(parsed: readonly BlockAt[]): Block[] {
    const out: Block[] = [];
    let lines: Run[][] = [];
    const flush = () => {
      if (lines.length === 0) return;
      const runs: Run[] = [];
      lines.forEach((l, k) => {
        if (k > 0) runs.push({ styles: 0, link: undefined, leaf: { type: "linebreak" } });
        append(runs, l);
      });
      out.push({ type: "paragraph", children: runsToInlines(tidyRuns(runs)) });
      lines = [];
    };
    for (const b of parsed) {
      if (b.type === "line") {
        if (isBlankLine(this.s, b.start, b.end)) flush();
        else lines.push(this.spanRuns(b.spans, 0));
        continue;
      }
      flush();
      if (b.type === "pre") {
        const lang = b.info.trim().split(/\s+/)[0] ?? "";
        const text = b.lines.map((l) => this.s.slice(l.start, l.end)).join("\n");
        out.push(lang === "" ? { type: "code_block", text } : { type: "code_block", lang, text });
      } else {
        out.push({ type: "quote", children: this.blocks(b.children) });
      }
    }
    flush();
    return out;
  }

  private spanRuns(spans: readonly SpanAt[], styles: number): Run[] {
    const out: Run[] = [];
    for (const sp of spans) {
      if (sp.type === "plain") append(out, this.plainRuns(sp.start, sp.end, styles));
      else if (sp.type === "pre") {
        out.push({ styles, link: undefined, leaf: { type: "code", text: this.s.slice(sp.start, sp.end) } });
      } else append(out, this.spanRuns(sp.children, styles | SPAN_STYLE[sp.type]));
    }
    return out;
  }

  /** Mentions inside [start, end), skipping those that began earlier (they cross a directive). */
  private mentionsIn(start: number, end: number): MentionRange[] {
    const out: MentionRange[] = [];
    while (this.nextMention < this.mentions.length) {
      const m = this.mentions[this.nextMention] as MentionRange;
      if (m.start < start) {
        this.nextMention++;
        continue;
      }
      if (m.end > end) {
        if (m.start < end) this.nextMention++;
        break;
      }
      out.push(m);
      this.nextMention++;
    }
    return out;
  }

  /** Plain text: mentions by reference, `||spoilers||`, bare URLs. */
  private plainRuns(start: number, end: number, styles: number): Run[] {
    const s = this.s;
    const mentions = this.mentionsIn(start, end);
    // Pieces: text between mentions, and the mentions themselves.
    type Piece = { kind: "text"; start: number; end: number } | { kind: "mention"; m: MentionRange };
    const pieces: Piece[] = [];
    let at = start;
    for (const m of mentions) {
      if (m.start > at) pieces.push({ kind: "text", start: at, end: m.start });
      pieces.push({ kind: "mention", m });
      at = m.end;
    }
    if (at < end) pieces.push({ kind: "text", start: at, end });

    // `||` markers outside mentions, then lazy pairing.
    const markers: number[] = [];
    for (const p of pieces) {
      if (p.kind !== "text") continue;
      for (let i = p.start; i + 1 < p.end; i++) {
        if (s.charCodeAt(i) === 0x7c && s.charCodeAt(i + 1) === 0x7c) {
          markers.push(i);
          i++;
        }
      }
    }
    const canClose = markers.map((m) => m > start && !isSpaceChar(s[m - 1]));
    // nextCloser[k]: the first marker index >= k that can close.
    const nextCloser = new Int32Array(markers.length + 1).fill(markers.length);
    for (let k = markers.length - 1; k >= 0; k--) nextCloser[k] = canClose[k] ? k : (nextCloser[k + 1] as number);
    const role = new Map<number, "open" | "close">();
    for (let k = 0; k < markers.length; k++) {
      const m = markers[k] as number;
      if (m + 2 >= end || isSpaceChar(s[m + 2])) continue;
      let c = nextCloser[k + 1] as number;
      if (c < markers.length && markers[c] === m + 2) c = nextCloser[c + 1] as number; // `||||` holds nothing
      if (c >= markers.length) break; // no closer for this one, nor for any later opener
      role.set(m, "open");
      role.set(markers[c] as number, "close");
      k = c;
    }

    const out: Run[] = [];
    let spoiler = 0;
    const pushText = (from: number, to: number) => {
      const st = styles | spoiler;
      let i = from;
      let textFrom = from;
      while (i < to) {
        const e = bareUrlEnd(s, i, to, from);
        if (e > i) {
          if (i > textFrom)
            out.push({ styles: st, link: undefined, leaf: { type: "text", text: s.slice(textFrom, i) } });
          out.push({ styles: st, link: undefined, leaf: { type: "autolink", url: s.slice(i, e) } });
          i = e;
          textFrom = e;
        } else i++;
      }
      if (to > textFrom) out.push({ styles: st, link: undefined, leaf: { type: "text", text: s.slice(textFrom, to) } });
    };
    for (const p of pieces) {
      if (p.kind === "mention") {
        const covered = s.slice(p.m.start, p.m.end);
        const name = covered.length > 1 && covered.startsWith("@") ? covered.slice(1) : covered;
        out.push({
          styles: styles | spoiler,
          link: undefined,
          leaf: { type: "mention", name, target: { jid: p.m.jid } },
        });
        continue;
      }
      let from = p.start;
      for (let i = p.start; i < p.end; i++) {
        const r = role.get(i);
        if (r === undefined) continue;
        pushText(from, i);
        spoiler = r === "open" ? STYLE_BIT.spoiler : 0;
        i++;
        from = i + 1;
      }
      pushText(from, p.end);
    }
    return out;
  }
}

// --- writing -------------------------------------------------------------------

interface MentionAt {
  /** Code points from the start of the line or piece. */
  readonly begin: number;
  readonly end: number;
  readonly jid: string;
}

interface OutLine {
  readonly text: string;
  readonly mentions: readonly MentionAt[];
  /** Must start at the left edge of its container: a list cannot indent it (quotes and fences). */
  readonly anchored: boolean;
}

/** The tree as an XMPP body and the mention references that go with it. */
export function toStyling(doc: RichText): { body: string; references: Reference[] } {
  const plain = plainLineOf(doc);
  if (plain !== undefined) return { body: plain, references: [] };
  const lines = writeBlocks(normalizeRichText(doc).blocks);
  const references: Reference[] = [];
  let offset = 0;
  const parts: string[] = [];
  for (const l of lines) {
    for (const m of l.mentions)
      references.push(buildMention({ jid: m.jid, begin: offset + m.begin, end: offset + m.end }));
    parts.push(l.text);
    offset += codePointLength(l.text) + 1;
  }
  return { body: parts.join("\n"), references };
}

function shift(mentions: readonly MentionAt[], by: number): MentionAt[] {
  return mentions.map((m) => ({ begin: m.begin + by, end: m.end + by, jid: m.jid }));
}

function prefixLine(l: OutLine, prefix: string, anchored: boolean): OutLine {
  return { text: prefix + l.text, mentions: shift(l.mentions, codePointLength(prefix)), anchored };
}

function writeBlocks(blocks: readonly Block[]): OutLine[] {
  const out: OutLine[] = [];
  blocks.forEach((b, k) => {
    const prev = blocks[k - 1];
    if (prev !== undefined && needsBlankLine(prev, b)) out.push({ text: "", mentions: [], anchored: false });
    append(out, writeBlock(b));
  });
  return out;
}

function writeBlock(b: Block): OutLine[] {
  switch (b.type) {
    case "paragraph":
      return splitLines(flattenInlines(b.children)).map((line) => writeLine(line));
    case "heading":
      return [writeLine(flattenInlines(b.children).map((r) => ({ ...r, styles: r.styles | STYLE_BIT.bold })))];
    case "code_block": {
      // A content line of exactly ``` would end the block early; a trailing space keeps it content.
      const body = b.text.split("\n").map((l) => (l === "```" ? "``` " : l));
      return [`\`\`\`${b.lang ?? ""}`, ...body, "```"].map((text) => ({ text, mentions: [], anchored: true }));
    }
    case "quote":
      return writeBlocks(b.children).map((l) => (l.text === "" ? prefixLine(l, ">", true) : prefixLine(l, "> ", true)));
    case "list": {
      const out: OutLine[] = [];
      b.items.forEach((item, i) => {
        const marker = listItemMarker(b, i);
        const pad = " ".repeat(marker.length + 1);
        const inner = writeBlocks(item);
        const first = inner[0];
        if (first === undefined || first.anchored) out.push({ text: marker, mentions: [], anchored: false });
        inner.forEach((l, k) => {
          if (k === 0 && !l.anchored) out.push(prefixLine(l, `${marker} `, false));
          else if (l.anchored || l.text === "") out.push(l);
          else out.push(prefixLine(l, pad, false));
        });
      });
      return out;
    }
  }
}

/** Wrappers the XEP-0393 writer nests; spoilers are handled at the leaves, underline is not written. */
const STYLING_ORDER: WrapperOrder = ["link", "strike", "bold", "italic"];
const DIRECTIVE = { bold: "*", italic: "_", strike: "~" } as const;

interface Piece {
  readonly text: string;
  /** Code points in `text`. */
  readonly cps: number;
  readonly mentions: readonly MentionAt[];
}

/** What comes before the next piece: the line start, or a character and whether it opened a span. */
interface Context {
  readonly prev: string | undefined;
  readonly afterOpener: boolean;
}

const piece = (text: string, mentions: readonly MentionAt[] = []): Piece => ({
  text,
  cps: codePointLength(text),
  mentions,
});

/** Joins pieces in linear time, however many there are. */
class PieceJoiner {
  private readonly parts: string[] = [];
  private readonly mentions: MentionAt[] = [];
  private cps = 0;

  add(p: Piece): void {
    if (p.text === "") return;
    for (const m of p.mentions) this.mentions.push({ begin: m.begin + this.cps, end: m.end + this.cps, jid: m.jid });
    this.parts.push(p.text);
    this.cps += p.cps;
  }

  piece(): Piece {
    return { text: this.parts.join(""), cps: this.cps, mentions: this.mentions };
  }
}

function after(ctx: Context, p: Piece): Context {
  return p.text === "" ? ctx : { prev: p.text[p.text.length - 1], afterOpener: false };
}

function writeLine(runs: readonly Run[]): OutLine {
  const p = writeNodes(buildTree(tidyRuns(runs), STYLING_ORDER), { prev: undefined, afterOpener: false });
  return { text: p.text, mentions: p.mentions, anchored: false };
}

function writeNodes(nodes: readonly RunTree[], ctx: Context): Piece {
  const out = new PieceJoiner();
  let c = ctx;
  let i = 0;
  while (i < nodes.length) {
    const n = nodes[i] as RunTree;
    let p: Piece;
    if ("leaf" in n && isSpoilerLeaf(n)) {
      const group: Leaf[] = [];
      while (i < nodes.length) {
        const m = nodes[i] as RunTree;
        if (!("leaf" in m) || !isSpoilerLeaf(m)) break;
        group.push(m.leaf);
        i++;
      }
      p = writeSpoiler(group);
    } else {
      p = "leaf" in n ? writeLeaf(n.leaf, c) : writeWrapper(n, c);
      i++;
    }
    out.add(p);
    c = after(c, p);
  }
  return out.piece();
}

function isSpoilerLeaf(n: { leaf: Leaf; run: Run }): boolean {
  return (n.run.styles & STYLE_BIT.spoiler) !== 0 && n.leaf.type !== "code";
}

function canOpen(ctx: Context, d: string): boolean {
  return ctx.prev === undefined || isSpaceChar(ctx.prev) || (ctx.afterOpener && ctx.prev !== d);
}

const NON_DIRECTIVE = /[^*_~`]/;

/** Whether `d` + `content` + `d` parses as exactly one span: the first valid closer is the last `d`. */
function closesAtEnd(d: string, content: string): boolean {
  if (content === "" || isSpaceChar(content[0]) || isSpaceChar(content[content.length - 1])) return false;
  const f = content.search(NON_DIRECTIVE);
  if (f < 0) return false;
  for (let k = Math.max(1, f + 1); k < content.length; k++) {
    if (content[k] === d && !isSpaceChar(content[k - 1])) return false;
  }
  return true;
}

function writeWrapper(n: Extract<RunTree, { wrap: unknown }>, ctx: Context): Piece {
  const w = n.wrap;
  if ("link" in w) {
    const out = new PieceJoiner();
    out.add(writeNodes(n.children, ctx));
    out.add(piece(` (${w.link.url})`));
    return out.piece();
  }
  if (w.style !== "bold" && w.style !== "italic" && w.style !== "strike") return writeNodes(n.children, ctx);
  const d = DIRECTIVE[w.style];
  if (canOpen(ctx, d)) {
    const inner = writeNodes(n.children, { prev: d, afterOpener: true });
    if (closesAtEnd(d, inner.text))
      return { text: d + inner.text + d, cps: inner.cps + 2, mentions: shift(inner.mentions, 1) };
  }
  return writeNodes(n.children, ctx);
}

function writeLeaf(leaf: Leaf, ctx: Context): Piece {
  switch (leaf.type) {
    case "text":
      return piece(leaf.text);
    case "autolink":
      return piece(leaf.url);
    case "emoji":
      return piece(`:${leaf.name}:`);
    case "mention": {
      const jid = leaf.target.jid;
      if (jid === undefined || jid === "") return piece(mentionLabel(leaf.name, leaf.target));
      const p = piece(leaf.name);
      return { ...p, mentions: [{ begin: 0, end: p.cps, jid }] };
    }
    case "code": {
      // Pre spans cannot start or end with white space: keep it outside the directives.
      const t = leaf.text;
      const core = t.trim();
      if (core === "") return piece(t);
      const lead = t.slice(0, t.indexOf(core));
      const trail = t.slice(lead.length + core.length);
      const c = lead === "" ? ctx : { prev: lead[lead.length - 1], afterOpener: false };
      const text = canOpen(c, "`") && closesAtEnd("`", core) ? `\`${core}\`` : core;
      return piece(lead + text + trail);
    }
    case "linebreak":
      return piece("");
  }
}

/** `||text||` around leaves (never code: a pre span cannot open after `|`), white space kept outside. */
function writeSpoiler(leaves: readonly Leaf[]): Piece {
  const joined = new PieceJoiner();
  const plain: Context = { prev: "|", afterOpener: false };
  for (const l of leaves) joined.add(writeLeaf(l, plain));
  const p = joined.piece();
  const t = p.text;
  const core = t.trim();
  if (core === "" || core.includes("||")) return p;
  const lead = t.slice(0, t.indexOf(core));
  const leadCps = codePointLength(lead);
  const endCps = leadCps + codePointLength(core);
  const mentions = p.mentions.map((m) => ({
    jid: m.jid,
    begin: m.begin + (m.begin >= leadCps ? 2 : 0) + (m.begin >= endCps ? 2 : 0),
    end: m.end + (m.end > leadCps ? 2 : 0) + (m.end > endCps ? 2 : 0),
  }));
  return { text: `${lead}||${core}||${t.slice(lead.length + core.length)}`, cps: p.cps + 4, mentions };
}
