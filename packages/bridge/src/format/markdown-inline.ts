/**
 * Inline Markdown to runs. The structure is CommonMark's: code spans,
 * autolinks and escapes first, then `[text](url)` by a bracket stack, then
 * emphasis by the delimiter-run algorithm (with its "rule of 3"), so
 * `***a**b*` and `***a*b**` both come out right. This file says what each
 * character is; the pairing, shared with other Markdown-like dialects, is
 * in inline-tokens.ts.
 *
 * Chat-flavoured differences from CommonMark:
 * - `__x__` is underline (Discord), `~~x~~` strike, `||x||` spoiler; a single
 *   `~` or `|` is text;
 * - delimiters open and close by the spaces around them only (see
 *   inline-tokens.ts), and snake_case stays as it is;
 * - `<@id>`, `<@!id>` are user mentions, `<@&id>` role and `<#id>` channel
 *   mentions, with the id as the name until a connector resolves it;
 * - bare http(s) URLs are links (see urls.ts); no HTML, entities or images.
 */
import type { MentionTarget } from "./ast.ts";
import { type Leaf, normalizeUrl, type Run, tidyRuns } from "./inline-runs.ts";
import { type InlineDialect, type LinkTarget, linkDestination, readInlineRuns } from "./inline-tokens.ts";
import { isAsciiPunct, isSpaceCode, removeEscapes } from "./text-chars.ts";
import { bareUrlEnd } from "./urls.ts";

/** Longest autolink read, so a hostile `<` repeated costs linear time. */
const MAX_URL = 4096;

export const MENTION_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ANGLE_MENTION = /^(@!?|@&|#)([A-Za-z0-9_.-]{1,64})$/;
/** A URI with a scheme, as `<...>` autolinks take it. */
export const AUTOLINK = /^[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*$/;

/** Runs of one paragraph's (or heading's) inline Markdown; newlines are line breaks. */
export function parseInlineMarkdown(src: string): Run[] {
  return tidyRuns(readInlineRuns(src, MARKDOWN));
}

const MARKDOWN: InlineDialect = {
  codePoints: false,
  retireSpentPairs: false,
  linkNeedsText: false,
  triggers: "\\<hH",
  read(src, i, tokens) {
    const c = src[i];
    if (c === "\\") {
      if (!isAsciiPunct(src[i + 1])) return i + 1;
      tokens.skip(i, i + 1); // the escaped character is plain text
      return i + 2;
    }
    if (c === "<") {
      const found = angle(src, i);
      return found === undefined ? i + 1 : tokens.leaf(i, found.leaf, found.end);
    }
    const e = bareUrlEnd(src, i, src.length);
    return e > i ? tokens.leaf(i, { type: "autolink", url: src.slice(i, e) }, e) : i + 1;
  },
  codeText,
  linkTarget: destination,
};

/** A code span's content: newlines are spaces, and one space of padding on each side goes. */
function codeText(raw: string): string {
  const text = raw.replace(/\n/g, " ");
  return text.length >= 2 && text.startsWith(" ") && text.endsWith(" ") && /[^ ]/.test(text) ? text.slice(1, -1) : text;
}

/** `<url>`, `<@id>`, `<@&id>` or `<#id>` at `i`, or undefined for a literal `<`. */
function angle(src: string, i: number): { leaf: Leaf; end: number } | undefined {
  let k = i + 1;
  while (k < src.length && k - i <= MAX_URL) {
    const c = src.charCodeAt(k);
    if (c === 0x3e /* > */) break;
    if (c === 0x3c /* < */ || c <= 0x20 || c === 0x7f || isSpaceCode(c)) return undefined;
    k++;
  }
  if (src.charCodeAt(k) !== 0x3e) return undefined;
  const inner = src.slice(i + 1, k);
  const m = ANGLE_MENTION.exec(inner);
  if (m) {
    const id = m[2] as string;
    const kind: MentionTarget["kind"] = m[1] === "@&" ? "role" : m[1] === "#" ? "channel" : "user";
    return { leaf: { type: "mention", name: id, target: { remoteId: id, kind } }, end: k + 1 };
  }
  return AUTOLINK.test(inner) ? { leaf: { type: "autolink", url: inner }, end: k + 1 } : undefined;
}

/** `(url)` after link text: any URL (an empty one makes no link), escapes taken out, normalized. */
function destination(src: string, p: number): LinkTarget | undefined {
  const d = linkDestination(src, p, isAsciiPunct);
  return d === undefined ? undefined : { url: normalizeUrl(removeEscapes(d.raw, isAsciiPunct)), end: d.end };
}
