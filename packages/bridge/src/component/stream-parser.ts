/**
 * An incremental XMPP stream parser: feed it socket chunks; it reports the
 * stream header's attributes once, then each complete top-level element
 * (stanza, handshake, stream error), and the end of the stream. A stanza over
 * `maxStanzaLength` characters or nested deeper than `maxDepth` is a stream
 * error (the connection must be closed), never an exception that escapes.
 */
import { Element } from "@parley/stanza";
import SaxLtx from "ltx/lib/parsers/ltx.js";

export interface StreamParserEvents {
  header(attrs: Record<string, string>): void;
  element(el: Element): void;
  end(): void;
  error(message: string): void;
}

export class StreamParser {
  private readonly sax = new SaxLtx();
  private cursor: Element | undefined;
  private depth = 0;
  private stanzaChars = 0;
  private failed = false;
  private readonly on: StreamParserEvents;
  private readonly limits: { maxStanzaLength: number; maxDepth: number };

  constructor(
    on: StreamParserEvents,
    limits: { maxStanzaLength: number; maxDepth: number } = { maxStanzaLength: 1_000_000, maxDepth: 256 },
  ) {
    this.on = on;
    this.limits = limits;
    this.sax.on("startElement", (name, attrs) => {
      if (this.depth === 0) {
        if (name !== "stream:stream") return this.fail(`the stream opened with <${name}>, not <stream:stream>`);
        this.depth = 1;
        this.on.header(attrs);
        return;
      }
      if (++this.depth > this.limits.maxDepth + 1)
        return this.fail(`a stanza nests deeper than ${this.limits.maxDepth}`);
      const el = new Element(name);
      el.attrs = attrs;
      if (this.cursor) this.cursor.cnode(el);
      this.cursor = el;
    });
    this.sax.on("endElement", (name) => {
      if (this.depth === 1) {
        if (name === "stream:stream") {
          this.depth = 0;
          this.on.end();
        }
        return;
      }
      const el = this.cursor;
      if (!el || el.name !== name) return this.fail(`</${name}> does not close <${el?.name ?? "nothing"}>`);
      this.depth--;
      if (this.depth === 1) {
        this.cursor = undefined;
        this.stanzaChars = 0;
        el.parent = null;
        this.on.element(el);
      } else {
        this.cursor = el.parent ?? undefined;
      }
    });
    this.sax.on("text", (text) => {
      // Whitespace between stanzas is a keepalive; text inside a stanza belongs to it.
      if (this.cursor) this.cursor.t(text);
    });
  }

  write(chunk: string): void {
    if (this.failed) return;
    // Characters since the last complete top-level element: socket chunks are far
    // smaller than the limit, so only a stanza that keeps growing trips it.
    this.stanzaChars += chunk.length;
    if (this.stanzaChars > this.limits.maxStanzaLength) {
      this.fail(`a stanza is over ${this.limits.maxStanzaLength} characters`);
      return;
    }
    try {
      this.sax.write(chunk);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.on.error(message);
  }
}
