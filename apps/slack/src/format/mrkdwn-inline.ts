/**
 * One paragraph of Slack mrkdwn (still escaped, as Slack sends it) as runs.
 *
 * `*bold*`, `_italic_`, `~strike~`, `` `code` `` and ```` ```code``` ````,
 * `<...>` tokens (links, mentions), `:shortcode:` emoji, `\n` line breaks.
 * Slack's rules, as its clients render them:
 * - a delimiter opens where it follows the start, a space or punctuation
 *   and precedes a non-space, and closes where it follows a non-space and
 *   precedes the end, a space or punctuation: `snake_case_name` and
 *   `2*3*4` are text;
 * - styles never reach across a line break;
 * - code spans and `<...>` tokens are read first and are atomic; there is
 *   no backslash escape.
 *
 * Pairing is one pass with a stack per line (a closer takes the nearest
 * opener of its kind, openers above it become text), so hostile input costs
 * linear time and no recursion.
 */
import {
  characterAt,
  characterBefore,
  isSpaceChar,
  isWordChar,
  type RunLeaf as Leaf,
  RUN_STYLE_BIT,
  type InlineRun as Run,
} from "@parley/bridge";
import { angleToken } from "./angle-tokens.ts";
import type { Names } from "./context.ts";
import { emojiOfName } from "./emoji.ts";
import { unescapeEntities } from "./entities.ts";

const STYLE_OF: Readonly<Record<string, number>> = {
  "*": RUN_STYLE_BIT.bold,
  _: RUN_STYLE_BIT.italic,
  "~": RUN_STYLE_BIT.strike,
};

const SHORTCODE = /^:([a-z0-9_+'-]{1,64}(?:::skin-tone-[2-6])?):/;

type Tok =
  | { readonly k: "text"; readonly s: string }
  | { readonly k: "runs"; readonly runs: readonly Run[] }
  | { readonly k: "delim"; readonly ch: string; readonly canOpen: boolean; readonly canClose: boolean; paired: boolean }
  | { readonly k: "br" };

export function readMrkdwnInline(src: string, names: Names): Run[] {
  const toks = tokenize(src, names);
  const depth = pair(toks);
  return runsOf(toks, depth);
}

function tokenize(src: string, names: Names): Tok[] {
  const toks: Tok[] = [];
  let textFrom = 0;
  const flush = (to: number) => {
    if (to > textFrom) toks.push({ k: "text", s: src.slice(textFrom, to) });
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === "\n") {
      flush(i);
      toks.push({ k: "br" });
      textFrom = ++i;
      continue;
    }
    if (ch === "<") {
      const t = angleToken(src, i, names, 0);
      if (t) {
        flush(i);
        toks.push({ k: "runs", runs: t.runs });
        textFrom = i = t.end;
        continue;
      }
    } else if (ch === "`") {
      const span = codeSpan(src, i);
      if (span) {
        flush(i);
        toks.push({ k: "runs", runs: [{ styles: 0, link: undefined, leaf: { type: "code", text: span.text } }] });
        textFrom = i = span.end;
        continue;
      }
      // An unmatched run of backticks is text as a whole.
      while (src[i] === "`") i++;
      continue;
    } else if (ch === ":") {
      const m = SHORTCODE.exec(src.slice(i, i + 80));
      if (m) {
        const name = m[1] as string;
        const emoji = emojiOfName(name);
        const leaf: Leaf = emoji === undefined ? { type: "emoji", name } : { type: "text", text: emoji };
        flush(i);
        toks.push({ k: "runs", runs: [{ styles: 0, link: undefined, leaf }] });
        textFrom = i = i + m[0].length;
        continue;
      }
    } else if (ch === "*" || ch === "_" || ch === "~") {
      flush(i);
      const before = characterBefore(src, i);
      const after = characterAt(src, i + 1);
      toks.push({
        k: "delim",
        ch,
        canOpen: !isWordChar(before) && after !== undefined && after !== "\n" && !isSpaceChar(after),
        canClose: before !== undefined && before !== "\n" && !isSpaceChar(before) && !isWordChar(after),
        paired: false,
      });
      textFrom = ++i;
      continue;
    }
    i++;
  }
  flush(src.length);
  return toks;
}

/** The code span whose backticks start at `i`: one backtick to the next on its line, or ``` to the next ```. */
function codeSpan(src: string, i: number): { text: string; end: number } | undefined {
  if (src.startsWith("```", i)) {
    const close = src.indexOf("```", i + 3);
    if (close > i + 3) return { text: codeText(src.slice(i + 3, close)), end: close + 3 };
    return undefined;
  }
  const close = src.indexOf("`", i + 1);
  const lineEnd = src.indexOf("\n", i + 1);
  if (close <= i + 1 || (lineEnd >= 0 && lineEnd < close)) return undefined;
  return { text: codeText(src.slice(i + 1, close)), end: close + 1 };
}

function codeText(raw: string): string {
  return unescapeEntities(raw.replace(/\n/g, " "));
}

/**
 * Pairs delimiters line by line; returns, for each token, how many of each
 * style's pairs enclose it (as three counts packed per token).
 */
function pair(toks: Tok[]): Int32Array[] {
  const counts = [new Int32Array(toks.length + 1), new Int32Array(toks.length + 1), new Int32Array(toks.length + 1)];
  const slot: Readonly<Record<string, number>> = { "*": 0, _: 1, "~": 2 };
  let stack: number[] = [];
  const open = { "*": 0, _: 0, "~": 0 } as Record<string, number>;
  const reset = () => {
    stack = [];
    open["*"] = open._ = open["~"] = 0;
  };
  toks.forEach((t, j) => {
    if (t.k === "br") {
      reset();
      return;
    }
    if (t.k !== "delim") return;
    if (t.canClose && (open[t.ch] ?? 0) > 0) {
      // Openers above the nearest one of this kind become text: every one looked at leaves the stack.
      while (stack.length > 0) {
        const k = stack.pop() as number;
        const o = toks[k] as Extract<Tok, { k: "delim" }>;
        open[o.ch] = (open[o.ch] ?? 1) - 1;
        if (o.ch !== t.ch) continue;
        if (k + 1 === j) break; // `**` encloses nothing: both stay text
        o.paired = true;
        t.paired = true;
        const c = counts[slot[t.ch] as number] as Int32Array;
        c[k + 1] = (c[k + 1] ?? 0) + 1;
        c[j] = (c[j] ?? 0) - 1;
        return;
      }
      if (t.canOpen) {
        stack.push(j);
        open[t.ch] = (open[t.ch] ?? 0) + 1;
      }
      return;
    }
    if (t.canOpen) {
      stack.push(j);
      open[t.ch] = (open[t.ch] ?? 0) + 1;
    }
  });
  // Prefix sums: the number of enclosing pairs of each style at each token.
  for (const c of counts) for (let k = 1; k < c.length; k++) c[k] = (c[k] ?? 0) + (c[k - 1] ?? 0);
  return counts;
}

function runsOf(toks: readonly Tok[], counts: readonly Int32Array[]): Run[] {
  const out: Run[] = [];
  const bits = [STYLE_OF["*"], STYLE_OF._, STYLE_OF["~"]] as number[];
  toks.forEach((t, j) => {
    let styles = 0;
    counts.forEach((c, s) => {
      if ((c[j] ?? 0) > 0) styles |= bits[s] as number;
    });
    switch (t.k) {
      case "text":
        out.push({ styles, link: undefined, leaf: { type: "text", text: unescapeEntities(t.s) } });
        break;
      case "delim":
        if (!t.paired) out.push({ styles, link: undefined, leaf: { type: "text", text: t.ch } });
        break;
      case "br":
        out.push({ styles: 0, link: undefined, leaf: { type: "linebreak" } });
        break;
      case "runs":
        for (const r of t.runs) out.push({ ...r, styles: r.styles | styles });
    }
  });
  return out;
}
