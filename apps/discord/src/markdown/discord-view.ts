/**
 * A document as Discord can carry it, the step before writing. Discord has
 * no quote inside a quote (the inner one's blocks join the outer quote),
 * headings only down to level 3, code block languages of a few characters
 * (`[a-z0-9_+-.#]`), no code block without code, links only to http(s)
 * URLs (others become `text (url)`). Custom emoji are written `:name:`
 * (the tree has no Discord emoji id). A mention becomes the connector's
 * markup for it, or `@name` text when it has none.
 *
 * The result is normalized, so the writer can trust its shape; mentions
 * that have markup are kept as mention nodes marked with RAW_MARKUP.
 */
import {
  type Block,
  flattenInlines,
  type Inline,
  mapInlineContent,
  mentionLabel,
  normalizeRichText,
  type RichText,
  runsToInlines,
  trimRunLineEdges,
} from "@parley/bridge";
import { CODE_LANG } from "./code-text.ts";
import { type DiscordWriteContext, mentionMarkup } from "./context.ts";
import { isLinkable } from "./urls.ts";

/** `target.network` of a mention whose `name` is Discord markup, written as it is. */
export const RAW_MARKUP = "\u0000discord-markup";

/** Spaces and tabs at line ends are dropped too, as readers of markup do. */
export function discordView(doc: RichText, ctx: DiscordWriteContext | undefined): RichText {
  // Trimmed before mapping (a link's edge spaces may end a line), in canonical shape (a style around a
  // link that becomes text must stay around its text), and after (an `@name` may end a line).
  const canonical = normalizeRichText(trimDoc(normalizeRichText(doc).blocks));
  return normalizeRichText(trimDoc(viewBlocks(canonical.blocks, ctx, false)));
}

function trimDoc(blocks: readonly Block[]): RichText {
  return { blocks: mapInlineContent(blocks, (children) => runsToInlines(trimRunLineEdges(flattenInlines(children)))) };
}

/** Normalized blocks nest at most MAX_BLOCK_DEPTH deep, so recursion here is bounded. */
function viewBlocks(blocks: readonly Block[], ctx: DiscordWriteContext | undefined, inQuote: boolean): Block[] {
  const out: Block[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case "paragraph":
        out.push({ type: "paragraph", children: viewInlines(b.children, ctx) });
        break;
      case "heading":
        out.push({ type: "heading", level: Math.min(b.level, 3) as 1 | 2 | 3, children: viewInlines(b.children, ctx) });
        break;
      case "code_block": {
        let from = 0;
        let to = b.text.length;
        while (from < to && b.text[from] === "\n") from++;
        while (to > from && b.text[to - 1] === "\n") to--;
        const text = b.text.slice(from, to);
        if (text === "") break;
        out.push(
          b.lang !== undefined && CODE_LANG.test(b.lang)
            ? { type: "code_block", lang: b.lang, text }
            : { type: "code_block", text },
        );
        break;
      }
      case "quote": {
        const children = viewBlocks(b.children, ctx, true);
        if (inQuote) for (const c of children) out.push(c);
        else out.push({ type: "quote", children });
        break;
      }
      case "list":
        out.push({ ...b, items: b.items.map((item) => viewBlocks(item, ctx, inQuote)) });
        break;
    }
  }
  return out;
}

/** Normalized inline trees are at most one link and five styles deep. */
function viewInlines(nodes: readonly Inline[], ctx: DiscordWriteContext | undefined): Inline[] {
  const out: Inline[] = [];
  for (const n of nodes) {
    switch (n.type) {
      case "mention": {
        const markup = mentionMarkup(ctx, n.target);
        out.push(
          markup === undefined
            ? { type: "text", text: mentionLabel(n.name, n.target) }
            : { type: "mention", name: markup, target: { network: RAW_MARKUP } },
        );
        break;
      }
      case "emoji":
        out.push({ type: "text", text: `:${n.name}:` });
        break;
      case "link":
        if (isLinkable(n.url)) out.push({ type: "link", url: n.url, children: viewInlines(n.children, ctx) });
        else if (n.children.length === 0) out.push({ type: "text", text: n.url });
        else {
          for (const c of viewInlines(n.children, ctx)) out.push(c);
          out.push({ type: "text", text: ` (${n.url})` });
        }
        break;
      default:
        // A style keeps its place around what its children become; text, code and line breaks stay.
        out.push("children" in n ? { type: n.type, children: viewInlines(n.children, ctx) } : n);
    }
  }
  return out;
}
