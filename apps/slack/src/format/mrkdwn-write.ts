/**
 * A rich-text tree as Slack mrkdwn, for `chat.postMessage` and
 * `chat.update`: `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
 * ```` ``` ```` blocks, `>` quotes, `<url|label>` links and mentions as
 * the connector spells them (`<@U…>`). Headings are written bold, lists
 * as `•`/`1.` lines (Slack's mrkdwn has neither); underline and spoiler
 * have no mrkdwn and show as plain text.
 *
 * `&`, `<` and `>` are escaped everywhere, as Slack asks; mrkdwn has no
 * other escape, so a `*` in text that pairs with another may show bold in
 * Slack.
 */
import {
  type Block,
  blockLines,
  canonicalTree,
  flattenInlines,
  type Inline,
  type InlineRun,
  listLines,
  mentionLabel,
  normalizeRichText,
  type RichText,
  type RunTree,
} from "@parley/bridge";
import { mentionMarkup, type SlackWriteContext } from "./context.ts";
import { escapeEntities } from "./entities.ts";

const DELIMITER = { bold: "*", italic: "_", strike: "~" } as const;

export function toMrkdwn(doc: RichText, ctx?: SlackWriteContext): string {
  return blocksLines(normalizeRichText(doc).blocks, ctx, false).join("\n");
}

function blocksLines(blocks: readonly Block[], ctx: SlackWriteContext | undefined, inQuote: boolean): string[] {
  return blockLines(blocks, (b) => blockLinesOf(b, ctx, inQuote));
}

function blockLinesOf(b: Block, ctx: SlackWriteContext | undefined, inQuote: boolean): string[] {
  switch (b.type) {
    case "paragraph":
      return inlineText(b.children, ctx).split("\n");
    case "heading":
      return inlineText([{ type: "bold", children: b.children }], ctx).split("\n");
    case "code_block":
      return ["```", ...escapeEntities(b.text).split("\n"), "```"];
    case "quote": {
      // Slack has no quote in a quote: inner quotes are the outer quote's lines.
      const inner = blocksLines(b.children, ctx, true);
      return inQuote ? inner : inner.map((l) => (l === "" ? ">" : `> ${l}`));
    }
    case "list":
      return listLines(
        b,
        (item) => blocksLines(item, ctx, inQuote),
        (marker) => marker,
      ).map((l) => (b.ordered ? l : l.replace(/^- /, "• ")));
  }
}

function inlineText(children: readonly Inline[], ctx: SlackWriteContext | undefined): string {
  return writeTree(canonicalTree(flattenInlines(children)), ctx);
}

function writeTree(tree: readonly RunTree[], ctx: SlackWriteContext | undefined): string {
  let s = "";
  for (const t of tree) {
    if ("leaf" in t) {
      s += leafText(t.run, ctx);
      continue;
    }
    if ("link" in t.wrap) {
      const label = plainLabel(t.children);
      const url = escapeEntities(t.wrap.link.url);
      s += label === "" ? `<${url}>` : `<${url}|${escapeEntities(label).replace(/\|/g, "¦")}>`;
      continue;
    }
    const inner = writeTree(t.children, ctx);
    const style = t.wrap.style;
    s +=
      style === "bold" || style === "italic" || style === "strike"
        ? DELIMITER[style] + inner + DELIMITER[style]
        : inner;
  }
  return s;
}

function leafText(run: InlineRun, ctx: SlackWriteContext | undefined): string {
  const leaf = run.leaf;
  switch (leaf.type) {
    case "text":
      return escapeEntities(leaf.text);
    case "linebreak":
      return "\n";
    case "code":
      return `\`${escapeEntities(leaf.text)}\``;
    case "autolink":
      return `<${escapeEntities(leaf.url)}>`;
    case "mention":
      return mentionMarkup(ctx, leaf.target) ?? escapeEntities(mentionLabel(leaf.name, leaf.target));
    case "emoji":
      return `:${leaf.name}:`;
  }
}

/** A link's label as text: Slack shows link labels unstyled. */
function plainLabel(tree: readonly RunTree[]): string {
  let s = "";
  for (const t of tree) {
    if ("leaf" in t) {
      const leaf = t.leaf;
      if (leaf.type === "text" || leaf.type === "code") s += leaf.text;
      else if (leaf.type === "mention") s += mentionLabel(leaf.name, leaf.target);
      else if (leaf.type === "emoji") s += `:${leaf.name}:`;
      else if (leaf.type === "autolink") s += leaf.url;
      else s += " ";
    } else s += plainLabel(t.children);
  }
  return s;
}
