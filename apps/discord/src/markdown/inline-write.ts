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
import {
  bareUrlEnd,
  buildTree,
  escapeMarkupText,
  flattenInlines,
  type Inline,
  type InlineRun,
  ITALIC_MODES,
  type ItalicMode,
  type MarkupPiece,
  normalizeRichText,
  RUN_STYLE_BIT,
  resolveItalics,
  runsToInlines,
  STYLE_DELIMITER,
  type TreeOptions,
  treeInlines,
  type WrapperOrder,
} from "@parley/bridge";
import { encodeBackticks } from "./code-text.ts";
import type { Resolver } from "./context.ts";
import { RAW_MARKUP } from "./discord-view.ts";
import { readInline } from "./inline-read.ts";

/** Reads written text back for comparison: names are the ids, so equal markup compares equal. */
const CHECK: Resolver = {
  user: (id) => id,
  role: (id) => id,
  channel: (id) => id,
  emojiUrl: (id, animated) => `${animated ? "a" : ""}${id}`,
};

/**
 * Nesting orders tried after the canonical tree, outermost first: each
 * opens the first style in its order that covers a run, as far as it
 * reaches; links are always outermost and never split.
 */
const ORDERS: readonly WrapperOrder[] = [
  ["link", "strike", "underline", "spoiler", "bold", "italic"],
  ["link", "italic", "strike", "underline", "spoiler", "bold"],
  ["link", "bold", "italic", "underline", "strike", "spoiler"],
];

/**
 * How those trees are built. Letting them end wrappers next to spaces is
 * what this writer has always done; `buildTree`'s own care there would
 * sometimes find a spelling sooner, and change the text written.
 */
const FALLBACK_TREE: TreeOptions = { byOrder: true, endAtSpaces: true };

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
  const runs = flattenInlines(children);
  const trees = function* () {
    yield children;
    for (const order of ORDERS) yield treeInlines(buildTree(runs, order, FALLBACK_TREE));
  };
  let first: string | undefined;
  for (const tree of trees()) {
    const pieces = toPieces(tree, lineStart);
    const modes: readonly ItalicMode[] = pieces.some((p) => "italic" in p) ? ITALIC_MODES : ["always-star"];
    for (const mode of modes) {
      const text = assemble(resolveItalics(pieces, mode, true));
      first ??= text;
      if (comparable(runsToInlines(readInline(text, CHECK))) === wanted) return { text, exact: true };
    }
  }
  const withoutItalic = runs.map((r): InlineRun => ({ ...r, styles: r.styles & ~RUN_STYLE_BIT.italic }));
  const tree = normalizeRichText({ blocks: [{ type: "paragraph", children: runsToInlines(withoutItalic) }] });
  const block = tree.blocks[0];
  const text =
    block?.type === "paragraph"
      ? assemble(resolveItalics(toPieces(block.children, lineStart), "always-star", true))
      : first;
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

function toPieces(nodes: readonly Inline[], lineStart: boolean): MarkupPiece[] {
  const out: MarkupPiece[] = [];
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
          const d = STYLE_DELIMITER[n.type];
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

function assemble(pieces: readonly MarkupPiece[]): string {
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
function following(pieces: readonly MarkupPiece[], k: number): string {
  let s = "";
  for (let j = k + 1; j < pieces.length && s.length < 64; j++) {
    const p = pieces[j] as MarkupPiece;
    if ("url" in p) return `${s}x`;
    if ("s" in p) s += p.s;
    else s += "*";
  }
  return s;
}

/**
 * Text with every character that could read as Discord markup escaped
 * (Discord's lists take only `1.`), and `@everyone` / `@here` too: text
 * must never ping.
 */
export function escapeText(s: string, lineStart: boolean): string {
  return escapeMarkupText(s, lineStart, ".").replace(/@(?=everyone|here)/g, "\\@");
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
