/**
 * A forgiving HTML tokenizer for `formatted_body`: start tags (with the few
 * attributes Matrix gives meaning to), end tags and text, in document order.
 *
 * It never backtracks, so every input costs linear time: a tag, comment or
 * quoted attribute that is still open at the end of the input is not
 * dropped (as a browser would) but handed over as text, so nothing the
 * sender wrote is lost. `<script>` and `<style>` content is skipped, and so
 * is a closed `<mx-reply>` fallback (the quoted message a client adds to a
 * reply; the reply relation carries it already). An `<mx-reply>` that never
 * closes is taken for an ordinary unknown tag, so its text is kept.
 */
import { decodeEntities } from "./entities.ts";

export type Attributes = ReadonlyMap<string, string>;

export interface TokenSink {
  /** Text with character references decoded; never empty. */
  text(text: string): void;
  /** `name` is lower case; `selfClosing` when written `<name/>`. */
  startTag(name: string, attributes: Attributes, selfClosing: boolean): void;
  endTag(name: string): void;
}

/** The attributes any Matrix tag gives meaning to; others are skipped so huge or many attributes cost no memory. */
const KEPT_ATTRIBUTES = new Set([
  "href",
  "src",
  "alt",
  "title",
  "class",
  "start",
  "data-mx-spoiler",
  "data-mx-emoticon",
]);

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Elements whose content is skipped up to their end tag. */
const SKIPPED = new Map<string, RegExp>([
  ["script", /<\/script[\s/>]/gi],
  ["style", /<\/style[\s/>]/gi],
  ["mx-reply", /<\/mx-reply[\s/>]/gi],
]);

export function tokenize(src: string, sink: TokenSink): void {
  new Tokenizer(src, sink).run();
}

interface Tag {
  readonly name: string;
  readonly attributes: Map<string, string>;
  readonly selfClosing: boolean;
  /** Index just past the closing `>`. */
  readonly end: number;
}

class Tokenizer {
  private readonly src: string;
  private readonly sink: TokenSink;
  /** Per skipped element: the position from which no end tag follows (searching again would make input quadratic). */
  private readonly noEndTagFrom = new Map<string, number>();

  constructor(src: string, sink: TokenSink) {
    this.src = src;
    this.sink = sink;
  }

  run(): void {
    const src = this.src;
    let textFrom = 0;
    let i = 0;
    const flushText = (to: number) => {
      if (to > textFrom) this.sink.text(decodeEntities(src.slice(textFrom, to)));
    };
    while (i < src.length) {
      const lt = src.indexOf("<", i);
      if (lt < 0) break;
      const c1 = src.charCodeAt(lt + 1);
      if (isLetter(c1)) {
        const tag = this.startTag(lt);
        if (tag === undefined) break; // unterminated: the rest is text
        flushText(lt);
        i = this.emitStartTag(tag);
        textFrom = i;
        continue;
      }
      if (c1 === 0x2f /* / */) {
        const c2 = src.charCodeAt(lt + 2);
        if (isLetter(c2)) {
          const gt = src.indexOf(">", lt + 2);
          if (gt < 0) break;
          flushText(lt);
          let e = lt + 2;
          while (e < gt && !isSpace(src.charCodeAt(e)) && src.charCodeAt(e) !== 0x2f) e++;
          this.sink.endTag(src.slice(lt + 2, e).toLowerCase());
          i = gt + 1;
          textFrom = i;
          continue;
        }
        if (c2 === 0x3e /* > */) {
          flushText(lt); // `</>` means nothing
          i = lt + 3;
          textFrom = i;
          continue;
        }
        i = lt + 1;
        continue;
      }
      if (c1 === 0x21 /* ! */ || c1 === 0x3f /* ? */) {
        const end = this.commentEnd(lt);
        if (end < 0) break;
        flushText(lt);
        i = end;
        textFrom = i;
        continue;
      }
      i = lt + 1; // a `<` that starts nothing: text
    }
    flushText(src.length);
  }

  /** Past a comment, doctype or processing instruction at `lt`, or -1 when it never ends. */
  private commentEnd(lt: number): number {
    const src = this.src;
    if (src.startsWith("<!--", lt)) {
      if (src.startsWith(">", lt + 4)) return lt + 5;
      if (src.startsWith("->", lt + 4)) return lt + 6;
      const close = src.indexOf("-->", lt + 4);
      return close < 0 ? -1 : close + 3;
    }
    const gt = src.indexOf(">", lt + 2);
    return gt < 0 ? -1 : gt + 1;
  }

  /** The start tag at `lt`, or undefined when the input ends inside it. */
  private startTag(lt: number): Tag | undefined {
    const src = this.src;
    const n = src.length;
    let j = lt + 1;
    while (j < n) {
      const c = src.charCodeAt(j);
      if (isSpace(c) || c === 0x2f || c === 0x3e) break;
      j++;
    }
    const name = src.slice(lt + 1, j).toLowerCase();
    const attributes = new Map<string, string>();
    let selfClosing = false;
    for (;;) {
      while (j < n && (isSpace(src.charCodeAt(j)) || src.charCodeAt(j) === 0x2f)) {
        selfClosing = src.charCodeAt(j) === 0x2f;
        j++;
      }
      if (j >= n) return undefined;
      if (src.charCodeAt(j) === 0x3e) return { name, attributes, selfClosing, end: j + 1 };
      selfClosing = false;
      const nameFrom = j;
      j++; // the first character belongs to the name, even `=`
      while (j < n) {
        const c = src.charCodeAt(j);
        if (isSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
        j++;
      }
      const attr = src.slice(nameFrom, j).toLowerCase();
      let k = j;
      while (k < n && isSpace(src.charCodeAt(k))) k++;
      let value = "";
      if (src.charCodeAt(k) === 0x3d /* = */) {
        k++;
        while (k < n && isSpace(src.charCodeAt(k))) k++;
        const q = src.charCodeAt(k);
        if (q === 0x22 || q === 0x27) {
          const close = src.indexOf(q === 0x22 ? '"' : "'", k + 1);
          if (close < 0) return undefined;
          value = src.slice(k + 1, close);
          j = close + 1;
        } else {
          const from = k;
          while (k < n && !isSpace(src.charCodeAt(k)) && src.charCodeAt(k) !== 0x3e) k++;
          value = src.slice(from, k);
          j = k;
        }
      }
      if (KEPT_ATTRIBUTES.has(attr) && !attributes.has(attr)) attributes.set(attr, decodeEntities(value));
    }
  }

  /** Hands a start tag over (or skips its element) and returns where tokenizing goes on. */
  private emitStartTag(tag: Tag): number {
    const skip = SKIPPED.get(tag.name);
    if (skip === undefined || tag.selfClosing) {
      this.sink.startTag(tag.name, tag.attributes, tag.selfClosing);
      return tag.end;
    }
    const end = this.skippedEnd(tag.name, skip, tag.end);
    if (end >= 0) return end;
    // No end tag follows: script and style content is dropped, an unclosed reply fallback is kept.
    if (tag.name !== "mx-reply") return this.src.length;
    this.sink.startTag(tag.name, tag.attributes, false);
    return tag.end;
  }

  /** Past the end tag of a skipped element whose content starts at `from`, or -1. */
  private skippedEnd(name: string, pattern: RegExp, from: number): number {
    const none = this.noEndTagFrom.get(name);
    if (none !== undefined && from >= none) return -1;
    pattern.lastIndex = from;
    const m = pattern.exec(this.src);
    const gt = m === null ? -1 : this.src.indexOf(">", m.index);
    if (m === null || gt < 0) {
      this.noEndTagFrom.set(name, from);
      return -1;
    }
    return gt + 1;
  }
}
