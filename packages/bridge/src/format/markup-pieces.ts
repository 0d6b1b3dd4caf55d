/**
 * The writing half shared by Markdown-like dialects (the generic chat
 * Markdown here, Discord's in @parley/discord). A writer lays inline
 * content out as pieces: most are final text, but two choices depend on
 * neighbours that are only known once the whole line is laid out, namely
 * whether a URL may stand bare (a dialect's own `assemble` decides) and
 * whether an italic pair is spelled `_` or `*` (`resolveItalics`).
 */
import { characterAt, characterBefore, isWordChar } from "./text-chars.ts";

/** How each style but italic is delimited, on both sides, in every Markdown-like dialect here. */
export const STYLE_DELIMITER = { bold: "**", underline: "__", strike: "~~", spoiler: "||" } as const;

/**
 * A written piece: final text (`delim` when it is markup rather than
 * content), a bare link whose spelling is settled later, or one end of an
 * italic pair, numbered so that its two ends find each other.
 */
export type MarkupPiece =
  | { readonly s: string; readonly delim?: boolean }
  | { readonly url: string }
  | { readonly italic: "open" | "close"; readonly pair: number };

/**
 * How italic pairs are spelled, in the order a writer tries them: `_`
 * where it can open and close (outside words, not touching `__`), since a
 * lone `_` between letters is never a delimiter; then `*` unless it touches
 * a `**`; then `*` everywhere.
 */
export const ITALIC_MODES = ["underscore", "star", "always-star"] as const;
export type ItalicMode = (typeof ITALIC_MODES)[number];

/**
 * The pieces with every italic pair spelled as `mode` says. `codePoints`
 * must match the dialect's reader: whether it looks at whole code points
 * (an astral letter) or UTF-16 units next to a `_`, so that the writer
 * asks the very question the reader will.
 */
export function resolveItalics(input: readonly MarkupPiece[], mode: ItalicMode, codePoints: boolean): MarkupPiece[] {
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
    const after = (around[3] as Neighbour).s;
    const outside = codePoints
      ? [characterBefore(before, before.length), characterAt(after, 0)]
      : [before.slice(-1), after[0]];
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
function neighbour(pieces: readonly MarkupPiece[], k: number, dir: -1 | 1): Neighbour {
  for (let j = k + dir; j >= 0 && j < pieces.length; j += dir) {
    const p = pieces[j] as MarkupPiece;
    if ("url" in p) return { s: "h", delim: false };
    if ("italic" in p) return { s: "*", delim: true };
    if (p.s !== "") return { s: p.s, delim: p.delim === true };
  }
  return { s: "", delim: false };
}

const ALWAYS_ESCAPED = /[\\`*_~|[\]<]/g;

/**
 * Text with every character that could read as markup escaped: style
 * delimiters, backticks, brackets, `<`, backslashes; `http://` (a URL in
 * text must stay text, and `http\://` is none); and at the start of a line
 * the block markers `#`, `>`, `+`, `-` and an ordered list's number
 * followed by one of `orderedDelimiters` (`.` and `)`, or only `.` for a
 * dialect whose lists take no `1)`).
 */
export function escapeMarkupText(s: string, lineStart: boolean, orderedDelimiters: ".)" | "." = ".)"): string {
  let t = s.replace(ALWAYS_ESCAPED, "\\$&");
  t = t.replace(/(https?):\/\//gi, "$1\\://");
  if (lineStart) {
    if (/^[#>+-]/.test(t)) t = `\\${t}`;
    else t = t.replace(orderedDelimiters === "." ? /^(\d+)(\.)/ : /^(\d+)([.)])/, "$1\\$2");
  }
  return t;
}
