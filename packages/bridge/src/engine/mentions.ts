/**
 * Mentions cross the bridge as ids: a remote mention names a remote user id,
 * an XMPP mention names a JID. These helpers rewrite mention targets in a
 * `RichText` without touching anything else, so each direction can resolve
 * them through its own directory.
 */
import { type Block, type Inline, type MentionTarget, type RichText, toPlainText } from "../format/index.ts";

type Resolve = (target: MentionTarget, name: string) => { target: MentionTarget; name: string } | undefined;

/**
 * `list` with `f` applied to each item: the same array when `f` changed none
 * (most messages mention nobody, and are not copied).
 */
function mapList<T>(list: T[], f: (item: T) => T): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as T;
    const mapped = f(item);
    if (out === undefined && mapped !== item) out = list.slice(0, i);
    out?.push(mapped);
  }
  return out ?? list;
}

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
    case "spoiler": {
      const children = mapList(n.children, (c) => mapInline(c, f));
      return children === n.children ? n : { type: n.type, children };
    }
    case "link": {
      const children = mapList(n.children, (c) => mapInline(c, f));
      return children === n.children ? n : { type: "link", url: n.url, children };
    }
    default:
      return n;
  }
}

function mapBlock(b: Block, f: Resolve): Block {
  switch (b.type) {
    case "paragraph": {
      const children = mapList(b.children, (c) => mapInline(c, f));
      return children === b.children ? b : { type: "paragraph", children };
    }
    case "heading": {
      const children = mapList(b.children, (c) => mapInline(c, f));
      return children === b.children ? b : { type: "heading", level: b.level, children };
    }
    case "quote": {
      const children = mapList(b.children, (c) => mapBlock(c, f));
      return children === b.children ? b : { type: "quote", children };
    }
    case "list": {
      const items = mapList(b.items, (item) => mapList(item, (c) => mapBlock(c, f)));
      return items === b.items ? b : { ...b, items };
    }
    default:
      return b;
  }
}

/**
 * `doc` with every mention passed through `resolve` (undefined keeps it as it
 * is): a copy where a mention changed, else `doc` itself (what is unchanged
 * is shared, never copied).
 */
export function mapMentions(doc: RichText, resolve: Resolve): RichText {
  const blocks = mapList(doc.blocks, (b) => mapBlock(b, resolve));
  return blocks === doc.blocks ? doc : { blocks };
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
