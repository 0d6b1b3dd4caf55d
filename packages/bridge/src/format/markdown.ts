/**
 * A generic chat Markdown to and from the rich-text tree: the dialect most
 * chat networks speak with small variations (Discord's is close to it), used
 * by the reference connector and as a base for connectors whose markup is
 * Markdown-like.
 *
 * Inline: `**bold**`, `*italic*` and `_italic_`, `__underline__`,
 * `~~strike~~`, `||spoiler||`, `` `code` ``, `[text](url)`, `<url>` and bare
 * http(s) URLs, backslash escapes, `<@id>` user mentions (the caller
 * resolves names); `:name:` stays text (each connector decides what its
 * emoji look like). See markdown-inline.ts.
 *
 * Blocks, each recognised only at the start of a line: fenced code blocks
 * (```` ```lang ````), `> ` quotes, `#` to `######` headings, `-`, `*`, `+`
 * and `1.` / `1)` lists whose continuation lines are indented by the width
 * of the marker, and paragraphs. As in chat, every newline inside a
 * paragraph is a line break and any block start interrupts a paragraph; an
 * empty line ends a paragraph, quote or list. Spaces at the ends of
 * paragraph lines do not count. Quotes and lists nest at most
 * MAX_BLOCK_DEPTH deep: deeper markers are text.
 *
 * `toMarkdown` escapes whatever would otherwise read as markup, so
 * `fromMarkdown(toMarkdown(doc))` gives back `doc` as normalized with
 * `trimLineEdges`, except that mentions come back as the ids they were
 * written with (a mention without an id is written `@name`) and custom
 * emoji as `:name:` text. Neither function throws on any input.
 */
import { type Block, type Inline, MAX_BLOCK_DEPTH, type MentionTarget, mentionLabel, type RichText } from "./ast.ts";
import { blockLines, listLines } from "./block-lines.ts";
import {
  alternativeTrees,
  canonicalTree,
  flattenInlines,
  type Leaf,
  type Run,
  type RunTree,
  runsToInlines,
  STYLE_BIT,
  tidyRuns,
} from "./inline-runs.ts";
import { AUTOLINK, MENTION_ID, parseInlineMarkdown } from "./markdown-inline.ts";
import { escapeMarkupText, ITALIC_MODES, type MarkupPiece, resolveItalics, STYLE_DELIMITER } from "./markup-pieces.ts";
import { codeLang, normalizeRichText } from "./normalize.ts";
import { isPlainLine, plainLineDoc } from "./plain-line.ts";
import { isBlankLine, isWordChar, trimBlanks } from "./text-chars.ts";
import { bareUrlEnd, isBareUrl } from "./urls.ts";

// --- reading -------------------------------------------------------------------

const FENCE = /^(`{3,})([^`]*)$/;
const HEADING = /^(#{1,6})[ \t]+(.*)$/s; // s: a heading may hold U+2028, which "." would not match
const BULLET = /^([-*+])(?: |$)/;
const ORDERED = /^(\d{1,9})([.)])(?: |$)/;

interface ItemStart {
  readonly ordered: boolean;
  /** The bullet character, or the delimiter after the number. */
  readonly mark: string;
  readonly number: number;
  /** Width of the marker and its space: continuation lines are indented by it. */
  readonly width: number;
}

function itemStart(line: string): ItemStart | undefined {
  const b = BULLET.exec(line);
  if (b) return { ordered: false, mark: b[1] as string, number: 1, width: 2 };
  const o = ORDERED.exec(line);
  if (o) return { ordered: true, mark: o[2] as string, number: Number(o[1]), width: (o[1] as string).length + 2 };
  return undefined;
}

function headingOf(line: string): { level: number; text: string } | undefined {
  const h = HEADING.exec(line);
  if (!h) return undefined;
  const text = trimBlanks(h[2] as string);
  return text === "" ? undefined : { level: (h[1] as string).length, text };
}

function startsBlock(line: string, depth: number): boolean {
  if (FENCE.test(line) || headingOf(line) !== undefined) return true;
  return depth < MAX_BLOCK_DEPTH && (line.startsWith(">") || itemStart(line) !== undefined);
}

/** Generic Markdown as a tree. */
export function fromMarkdown(src: string): RichText {
  const text = typeof src === "string" ? src : "";
  if (isPlainLine(text)) return plainLineDoc(text);
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  return normalizeRichText({ blocks: parseBlocks(lines, 0) }, { trimLineEdges: true });
}

function parseBlocks(lines: readonly string[], depth: number): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (isBlankLine(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const size = (fence[1] as string).length;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i] as string;
        i++;
        const close = /^(`{3,})[ \t]*$/.exec(l);
        if (close && (close[1] as string).length >= size) break;
        body.push(l);
      }
      const lang = codeLang(fence[2]);
      out.push(
        lang === undefined
          ? { type: "code_block", text: body.join("\n") }
          : { type: "code_block", lang, text: body.join("\n") },
      );
      continue;
    }
    const h = headingOf(line);
    if (h) {
      out.push({ type: "heading", level: h.level as 1, children: runsToInlines(parseInlineMarkdown(h.text)) });
      i++;
      continue;
    }
    if (depth < MAX_BLOCK_DEPTH && line.startsWith(">")) {
      const inner: string[] = [];
      while (i < lines.length && (lines[i] as string).startsWith(">")) {
        const l = lines[i] as string;
        inner.push(l[1] === " " || l[1] === "\t" ? l.slice(2) : l.slice(1));
        i++;
      }
      out.push({ type: "quote", children: parseBlocks(inner, depth + 1) });
      continue;
    }
    const first = depth < MAX_BLOCK_DEPTH ? itemStart(line) : undefined;
    if (first) {
      const items: Block[][] = [];
      let start = first;
      for (;;) {
        const content = [(lines[i] as string).slice(start.width)];
        i++;
        const pad = " ".repeat(start.width);
        while (i < lines.length) {
          const l = lines[i] as string;
          if (l.startsWith(pad)) {
            content.push(l.slice(start.width));
            i++;
            continue;
          }
          if (!isBlankLine(l)) break;
          // Empty lines belong to the item only when an indented line follows them.
          let k = i;
          while (k < lines.length && isBlankLine(lines[k] as string) && !(lines[k] as string).startsWith(pad)) k++;
          if (k >= lines.length || !(lines[k] as string).startsWith(pad)) break;
          for (; i < k; i++) content.push("");
        }
        items.push(parseBlocks(content, depth + 1));
        const next = i < lines.length ? itemStart(lines[i] as string) : undefined;
        if (next === undefined || next.ordered !== first.ordered || next.mark !== first.mark) break;
        start = next;
      }
      out.push(
        first.ordered
          ? { type: "list", ordered: true, start: first.number, items }
          : { type: "list", ordered: false, items },
      );
      continue;
    }
    const para: string[] = [line];
    i++;
    while (i < lines.length && !isBlankLine(lines[i] as string) && !startsBlock(lines[i] as string, depth)) {
      para.push(lines[i] as string);
      i++;
    }
    const text = para.map(trimBlanks).join("\n");
    out.push({ type: "paragraph", children: runsToInlines(parseInlineMarkdown(text)) });
  }
  return out;
}

// --- writing -------------------------------------------------------------------

/** The tree as generic Markdown. */
export function toMarkdown(doc: RichText): string {
  return writeMarkdown(doc).text;
}

/**
 * `toMarkdown`, also telling whether all inline content reads back exactly.
 * A few arrangements have no Markdown spelling at all: italic around bold
 * inside a word (`x***a**b**c***y`) is read differently by every
 * CommonMark-style parser, ours included. The writer tries the spellings it
 * has and, when none reads back, keeps the text and says so here.
 */
export function writeMarkdown(doc: RichText): { text: string; exact: boolean } {
  const w = new MarkdownWriter();
  const text = w.blocks(normalizeRichText(doc, { trimLineEdges: true }).blocks).join("\n");
  return { text, exact: w.exact };
}

class MarkdownWriter {
  /** Cleared when some inline content has no spelling that reads back exactly. */
  exact = true;

  blocks(blocks: readonly Block[]): string[] {
    return blockLines(blocks, (b) => this.block(b));
  }

  private block(b: Block): string[] {
    switch (b.type) {
      case "paragraph":
        return this.inline(b.children, true).split("\n");
      case "heading":
        return [`${"#".repeat(b.level)} ${this.inline(b.children, false)}`];
      case "code_block": {
        const fence = "`".repeat(Math.max(3, longestRun(b.text, "`") + 1));
        return [fence + (b.lang ?? ""), ...b.text.split("\n"), fence];
      }
      case "quote":
        return this.blocks(b.children).map((l) => (l === "" ? ">" : `> ${l}`));
      case "list":
        return listLines(
          b,
          (item) => this.blocks(item),
          (marker) => marker,
        );
    }
  }

  /**
   * Inline content, in the first spelling that reads back as the same runs.
   * Only italic can be ambiguous (see ITALIC_MODES); when no tree and no
   * italic spelling reads back, the italic is left out rather than risk
   * stray asterisks in the text.
   */
  private inline(children: readonly Inline[], lineStart: boolean): string {
    const runs = flattenInlines(children);
    const write = (tree: RunTree[]) => {
      const pieces: MarkupPiece[] = [];
      writeNodes(tree, pieces, { lineStart, italics: 0 });
      return pieces;
    };
    const canonical = write(canonicalTree(runs));
    if (!canonical.some((p) => "italic" in p)) return assemble(canonical);
    const wanted = comparable(markdownRuns(runs));
    const attempts = function* () {
      yield canonical;
      for (const tree of alternativeTrees(runs)) yield write(tree);
    };
    for (const pieces of attempts()) {
      for (const mode of ITALIC_MODES) {
        const text = assemble(resolveItalics(pieces, mode, false));
        if (comparable(parseInlineMarkdown(text)) === wanted) return text;
      }
    }
    this.exact = false;
    return assemble(write(canonicalTree(runs.map((r) => ({ ...r, styles: r.styles & ~STYLE_BIT.italic })))));
  }
}

function longestRun(text: string, ch: string): number {
  let best = 0;
  let cur = 0;
  for (const c of text) {
    cur = c === ch ? cur + 1 : 0;
    if (cur > best) best = cur;
  }
  return best;
}

/** What Markdown carries of a run: a mention as its id (or its `@name` text), an emoji as `:name:`. */
function markdownRuns(runs: readonly Run[]): Run[] {
  return tidyRuns(
    runs.map((r): Run => {
      const leaf = r.leaf;
      if (leaf.type === "emoji") return { ...r, leaf: { type: "text", text: `:${leaf.name}:` } };
      if (leaf.type !== "mention") return r;
      const id = mentionId(leaf.target);
      if (id === undefined) return { ...r, leaf: { type: "text", text: mentionLabel(leaf.name, leaf.target) } };
      const kind = leaf.target.kind === "role" || leaf.target.kind === "channel" ? leaf.target.kind : "user";
      return { ...r, leaf: { type: "mention", name: id, target: { remoteId: id, kind } } };
    }),
  );
}

/** A mention's id when Markdown can carry it (`<@id>`), else undefined. */
function mentionId(t: MentionTarget): string | undefined {
  return t.remoteId !== undefined && MENTION_ID.test(t.remoteId) && t.kind !== "everyone" ? t.remoteId : undefined;
}

/** Runs as a string that is equal for equal content (link identities become their order). */
function comparable(runs: readonly Run[]): string {
  const links = new Map<number, number>();
  return JSON.stringify(
    tidyRuns(runs).map((r) => {
      let link: number | undefined;
      if (r.link) {
        link = links.get(r.link.id) ?? links.size;
        links.set(r.link.id, link);
      }
      return [r.styles, link, r.link?.url, r.leaf];
    }),
  );
}

function assemble(pieces: readonly MarkupPiece[]): string {
  const out: string[] = [];
  let last: string | undefined;
  const put = (s: string) => {
    if (s === "") return;
    out.push(s);
    last = s[s.length - 1];
  };
  pieces.forEach((p, k) => {
    if ("s" in p) {
      put(p.s);
      return;
    }
    if (!("url" in p)) return;
    const afterUrl = k > 0 && "url" in (pieces[k - 1] as MarkupPiece);
    const bare =
      !afterUrl &&
      !isWordChar(last) &&
      isBareUrl(p.url) &&
      bareUrlEnd(p.url + following(pieces, k), 0) === p.url.length;
    if (bare) put(p.url);
    else if (AUTOLINK.test(p.url)) put(`<${p.url}>`);
    else put(`[${escapeMarkupText(p.url, false)}](${destination(p.url)})`);
  });
  return out.join("");
}

const URL_STOP = /[\s<>[\]`|\\]/;

/**
 * What follows piece `k`, up to the first character that ends any bare URL.
 * A later URL reached first counts as more URL characters: the earlier one
 * is then written `<...>`, so the later one cannot be swallowed by it.
 */
function following(pieces: readonly MarkupPiece[], k: number): string {
  let s = "";
  for (let j = k + 1; j < pieces.length; j++) {
    const p = pieces[j] as MarkupPiece;
    if (!("s" in p)) return `${s}x`;
    s += p.s;
    if (URL_STOP.test(p.s)) break;
  }
  return s;
}

interface WriteState {
  lineStart: boolean;
  italics: number;
}

function writeNodes(nodes: readonly RunTree[], out: MarkupPiece[], state: WriteState): void {
  for (const n of nodes) {
    if ("leaf" in n) writeLeaf(n.leaf, out, state);
    else if ("link" in n.wrap) {
      out.push({ s: "[", delim: true });
      state.lineStart = false;
      writeNodes(n.children, out, state);
      out.push({ s: `](${destination(n.wrap.link.url)})`, delim: true });
    } else if (n.wrap.style === "italic") {
      const pair = state.italics++;
      out.push({ italic: "open", pair });
      state.lineStart = false;
      writeNodes(n.children, out, state);
      out.push({ italic: "close", pair });
    } else {
      const d = STYLE_DELIMITER[n.wrap.style];
      out.push({ s: d, delim: true });
      state.lineStart = false;
      writeNodes(n.children, out, state);
      out.push({ s: d, delim: true });
    }
  }
}

function writeLeaf(leaf: Leaf, out: MarkupPiece[], state: WriteState): void {
  const text = (s: string) => {
    out.push({ s: escapeMarkupText(s, state.lineStart) });
    state.lineStart = false;
  };
  switch (leaf.type) {
    case "text":
      text(leaf.text);
      return;
    case "linebreak":
      out.push({ s: "\n" });
      state.lineStart = true;
      return;
    case "code":
      out.push({ s: codeSpan(leaf.text) });
      break;
    case "autolink":
      out.push({ url: leaf.url });
      break;
    case "emoji":
      text(`:${leaf.name}:`);
      return;
    case "mention": {
      const id = mentionId(leaf.target);
      if (id === undefined) {
        text(mentionLabel(leaf.name, leaf.target));
        return;
      }
      const sigil = leaf.target.kind === "role" ? "@&" : leaf.target.kind === "channel" ? "#" : "@";
      out.push({ s: `<${sigil}${id}>` });
      break;
    }
  }
  state.lineStart = false;
}

function codeSpan(text: string): string {
  let n = 1;
  const runs = new Set<number>();
  let cur = 0;
  for (const c of `${text} `) {
    if (c === "`") cur++;
    else {
      if (cur > 0) runs.add(cur);
      cur = 0;
    }
  }
  while (runs.has(n)) n++;
  const fence = "`".repeat(n);
  const pad =
    text.startsWith("`") || text.endsWith("`") || (text.startsWith(" ") && text.endsWith(" ") && /[^ ]/.test(text));
  return pad ? `${fence} ${text} ${fence}` : fence + text + fence;
}

/** A link destination that reads back as `url`. */
function destination(url: string): string {
  let depth = 0;
  let balanced = true;
  for (const c of url) {
    if (c === "(") depth++;
    else if (c === ")" && --depth < 0) balanced = false;
  }
  if (balanced && depth === 0 && !/[\\<>]/.test(url) && !url.startsWith("<")) return url;
  return url.replace(/[\\()<>]/g, "\\$&");
}
