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
  return toPlainText(doc).trim() === "";
}
