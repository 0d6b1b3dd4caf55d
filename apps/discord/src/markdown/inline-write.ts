/**
 * Inline content as Discord markdown that reads back as the same content.
 *
 * Text is escaped wherever it could read as markup (`*`, `_`, `~`, `|`,
 * backticks, brackets, `<`, backslashes, `http://`, `@everyone` and
 * `@here`, and block markers at the start of a line), so text from XMPP
 * never turns into formatting or pings on Discord.
 *
 * Styles are delimiters around their content. Discord's syntax cannot
 * spell every arrangement in every order (`*` next to `**` reads as `***`,
 * `_` cannot open inside a word), so each spelling is read back with the
 * reader before it is used: first the canonical tree with `_` or `*` for
 * italic wherever each reads right, then trees nested in other orders.
 * When none reads back (rare: italic around bold inside a word), italic is
 * left out rather than risk stray asterisks, and the result says so.
 *
 * A bare link is written bare unless the text after it would run into it;
 * then it is written `<url>`, which Discord shows without a preview.
 */
import { type Inline, type InlineStyle, normalizeRichText } from "@parley/bridge";
import { charAt, charBefore, isWordChar } from "./chars.ts";
import { encodeBackticks } from "./code-text.ts";
import type { Resolver } from "./context.ts";
import { RAW_MARKUP } from "./discord-view.ts";
import { readInline } from "./inline-read.ts";
import { buildInlines, inlinesToRuns, type Run, runsToInlines, STYLE_BIT } from "./runs.ts";
import { bareUrlEnd } from "./urls.ts";

/** Reads written text back for comparison: names are the ids, so equal markup compares equal. */
const CHECK: Resolver = {
  user: (id) => id,
  role: (id) => id,
  channel: (id) => id,
  emojiUrl: (id, animated) => `${animated ? "a" : ""}${id}`,
};

const DELIMITER = { bold: "**", underline: "__", strike: "~~", spoiler: "||" } as const;

/** Nesting orders tried after the canonical tree, outermost first. */
const ORDERS: ReadonlyArray<readonly InlineStyle[]> = [
  ["strike", "underline", "spoiler", "bold", "italic"],
  ["italic", "strike", "underline", "spoiler", "bold"],
  ["bold", "italic", "underline", "strike", "spoiler"],
];

const ITALIC_MODES = ["underscore", "star", "always-star"] as const;
type ItalicMode = (typeof ITALIC_MODES)[number];

export interface WrittenInline {
  readonly text: string;
  /** False when no spelling read back exactly and italic was left out. */
  readonly exact: boolean;
}

/**
 * Normalized inline content (from `discordView`) as markdown; `lineStart`
 * when it begins a line, where block markers in text need escaping.
 */
export function writeInline(children: readonly Inline[], lineStart: boolean): WrittenInline {
  const wanted = comparable(expandMarkup(children));
  const runs = inlinesToRuns(children);
  const trees = function* () {
    yield children;
    for (const order of ORDERS) yield buildInlines(runs, order);
  };
  let first: string | undefined;
  for (const tree of trees()) {
    const pieces = toPieces(tree, lineStart);
    const modes: readonly ItalicMode[] = pieces.some((p) => "italic" in p) ? ITALIC_MODES : ["always-star"];
    for (const mode of modes) {
      const text = assemble(resolveItalics(pieces, mode));
      first ??= text;
      if (comparable(runsToInlines(readInline(text, CHECK))) === wanted) return { text, exact: true };
    }
  }
  const withoutItalic = runs.map((r): Run => ({ ...r, styles: r.styles & ~STYLE_BIT.italic }));
  const tree = normalizeRichText({ blocks: [{ type: "paragraph", children: runsToInlines(withoutItalic) }] });
  const block = tree.blocks[0];
  const text =
    block?.type === "paragraph" ? assemble(resolveItalics(toPieces(block.children, lineStart), "always-star")) : first;
  return { text: text ?? "", exact: false };
}

/** Content with each mention's markup replaced by what the reader makes of it. */
function expandMarkup(nodes: readonly Inline[]): Inline[] {
  const out: Inline[] = [];
  for (const n of nodes) {
    if (n.type === "mention" && n.target.network === RAW_MARKUP) {
      for (const x of runsToInlines(readInline(n.name, CHECK))) out.push(x);
    } else if (n.type === "link") out.push({ ...n, children: expandMarkup(n.children) });
    else if ("children" in n) out.push({ type: n.type, children: expandMarkup(n.children) });
    else out.push(n);
  }
  return out;
}

function comparable(children: Inline[]): string {
  return JSON.stringify(normalizeRichText({ blocks: [{ type: "paragraph", children }] }));
}

/**
 * A written piece. Bare links and italic delimiters are settled once their
 * neighbours are known: a URL is written bare only where it reads back
 * whole, italic is `_` or `*` per pair.
 */
type Piece =
  | { readonly s: string; readonly delim?: boolean }
  | { readonly url: string }
  | { readonly italic: "open" | "close"; readonly pair: number };

function toPieces(nodes: readonly Inline[], lineStart: boolean): Piece[] {
  const out: Piece[] = [];
  const state = { lineStart, italics: 0 };
  const walk = (ns: readonly Inline[]) => {
    for (const n of ns) {
      const atStart = state.lineStart;
      state.lineStart = false;
      switch (n.type) {
        case "text":
          out.push({ s: escapeText(n.text, atStart) });
          break;
        case "linebreak":
          out.push({ s: "\n" });
          state.lineStart = true;
          break;
        case "code":
          out.push({ s: codeSpan(n.text) });
          break;
        case "mention":
          out.push({ s: n.target.network === RAW_MARKUP ? n.name : escapeText(`@${n.name}`, atStart) });
          break;
        case "emoji":
          out.push({ s: escapeText(`:${n.name}:`, atStart) });
          break;
        case "link":
          if (n.children.length === 0) out.push({ url: n.url });
          else {
            out.push({ s: "[", delim: true });
            walk(n.children);
            out.push({ s: `](${destination(n.url)})`, delim: true });
          }
          break;
        case "italic": {
          const pair = state.italics++;
          out.push({ italic: "open", pair });
          walk(n.children);
          out.push({ italic: "close", pair });
          break;
        }
        default: {
          const d = DELIMITER[n.type];
          out.push({ s: d, delim: true });
          walk(n.children);
          out.push({ s: d, delim: true });
        }
      }
    }
  };
  walk(nodes);
  return out;
}

function assemble(pieces: readonly Piece[]): string {
  let out = "";
  pieces.forEach((p, k) => {
    if ("s" in p) out += p.s;
    else if ("url" in p) out += bareReadsBack(p.url, following(pieces, k)) ? p.url : `<${p.url}>`;
  });
  return out;
}

function bareReadsBack(url: string, after: string): boolean {
  return bareUrlEnd(url, 0) === url.length && bareUrlEnd(url + after, 0) === url.length;
}

/**
 * What follows piece `k`, as far as it could extend a bare URL. A URL
 * right after counts as more URL characters, so the first of two is
 * written `<...>`.
 */
function following(pieces: readonly Piece[], k: number): string {
  let s = "";
  for (let j = k + 1; j < pieces.length && s.length < 64; j++) {
    const p = pieces[j] as Piece;
    if ("url" in p) return `${s}x`;
    if ("s" in p) s += p.s;
    else s += "*";
  }
  return s;
}

function resolveItalics(input: readonly Piece[], mode: ItalicMode): Piece[] {
  const pieces = [...input];
  const opens = new Map<number, number>();
  pieces.forEach((p, k) => {
    if ("italic" in p && p.italic === "open") opens.set(p.pair, k);
  });
  pieces.forEach((p, q) => {
    if (!("italic" in p) || p.italic !== "close") return;
    const o = opens.get(p.pair) as number;
    const around = [
      neighbour(pieces, o, -1),
      neighbour(pieces, o, 1),
      neighbour(pieces, q, -1),
      neighbour(pieces, q, 1),
    ];
    const touches = (c: string) => around.some((n) => n.delim && n.s.includes(c));
    const before = (around[0] as Neighbour).s;
    const outside = [charBefore(before, before.length), charAt((around[3] as Neighbour).s, 0)];
    const underscore = !touches("_") && !outside.some((c) => isWordChar(c));
    let d = "*";
    if (mode === "underscore") d = underscore ? "_" : "*";
    else if (mode === "star") d = touches("*") && underscore ? "_" : "*";
    pieces[o] = { s: d, delim: true };
    pieces[q] = { s: d, delim: true };
  });
  return pieces;
}

interface Neighbour {
  readonly s: string;
  readonly delim: boolean;
}

/** The nearest non-empty piece before (-1) or after (1) piece `k`; a URL counts as a word. */
function neighbour(pieces: readonly Piece[], k: number, dir: -1 | 1): Neighbour {
  for (let j = k + dir; j >= 0 && j < pieces.length; j += dir) {
    const p = pieces[j] as Piece;
    if ("url" in p) return { s: "h", delim: false };
    if ("italic" in p) return { s: "*", delim: true };
    if (p.s !== "") return { s: p.s, delim: p.delim === true };
  }
  return { s: "", delim: false };
}

const ALWAYS_ESCAPED = /[\\`*_~|[\]<]/g;

/** Text with every character that could read as Discord markup escaped. */
export function escapeText(s: string, lineStart: boolean): string {
  let t = s.replace(ALWAYS_ESCAPED, "\\$&");
  // A URL in text must stay text (`http\://` is no link), and text must not ping.
  t = t.replace(/(https?):\/\//gi, "$1\\://").replace(/@(?=everyone|here)/g, "\\@");
  if (lineStart) {
    if (/^[#>+-]/.test(t)) t = `\\${t}`;
    else t = t.replace(/^(\d+)\./, "$1\\.");
  }
  return t;
}

/**
 * Code in one or two backticks (three start a code block in Discord), with
 * runs of backticks broken up (see code-text.ts) and a space of padding
 * where the code starts or ends with a backtick.
 */
function codeSpan(text: string): string {
  const t = encodeBackticks(text);
  const fence = t.includes("`") ? "``" : "`";
  const head = /^ *`/.test(t) ? " " : "";
  const tail = /` *$/.test(t) ? " " : "";
  return `${fence}${head}${t}${tail}${fence}`;
}

/**
 * A link destination that reads back as `url`: as it is when its
 * parentheses pair up one level deep (what Discord's own link syntax
 * allows), else with them escaped.
 */
function destination(url: string): string {
  if (!/[<>\\]/.test(url) && /^(?:[^()]|\([^()]*\))*$/.test(url)) return url;
  return url.replace(/[()<>\\]/g, "\\$&");
}
