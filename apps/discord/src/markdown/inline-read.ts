/**
 * Discord's inline markdown to runs.
 *
 * `**bold**`, `*italic*` and `_italic_`, `__underline__`, `~~strike~~`,
 * `||spoiler||`, `` `code` `` and ``` ``co`de`` ```, `[text](https://url)`,
 * `<https://url>` and bare http(s) URLs, backslash escapes, `<@id>` /
 * `<@!id>` / `<@&id>` / `<#id>` mentions, `@everyone` and `@here`,
 * `<:name:id>` custom emoji, `<t:seconds:style>` timestamps.
 *
 * Discord's own client matches these with regular expressions, leftmost
 * first; here the pairing follows CommonMark's delimiter-run algorithm
 * instead (@parley/bridge's `readInlineRuns`, which its Markdown reader uses
 * too), which reads ordinary messages the same way but never backtracks,
 * so hostile input costs linear time and no recursion. The rules a reader
 * of Discord would expect:
 * - a delimiter opens when a non-space follows it and closes when a
 *   non-space precedes it; a single `_` touching a letter or digit is text
 *   (snake_case), a single `~` or `|` always is;
 * - code spans, escapes, mentions and URLs are read first and are atomic;
 * - a backslash escapes any character but an ASCII letter, digit or space;
 * - the shrug `¯\_(ツ)_/¯` keeps its backslash, as Discord shows it.
 */
import {
  bareUrlEnd,
  characterAt,
  type InlineDialect,
  type InlineRun,
  type InlineTokenSink,
  isSpaceChar,
  type LinkTarget,
  linkDestination,
  type RunLeaf,
  readInlineRuns,
  removeEscapes,
} from "@parley/bridge";
import { angleToken, everyoneAt } from "./angle-tokens.ts";
import { decodeBackticks } from "./code-text.ts";
import type { Resolver } from "./context.ts";
import { isLinkable } from "./urls.ts";

const SHRUG = "¯\\_(ツ)_/¯";

/**
 * Whether a backslash before `ch` escapes it. Discord escapes anything
 * that is neither an ASCII letter or digit nor white space: `\*`, `\<`,
 * `\:`, even `\😀`.
 */
export function isEscapable(ch: string | undefined): boolean {
  if (ch === undefined || ch === "") return false;
  const c = ch.charCodeAt(0);
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return false;
  return !isSpaceChar(ch);
}

/** Runs of one paragraph's (or heading's) inline markdown; newlines are line breaks. */
export function readInline(src: string, ctx: Resolver): InlineRun[] {
  return readInlineRuns(src, discordDialect(ctx));
}

/**
 * Discord's constructs, with names resolved through `ctx`. Discord looks
 * at whole characters around a delimiter (an astral letter next to `_` is
 * a letter), a `~~~` that closed a strike is done, and `[](url)` shows as
 * it is written.
 */
function discordDialect(ctx: Resolver): InlineDialect {
  return {
    codePoints: true,
    retireSpentPairs: true,
    linkNeedsText: true,
    triggers: "\\<@¯hH",
    read: (src, i, tokens) => readToken(src, i, tokens, ctx),
    codeText,
    linkTarget: destination,
  };
}

function readToken(src: string, i: number, tokens: InlineTokenSink, ctx: Resolver): number {
  switch (src[i]) {
    case "\\": {
      const next = characterAt(src, i + 1);
      if (next === undefined || !isEscapable(next)) return i + 1;
      tokens.skip(i, i + 1); // the escaped character is text
      return i + 1 + next.length;
    }
    case "<":
      return leafOrStep(tokens, i, angleToken(src, i, ctx));
    case "@":
      return leafOrStep(tokens, i, everyoneAt(src, i));
    case "¯":
      return src.startsWith(SHRUG, i) ? tokens.leaf(i, { type: "text", text: SHRUG }, i + SHRUG.length) : i + 1;
    default: {
      // h or H. Discord links a URL even right after a letter.
      const end = bareUrlEnd(src, i, src.length, i);
      return end > i ? tokens.leaf(i, { type: "autolink", url: src.slice(i, end) }, end) : i + 1;
    }
  }
}

/** Pushes `found` as a leaf and returns where reading goes on, or steps over the character at `i`. */
function leafOrStep(tokens: InlineTokenSink, i: number, found: { leaf: RunLeaf; end: number } | undefined): number {
  return found === undefined ? i + 1 : tokens.leaf(i, found.leaf, found.end);
}

/**
 * A code span's content. Inside, backslashes are text; one space next to a
 * backtick at either end is padding (Discord's rule), and zero-width
 * spaces the writer put between backticks come out.
 */
function codeText(raw: string): string {
  let text = raw;
  if (/^ +`/.test(text)) text = text.slice(1);
  if (text.endsWith(" ") && /` *$/.test(text.slice(0, -1))) text = text.slice(0, -1);
  return decodeBackticks(text).replace(/\n/g, " ");
}

/** `(url)` after link text, escapes taken out: only http(s) URLs make a link in Discord. */
function destination(src: string, p: number): LinkTarget | undefined {
  const d = linkDestination(src, p, isEscapable);
  if (d === undefined) return undefined;
  const url = removeEscapes(d.raw, isEscapable);
  return isLinkable(url) ? { url, end: d.end } : undefined;
}
