/**
 * Mentions cross the bridge as ids: a remote mention names a remote user id,
 * an XMPP mention names a JID. These helpers rewrite mention targets in a
 * `RichText` without touching anything else, so each direction can resolve
 * them through its own directory.
 */
import { type Block, type Inline, type MentionTarget, type RichText, toPlainText } from "../format/index.ts";

type Resolve = (target: MentionTarget, name: string) => { target: MentionTarget; name: string } | undefined;

function mapInline(n: Inline, f: Resolve): Inline {
  switch (n.type) {
    case "mention": {
      const r = f(n.target, n.name);
      return r ? { type: "mention", name: r.name, target: r.target } : n;
    }
    case "bold":
    case "italic":
    case "underline":
    case "strike":
    case "spoiler":
      return { type: n.type, children: n.children.map((c) => mapInline(c, f)) };
    case "link":
      return { type: "link", url: n.url, children: n.children.map((c) => mapInline(c, f)) };
    default:
      return n;
  }
}

function mapBlock(b: Block, f: Resolve): Block {
  switch (b.type) {
    case "paragraph":
      return { type: "paragraph", children: b.children.map((c) => mapInline(c, f)) };
    case "heading":
      return { type: "heading", level: b.level, children: b.children.map((c) => mapInline(c, f)) };
    case "quote":
      return { type: "quote", children: b.children.map((c) => mapBlock(c, f)) };
    case "list":
      return { ...b, items: b.items.map((item) => item.map((c) => mapBlock(c, f))) };
    default:
      return b;
  }
}

/** A copy of `doc` with every mention passed through `resolve` (undefined keeps it as it is). */
export function mapMentions(doc: RichText, resolve: Resolve): RichText {
  return { blocks: doc.blocks.map((b) => mapBlock(b, resolve)) };
}

/** Whether a rich text has no visible content. */
export function isEmptyText(doc: RichText): boolean {
  // Most messages have some text a reader sees, found without writing the whole plain text out.
  if (hasVisibleText(doc)) return false;
  return toPlainText(doc).trim() === "";
}

/** Non-white-space characters: what `trim` leaves. */
const VISIBLE = /\S/;
const STYLES: ReadonlySet<string> = new Set(["bold", "italic", "underline", "strike", "spoiler"]);

/**
 * Whether a text or code leaf with a character other than white space sits
 * in a paragraph, heading, code block, quote or list item: those characters
 * are never dropped on the way to plain text (normalizing only merges runs
 * and drops empty nodes and blank lines). False says nothing: the document
 * may still show a mention, an emoji or a list marker.
 */
function hasVisibleText(doc: RichText): boolean {
  const blocks: unknown[] = Array.isArray(doc?.blocks) ? [...doc.blocks] : [];
  const inlines: unknown[] = [];
  const visible = (text: unknown) => typeof text === "string" && VISIBLE.test(text);
  const children = (into: unknown[], list: unknown) => {
    if (Array.isArray(list)) for (const c of list) into.push(c);
  };
  while (blocks.length > 0) {
    const b = blocks.pop() as Record<string, unknown> | null | undefined;
    if (b === null || typeof b !== "object") continue;
    if (b.type === "code_block" && visible(b.text)) return true;
    else if (b.type === "quote") children(blocks, b.children);
    else if (b.type === "list" && Array.isArray(b.items)) for (const item of b.items) children(blocks, item);
    else if (b.type === "paragraph" || b.type === "heading") {
      children(inlines, b.children);
      while (inlines.length > 0) {
        const n = inlines.pop() as Record<string, unknown> | null | undefined;
        if (n === null || typeof n !== "object") continue;
        if ((n.type === "text" || n.type === "code") && visible(n.text)) return true;
        if (n.type === "link" || (typeof n.type === "string" && STYLES.has(n.type))) children(inlines, n.children);
      }
    }
  }
  return false;
}
