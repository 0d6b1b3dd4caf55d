/**
 * Builds a rich-text tree from a stream of HTML events, the way a browser
 * lays out text: block elements start and end paragraphs, inline elements
 * only change the styles and the link of the text that follows.
 *
 * Styles are counters, not nested nodes: every piece of text is wrapped in
 * the styles active when it arrives, and normalizeRichText merges the
 * pieces afterwards. So a hundred thousand nested `<b>` cost no more than
 * one, and no recursion ever depends on the depth of the input. Quotes and
 * lists nest at most MAX_BLOCK_DEPTH deep; deeper ones only break lines.
 *
 * White space follows HTML where Matrix clients rely on it and stays exact
 * elsewhere: a run of white space holding a line feed (the `\n` clients put
 * between tags) is one collapsible space, dropped at the start and end of
 * a line; spaces and tabs alone are kept as written, since a sender's
 * client showed them and a writer can spell them.
 */
import { type Block, type Inline, type InlineStyle, MAX_BLOCK_DEPTH } from "@parley/bridge";

export type Container =
  | { readonly kind: "root" | "quote" | "item"; readonly blocks: Block[] }
  | { readonly kind: "list"; readonly ordered: boolean; readonly start: number | undefined; readonly items: Block[][] };

type Level = 1 | 2 | 3 | 4 | 5 | 6;

interface Leaf {
  readonly kind: "paragraph" | "heading";
  readonly level: Level;
  readonly children: Inline[];
  /** Which link the last link node of this leaf stands for, and that node's children. */
  linkKey: object | undefined;
  linkChildren: Inline[];
  /** What was put last: nothing yet or a line break, white space, or something shown. */
  last: "start" | "space" | "content";
  /** Whether the leaf shows anything but spaces, tabs and line breaks (if not, it is dropped). */
  shows: boolean;
  /** A leaf holding table rows, one per line. */
  readonly table: boolean;
}

const STYLE_ORDER: readonly InlineStyle[] = ["bold", "italic", "underline", "strike", "spoiler"];

const isHtmlSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;

export class DocumentBuilder {
  private readonly root: { readonly kind: "root"; readonly blocks: Block[] } = { kind: "root", blocks: [] };
  private readonly containers: Container[] = [this.root];
  private nested = 0;
  private leaf: Leaf | undefined;
  private pendingSpace = false;
  private readonly styles: Record<InlineStyle, number> = { bold: 0, italic: 0, underline: 0, strike: 0, spoiler: 0 };
  private link: { readonly key: object; readonly url: string } | undefined;

  /** How many quotes and lists are open. */
  get depth(): number {
    return this.nested;
  }

  // --- inline content ------------------------------------------------------------

  style(style: InlineStyle, delta: 1 | -1): void {
    this.styles[style] = Math.max(0, this.styles[style] + delta);
  }

  /** Text after this is in a link to `url`, until closeLink(key). A link inside a link changes nothing. */
  openLink(key: object, url: string): void {
    if (this.link === undefined) this.link = { key, url };
  }

  closeLink(key: object): void {
    if (this.link?.key === key) this.link = undefined;
  }

  /** A collapsible space (white space with a line feed in it). */
  softSpace(): void {
    this.pendingSpace = true;
  }

  /** Text as it stands in the HTML (references decoded): see the module comment for its white space. */
  text(s: string): void {
    let from = 0;
    let i = 0;
    while (i < s.length) {
      if (!isHtmlSpace(s.charCodeAt(i))) {
        i++;
        continue;
      }
      let j = i;
      let soft = false;
      while (j < s.length && isHtmlSpace(s.charCodeAt(j))) {
        const c = s.charCodeAt(j);
        if (c === 0x0a || c === 0x0d) soft = true;
        j++;
      }
      if (soft) {
        this.literal(s.slice(from, i));
        this.pendingSpace = true;
        from = j;
      }
      i = j;
    }
    this.literal(s.slice(from));
  }

  private literal(s: string): void {
    if (s === "") return;
    const leaf = this.openLeaf();
    this.resolveSpace(leaf);
    this.put(leaf, this.wrap({ type: "text", text: s }));
    const last = s.charCodeAt(s.length - 1);
    leaf.last = isHtmlSpace(last) || last === 0xa0 ? "space" : "content";
    if (!leaf.shows && /[^ \t]/.test(s)) leaf.shows = true;
  }

  /** Something shown that is not text: code, a mention, an emoji, a link made from an image. */
  node(node: Inline): void {
    const leaf = this.openLeaf();
    this.resolveSpace(leaf);
    this.put(leaf, this.wrap(node));
    leaf.last = "content";
    leaf.shows = true;
  }

  lineBreak(): void {
    const leaf = this.openLeaf();
    this.pendingSpace = false;
    this.put(leaf, { type: "linebreak" });
    leaf.last = "start";
  }

  private resolveSpace(leaf: Leaf): void {
    if (!this.pendingSpace) return;
    this.pendingSpace = false;
    if (leaf.last !== "content") return;
    this.put(leaf, this.wrap({ type: "text", text: " " }));
    leaf.last = "space";
  }

  private wrap(node: Inline): Inline {
    let n = node;
    for (const s of STYLE_ORDER) if (this.styles[s] > 0) n = { type: s, children: [n] };
    return n;
  }

  private put(leaf: Leaf, node: Inline): void {
    if (this.link === undefined) {
      leaf.linkKey = undefined;
      leaf.children.push(node);
      return;
    }
    if (leaf.linkKey !== this.link.key) {
      leaf.linkKey = this.link.key;
      leaf.linkChildren = [];
      leaf.children.push({ type: "link", url: this.link.url, children: leaf.linkChildren });
    }
    leaf.linkChildren.push(node);
  }

  private openLeaf(): Leaf {
    if (this.leaf === undefined) this.leaf = newLeaf("paragraph", 1, false);
    return this.leaf;
  }

  // --- blocks ----------------------------------------------------------------------

  /** Ends the current paragraph or heading, if any. */
  endLeaf(): void {
    this.pendingSpace = false;
    const leaf = this.leaf;
    this.leaf = undefined;
    if (leaf === undefined || !leaf.shows) return;
    this.addBlock(
      leaf.kind === "heading"
        ? { type: "heading", level: leaf.level, children: leaf.children }
        : { type: "paragraph", children: leaf.children },
    );
  }

  startHeading(level: Level): void {
    this.endLeaf();
    this.leaf = newLeaf("heading", level, false);
  }

  /** A table row: the next line of the table's paragraph. */
  tableRow(): void {
    if (this.leaf?.table) {
      this.lineBreak();
      return;
    }
    this.endLeaf();
    this.leaf = newLeaf("paragraph", 1, true);
  }

  codeBlock(text: string, lang: string | undefined): void {
    this.endLeaf();
    this.addBlock(lang === undefined ? { type: "code_block", text } : { type: "code_block", lang, text });
  }

  paragraph(text: string): void {
    this.endLeaf();
    this.addBlock({ type: "paragraph", children: [{ type: "text", text }] });
  }

  /** A quote, or undefined when quotes and lists are already nested too deep (the caller then only breaks lines). */
  openQuote(): Container | undefined {
    this.endLeaf();
    if (this.nested >= MAX_BLOCK_DEPTH) return undefined;
    return this.push({ kind: "quote", blocks: [] });
  }

  openList(ordered: boolean, start: number | undefined): Container | undefined {
    this.endLeaf();
    if (this.nested >= MAX_BLOCK_DEPTH) return undefined;
    return this.push({ kind: "list", ordered, start, items: [] });
  }

  /** An item of `list`, which must be the innermost open container; undefined otherwise. */
  openItem(list: Container): Container | undefined {
    this.endLeaf();
    if (this.containers[this.containers.length - 1] !== list) return undefined;
    const item: Container = { kind: "item", blocks: [] };
    this.containers.push(item);
    return item;
  }

  /** Closes `container` and whatever was opened inside it. */
  close(container: Container): void {
    this.endLeaf();
    if (!this.containers.includes(container)) return;
    for (;;) {
      const c = this.containers.pop() as Container;
      if (c.kind === "quote" || c.kind === "list") this.nested--;
      const parent = this.containers[this.containers.length - 1] as Container;
      if (c.kind === "quote") this.addBlock({ type: "quote", children: c.blocks });
      else if (c.kind === "list") {
        if (c.items.length > 0) {
          this.addBlock(
            c.ordered && c.start !== undefined
              ? { type: "list", ordered: true, start: c.start, items: c.items }
              : { type: "list", ordered: c.ordered, items: c.items },
          );
        }
      } else if (c.kind === "item") {
        if (parent.kind === "list") parent.items.push(c.blocks);
        else for (const b of c.blocks) this.addBlock(b);
      }
      if (c === container) return;
    }
  }

  /** The blocks read, with everything still open closed. */
  finish(): Block[] {
    this.endLeaf();
    const first = this.containers[1];
    if (first !== undefined) this.close(first);
    return this.root.blocks;
  }

  private push(c: Container): Container {
    this.nested++;
    this.containers.push(c);
    return c;
  }

  /** Blocks put straight into a list (outside any `<li>`) join its last item, as browsers show them. */
  private addBlock(block: Block): void {
    const c = this.containers[this.containers.length - 1] as Container;
    if (c.kind !== "list") {
      c.blocks.push(block);
      return;
    }
    const last = c.items[c.items.length - 1];
    if (last === undefined) c.items.push([block]);
    else last.push(block);
  }
}

function newLeaf(kind: Leaf["kind"], level: Level, table: boolean): Leaf {
  return { kind, level, children: [], linkKey: undefined, linkChildren: [], last: "start", shows: false, table };
}
