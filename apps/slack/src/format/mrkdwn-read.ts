/**
 * A Slack message's `text` (mrkdwn, escaped as Slack sends it) as a
 * rich-text tree: what the bridge reads when a message has no `rich_text`
 * block (bots, integrations, older clients).
 *
 * Blocks, recognised at the start of a line:
 * - ```` ``` ```` opens a code block that ends at the next ```` ``` ````, even
 *   mid-line; without one the backticks are read inline;
 * - `>` lines (`&gt;` as Slack escapes it) quote themselves and `>>>`
 *   quotes the rest of the message; Slack has no quote in a quote;
 * - everything else is paragraphs: a newline is a line break, an empty
 *   line ends the paragraph. Slack has no list syntax (`• item` is text).
 *
 * The result is in the normal form of `normalizeRichText` (line edges
 * trimmed), and nothing here throws.
 */
import {
  type Block,
  isBlankLine,
  normalizeRichText,
  type RichText,
  runsToInlines,
  trimRunLineEdges,
} from "@parley/bridge";
import { type Names, namesOf, type SlackReadContext } from "./context.ts";
import { unescapeEntities } from "./entities.ts";
import { readMrkdwnInline } from "./mrkdwn-inline.ts";

const QUOTE_LINE = /^(?:&gt;|>) ?/;
const QUOTE_REST = /^(?:&gt;&gt;&gt;|>>>) ?/;

export function fromMrkdwn(text: string, ctx?: SlackReadContext): RichText {
  const src = typeof text === "string" ? text.replace(/\r\n?/g, "\n") : "";
  return normalizeRichText({ blocks: readBlocks(src, namesOf(ctx), false) }, { trimLineEdges: true });
}

function readBlocks(src: string, names: Names, inQuote: boolean): Block[] {
  const out: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length > 0) out.push(paragraph(para.join("\n"), names));
    para = [];
  };
  let pos = 0;
  while (pos < src.length) {
    const nl = src.indexOf("\n", pos);
    const end = nl < 0 ? src.length : nl;
    const line = src.slice(pos, end);
    const lead = line.length - line.trimStart().length;
    if (line.startsWith("```", lead)) {
      const close = src.indexOf("```", pos + lead + 3);
      if (close >= 0) {
        flush();
        let code = src.slice(pos + lead + 3, close);
        if (code.startsWith("\n")) code = code.slice(1);
        if (code.endsWith("\n")) code = code.slice(0, -1);
        out.push({ type: "code_block", text: codeBlockText(code) });
        // What follows the closing fence on its line starts a new line.
        pos = close + 3;
        if (src[pos] === "\n") pos++;
        continue;
      }
    }
    if (!inQuote && QUOTE_REST.test(line)) {
      flush();
      const rest = src.slice(pos).replace(QUOTE_REST, "");
      out.push({ type: "quote", children: readBlocks(rest, names, true) });
      break;
    }
    if (!inQuote && QUOTE_LINE.test(line)) {
      flush();
      const inner: string[] = [];
      while (pos < src.length) {
        const e = src.indexOf("\n", pos);
        const l = src.slice(pos, e < 0 ? src.length : e);
        if (!QUOTE_LINE.test(l) || QUOTE_REST.test(l)) break;
        inner.push(l.replace(QUOTE_LINE, ""));
        pos = e < 0 ? src.length : e + 1;
      }
      out.push({ type: "quote", children: readBlocks(inner.join("\n"), names, true) });
      continue;
    }
    if (isBlankLine(line)) flush();
    else para.push(line);
    pos = end + 1;
  }
  flush();
  return out;
}

function paragraph(src: string, names: Names): Block {
  return { type: "paragraph", children: runsToInlines(trimRunLineEdges(readMrkdwnInline(src, names))) };
}

/** Code as Slack sends it: escaped, and with links still in angle brackets. */
function codeBlockText(raw: string): string {
  const unlinked = raw.replace(/<((?:https?|mailto):[^|>\n]*)(?:\|([^>\n]*))?>/gi, (_, url: string, label?: string) =>
    label !== undefined && label !== "" ? label : url,
  );
  return unescapeEntities(unlinked);
}
