/**
 * Plain text in and out of the tree: for messages that carry no markup
 * (XEP-0393's `<unstyled/>`, networks without formatting) and for places
 * where markup has no meaning (notifications, previews, fallback bodies).
 */
import { type Block, type Inline, type MentionTarget, mentionLabel, needsBlankLine, type RichText } from "./ast.ts";
import { listLines } from "./block-lines.ts";
import { normalizeRichText } from "./normalize.ts";
import { isBlankLine } from "./text-chars.ts";
import { splitUrls } from "./urls.ts";

/**
 * A plain string as paragraphs: lines holding only spaces separate
 * paragraphs, other newlines are line breaks, and bare http(s) URLs become
 * links (they are links in every network's rendering of plain text).
 */
export function plainRichText(text: string): RichText {
  const lines = String(text ?? "")
    .replace(/\r\n?/g, "\n")
    .split("\n");
  const blocks: Block[] = [];
  let children: Inline[] = [];
  const flush = () => {
    if (children.length > 0) blocks.push({ type: "paragraph", children });
    children = [];
  };
  for (const line of lines) {
    if (isBlankLine(line)) {
      flush();
      continue;
    }
    if (children.length > 0) children.push({ type: "linebreak" });
    for (const piece of splitUrls(line)) {
      children.push(piece.url ? { type: "link", url: piece.text, children: [] } : { type: "text", text: piece.text });
    }
  }
  flush();
  return normalizeRichText({ blocks });
}

/**
 * The text a reader sees, with no markup: mentions as `@name` (`#name` for
 * channels), custom emoji as `:name:`, a link as its URL or `text (url)`,
 * list items as `- item` / `1. item` lines, quotes and code as their text.
 */
export function toPlainText(doc: RichText): string {
  return blocksText(normalizeRichText(doc).blocks);
}

function blocksText(blocks: readonly Block[]): string {
  let s = "";
  blocks.forEach((b, k) => {
    const prev = blocks[k - 1];
    if (prev !== undefined) s += needsBlankLine(prev, b) ? "\n\n" : "\n";
    s += blockText(b);
  });
  return s;
}

function blockText(b: Block): string {
  switch (b.type) {
    case "paragraph":
    case "heading":
      return inlineText(b.children);
    case "code_block":
      return b.text;
    case "quote":
      return blocksText(b.children);
    case "list":
      return listLines(
        b,
        (item) => {
          const text = blocksText(item);
          return text === "" ? [] : text.split("\n");
        },
        (marker) => marker,
      ).join("\n");
  }
}

/** The plain text of inline content. */
export function inlineText(nodes: readonly Inline[]): string {
  let s = "";
  for (const n of nodes) {
    switch (n.type) {
      case "text":
      case "code":
        s += n.text;
        break;
      case "linebreak":
        s += "\n";
        break;
      case "mention":
        s += mentionLabel(n.name, n.target);
        break;
      case "emoji":
        s += `:${n.name}:`;
        break;
      case "link": {
        const label = inlineText(n.children);
        s += label === "" || label === n.url ? n.url : `${label} (${n.url})`;
        break;
      }
      default:
        s += inlineText(n.children);
    }
  }
  return s;
}

/**
 * Every distinct mention target, in the order of first appearance (a user
 * mentioned twice is notified once). Walks without recursion, so any
 * document is safe.
 */
export function mentionsOf(doc: RichText): MentionTarget[] {
  const out: MentionTarget[] = [];
  const seen = new Set<string>();
  const blocks: Block[] = Array.isArray(doc?.blocks) ? [...doc.blocks].reverse() : [];
  const inlines: Inline[] = [];
  const visitInlines = () => {
    while (inlines.length > 0) {
      const n = inlines.pop() as Inline;
      if (n?.type === "mention") {
        const t = n.target ?? {};
        const key = JSON.stringify([t.jid, t.network, t.remoteId, t.kind]);
        if (!seen.has(key)) {
          seen.add(key);
          out.push(t);
        }
      } else if (n !== undefined && n !== null && "children" in n && Array.isArray(n.children)) {
        for (let k = n.children.length - 1; k >= 0; k--) inlines.push(n.children[k] as Inline);
      }
    }
  };
  while (blocks.length > 0) {
    const b = blocks.pop() as Block;
    if (b?.type === "paragraph" || b?.type === "heading") {
      if (Array.isArray(b.children))
        for (let k = b.children.length - 1; k >= 0; k--) inlines.push(b.children[k] as Inline);
      visitInlines();
    } else if (b?.type === "quote" && Array.isArray(b.children)) {
      for (let k = b.children.length - 1; k >= 0; k--) blocks.push(b.children[k] as Block);
    } else if (b?.type === "list" && Array.isArray(b.items)) {
      const flat = b.items.flat();
      for (let k = flat.length - 1; k >= 0; k--) blocks.push(flat[k] as Block);
    }
  }
  return out;
}
