/**
 * Matrix `org.matrix.custom.html` to the rich-text tree: what each tag of
 * the Matrix HTML subset (client-server API, "m.room.message msgtypes")
 * means for the tree. Unknown tags keep their text; `<script>`, `<style>`
 * and the `<mx-reply>` fallback are dropped by the tokenizer.
 *
 * Elements are matched like a forgiving browser: an end tag closes the
 * nearest open element of its name and everything opened inside it, an
 * end tag with nothing to close is ignored, a new `<li>` closes the
 * previous item of its list, and whatever is still open at the end closes
 * there. Counting open elements per name keeps this linear.
 */
import { type Inline, type InlineStyle, type MentionTarget, normalizeRichText, type RichText } from "@parley/bridge";
import type { MatrixReadContext } from "./context.ts";
import type { Container } from "./document-builder.ts";
import { DocumentBuilder } from "./document-builder.ts";
import { isReadableHref, type MatrixEntity, matrixEntityOf, pillName } from "./matrix-links.ts";
import { type Attributes, type TokenSink, tokenize } from "./tokenizer.ts";

interface Capture {
  /** `pre`: a code block; `code`: inline code; `mention`: the text of a pill. */
  readonly kind: "pre" | "code" | "mention";
  text: string;
  lang: string | undefined;
  /** Right after `<pre>`, where one line feed is dropped (as HTML does). */
  atStart: boolean;
  readonly entity: MatrixEntity | undefined;
}

interface OpenElement {
  readonly name: string;
  style?: InlineStyle;
  link?: boolean;
  container?: Container | undefined;
  /** A `<ul>`/`<ol>` (whether or not it got a container). */
  list?: boolean;
  /** An `<li>` that opened an item, and the list element it belongs to. */
  itemOf?: OpenElement;
  capture?: Capture;
  /** Ends the paragraph when it closes. */
  block?: boolean;
  /** Inside a table cell, where blocks only separate words. */
  soft?: boolean;
  table?: boolean;
  row?: boolean;
}

const VOID = new Set([
  "br",
  "hr",
  "img",
  "wbr",
  "input",
  "meta",
  "link",
  "area",
  "base",
  "col",
  "embed",
  "param",
  "source",
  "track",
  "keygen",
  "frame",
]);

const STYLE_OF: Readonly<Record<string, InlineStyle>> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  del: "strike",
  s: "strike",
  strike: "strike",
};

/** Elements that only start and end a paragraph. */
const PARAGRAPH_LIKE = new Set([
  "p",
  "div",
  "details",
  "summary",
  "caption",
  "dl",
  "dt",
  "dd",
  "figure",
  "figcaption",
  "address",
  "article",
  "aside",
  "footer",
  "header",
  "main",
  "nav",
  "section",
  "center",
]);

const HEADING = /^h([1-6])$/;

export function readMatrixHtml(html: string, ctx: MatrixReadContext): RichText {
  const reader = new HtmlReader(ctx);
  tokenize(html, reader);
  return normalizeRichText({ blocks: reader.finish() });
}

class HtmlReader implements TokenSink {
  private readonly ctx: MatrixReadContext;
  private readonly doc = new DocumentBuilder();
  private readonly open: OpenElement[] = [];
  private readonly openCount = new Map<string, number>();
  private readonly lists: OpenElement[] = [];
  private readonly items: OpenElement[] = [];
  private capture: Capture | undefined;
  private tables = 0;
  private cells = 0;

  constructor(ctx: MatrixReadContext) {
    this.ctx = ctx;
  }

  text(text: string): void {
    const cap = this.capture;
    if (cap === undefined) {
      this.doc.text(text);
      return;
    }
    let t = text;
    if (cap.atStart) {
      cap.atStart = false;
      if (t.startsWith("\r\n")) t = t.slice(2);
      else if (t.startsWith("\n") || t.startsWith("\r")) t = t.slice(1);
    }
    cap.text += t;
  }

  startTag(name: string, attributes: Attributes, selfClosing: boolean): void {
    if (this.capture !== undefined) {
      this.captureTag(this.capture, name, attributes);
      if (!selfClosing && !VOID.has(name)) this.push({ name });
      return;
    }
    if (VOID.has(name)) {
      this.voidTag(name, attributes);
      return;
    }
    const el: OpenElement = { name };
    this.opening(el, attributes);
    if (selfClosing) this.closing(el);
    else this.push(el);
  }

  endTag(name: string): void {
    if (name === "br") {
      this.startTag("br", new Map(), true); // `</br>` is a line break, as in browsers
      return;
    }
    if ((this.openCount.get(name) ?? 0) === 0) {
      if (name === "p" && this.capture === undefined) this.doc.endLeaf();
      return;
    }
    for (;;) {
      const el = this.pop();
      if (el === undefined || el.name === name) return;
    }
  }

  finish() {
    while (this.pop() !== undefined) {
      // closes every element left open
    }
    return this.doc.finish();
  }

  // --- elements ------------------------------------------------------------------

  private push(el: OpenElement): void {
    this.open.push(el);
    this.openCount.set(el.name, (this.openCount.get(el.name) ?? 0) + 1);
  }

  private pop(): OpenElement | undefined {
    const el = this.open.pop();
    if (el === undefined) return undefined;
    this.openCount.set(el.name, (this.openCount.get(el.name) ?? 1) - 1);
    this.closing(el);
    return el;
  }

  private opening(el: OpenElement, attrs: Attributes): void {
    const doc = this.doc;
    const style = STYLE_OF[el.name];
    if (style !== undefined) {
      el.style = style;
      doc.style(style, 1);
      return;
    }
    const heading = HEADING.exec(el.name);
    if (heading) {
      if (this.tables > 0) this.softBlock(el);
      else {
        doc.startHeading(Number(heading[1]) as 1);
        el.block = true;
      }
      return;
    }
    if (PARAGRAPH_LIKE.has(el.name)) {
      if (this.tables > 0 && el.name !== "caption") this.softBlock(el);
      else {
        doc.endLeaf();
        el.block = true;
      }
      return;
    }
    switch (el.name) {
      case "span":
      case "font":
        if (attrs.has("data-mx-spoiler")) {
          el.style = "spoiler";
          doc.style("spoiler", 1);
        }
        return;
      case "a":
        this.anchor(el, attrs);
        return;
      case "code":
        this.startCapture(el, "code", undefined);
        return;
      case "pre":
        doc.endLeaf();
        el.block = true;
        this.startCapture(el, "pre", undefined);
        return;
      case "blockquote":
        el.container = doc.openQuote();
        el.block = true;
        return;
      case "ul":
      case "ol":
        el.container = doc.openList(el.name === "ol", el.name === "ol" ? listStart(attrs.get("start")) : undefined);
        el.list = true;
        el.block = true;
        this.lists.push(el);
        return;
      case "li":
        this.listItem(el);
        return;
      case "table":
        doc.endLeaf();
        this.tables++;
        el.table = true;
        el.block = true;
        return;
      case "tr":
        doc.tableRow();
        this.cells = 0;
        el.row = true;
        return;
      case "td":
      case "th":
        if (this.cells++ > 0) doc.text(" | ");
        return;
      default:
        return;
    }
  }

  private closing(el: OpenElement): void {
    if (el.capture !== undefined && el.capture === this.capture) this.endCapture(el.capture);
    if (el.style !== undefined) this.doc.style(el.style, -1);
    if (el.link) this.doc.closeLink(el);
    if (el.list) this.lists.pop();
    if (el.itemOf !== undefined) this.items.pop();
    if (el.table) this.tables--;
    if (el.soft) this.doc.softSpace();
    if (el.container !== undefined) this.doc.close(el.container);
    else if (el.block) this.doc.endLeaf();
  }

  private softBlock(el: OpenElement): void {
    this.doc.softSpace();
    el.soft = true;
  }

  private listItem(el: OpenElement): void {
    el.block = true;
    const list = this.lists[this.lists.length - 1];
    if (list?.container === undefined) {
      this.doc.endLeaf();
      return;
    }
    // A new item closes the list's open one (and whatever is still open inside it).
    const previous = this.items[this.items.length - 1];
    if (previous !== undefined && previous.itemOf === list) {
      for (;;) {
        const closed = this.pop();
        if (closed === undefined || closed === previous) break;
      }
    }
    el.container = this.doc.openItem(list.container);
    if (el.container === undefined) return;
    el.itemOf = list;
    this.items.push(el);
  }

  private anchor(el: OpenElement, attrs: Attributes): void {
    const href = (attrs.get("href") ?? "").trim();
    if (href === "") return;
    const entity = matrixEntityOf(href);
    if (entity !== undefined) {
      this.startCapture(el, "mention", entity);
      return;
    }
    if (!isReadableHref(href)) return; // javascript:, data:, relative links: keep the text only
    el.link = true;
    this.doc.openLink(el, href);
  }

  private voidTag(name: string, attrs: Attributes): void {
    switch (name) {
      case "br":
        this.doc.lineBreak();
        return;
      case "hr":
        this.doc.paragraph("---");
        return;
      case "img":
        this.image(attrs);
        return;
      default:
        return;
    }
  }

  /** A custom emoji (`data-mx-emoticon`), else a link to the image with its alt text. */
  private image(attrs: Attributes): void {
    const src = (attrs.get("src") ?? "").trim();
    const alt = attrs.get("alt") ?? attrs.get("title") ?? "";
    const url = src.toLowerCase().startsWith("mxc://")
      ? this.mediaUrl(src)
      : /^https?:\/\//i.test(src)
        ? src
        : undefined;
    if (attrs.has("data-mx-emoticon")) {
      const name = emojiName(alt);
      if (name !== "") {
        this.doc.node(url === undefined ? { type: "emoji", name } : { type: "emoji", name, url });
        return;
      }
    }
    if (url !== undefined)
      this.doc.node({ type: "link", url, children: alt === "" ? [] : [{ type: "text", text: alt }] });
    else if (alt !== "") this.doc.text(alt);
  }

  // --- captured text: code, code blocks, pills -----------------------------------

  private startCapture(el: OpenElement, kind: Capture["kind"], entity: MatrixEntity | undefined): void {
    const cap: Capture = { kind, text: "", lang: undefined, atStart: kind === "pre", entity };
    el.capture = cap;
    this.capture = cap;
  }

  private captureTag(cap: Capture, name: string, attrs: Attributes): void {
    cap.atStart = false;
    if (name === "br") cap.text += cap.kind === "pre" ? "\n" : " ";
    else if (name === "code" && cap.kind === "pre" && cap.lang === undefined && cap.text === "") {
      cap.lang = languageOf(attrs.get("class"));
    }
  }

  private endCapture(cap: Capture): void {
    this.capture = undefined;
    switch (cap.kind) {
      case "pre": {
        const text = cap.text.replace(/\r\n?/g, "\n");
        this.doc.codeBlock(text.endsWith("\n") ? text.slice(0, -1) : text, cap.lang);
        return;
      }
      case "code":
        if (cap.text !== "") this.doc.node({ type: "code", text: cap.text });
        return;
      case "mention":
        if (cap.entity !== undefined) this.doc.node(this.mention(cap.entity, cap.text));
        return;
    }
  }

  private mention(entity: MatrixEntity, text: string): Inline {
    if (entity.kind === "room") {
      const target: MentionTarget = { kind: "channel", network: "matrix", remoteId: entity.id };
      return { type: "mention", name: pillName(text, "#") || entity.id.slice(1), target };
    }
    const target: MentionTarget = { kind: "user", network: "matrix", remoteId: entity.id };
    const known = this.userName(entity.id);
    return { type: "mention", name: known ?? (pillName(text, "@") || entity.id.slice(1)), target };
  }

  // --- the caller's context (which must not break reading) -------------------------

  private userName(id: string): string | undefined {
    try {
      const name = this.ctx.userName?.(id);
      return typeof name === "string" && name.trim() !== "" ? name.trim() : undefined;
    } catch {
      return undefined; // the caller's look-up must not break reading: the id stands for the name
    }
  }

  private mediaUrl(mxc: string): string | undefined {
    try {
      const url = this.ctx.mediaUrl?.(mxc);
      return typeof url === "string" && url !== "" ? url : undefined;
    } catch {
      return undefined; // the caller's look-up must not break reading: the image goes without a URL to fetch
    }
  }
}

/** `:name:` as clients write a custom emoji's alt text, without its colons. */
function emojiName(alt: string): string {
  const t = alt.trim();
  return t.length >= 2 && t.startsWith(":") && t.endsWith(":") ? t.slice(1, -1) : t;
}

function languageOf(cls: string | undefined): string | undefined {
  for (const word of (cls ?? "").split(/\s+/)) {
    if (word.startsWith("language-") && word.length > "language-".length) return word.slice("language-".length);
  }
  return undefined;
}

function listStart(attr: string | undefined): number | undefined {
  const m = /^\s*([+-]?\d{1,12})/.exec(attr ?? "");
  return m ? Number(m[1]) : undefined;
}
