/**
 * An incremental XMPP stream parser: feed it socket chunks; it reports the
 * stream header's attributes once, then each complete top-level element
 * (stanza, handshake, stream error), and the end of the stream.
 *
 * One stanza never ends the stream: a stanza longer than `maxStanzaLength`
 * characters or nested deeper than `maxDepth` is read to its end without
 * being kept, then reported on its own (`dropped`) as a skeleton: its own
 * name and attributes and a few shallow children without text (enough to
 * answer it or to name it in a log: from, to, id, type, stanza-id, an archive
 * result's id), and the stream goes on with the next stanza. Only XML the
 * parser cannot read at all is a stream `error` (the connection must be
 * closed then: there is no telling where the next stanza begins).
 *
 * Memory: what is built of a stanza is bounded by the limits; while an
 * oversized stanza is skipped, the tokenizer still holds its longest run of
 * text between two tags, which the server's own stanza limit bounds.
 */
import { Element } from "@parley/stanza";
import SaxLtx from "ltx/lib/parsers/ltx.js";

export interface StreamParserLimits {
  /** Characters of one stanza: names, attribute values and text. */
  readonly maxStanzaLength: number;
  /** Elements nested in one stanza, the stanza itself counted as 1. */
  readonly maxDepth: number;
}

export const DEFAULT_STREAM_LIMITS: StreamParserLimits = { maxStanzaLength: 1_000_000, maxDepth: 256 };

/** Why a stanza was dropped: what it broke, with the limit. */
export interface DroppedStanza {
  /** The stanza's name and attributes and up to SKELETON_ELEMENTS shallow children, without text. */
  readonly skeleton: Element;
  readonly reason: string;
}

export interface StreamParserEvents {
  header(attrs: Record<string, string>): void;
  element(el: Element): void;
  /** A stanza over the limits, read to its end and left out; the stream goes on. */
  dropped?(stanza: DroppedStanza): void;
  end(): void;
  error(message: string): void;
}

/** How deep (the stanza being 1) and how many elements a dropped stanza's skeleton keeps. */
const SKELETON_DEPTH = 3;
const SKELETON_ELEMENTS = 32;

export class StreamParser {
  private readonly sax = new SaxLtx();
  /**
   * The elements of the stanza being read that are open, outermost first (the
   * stanza itself at 0); while skipping, an element left out of the skeleton is
   * `undefined` here.
   */
  private open: (Element | undefined)[] = [];
  /** Inside the stream (after its header). */
  private inStream = false;
  /** Characters of the stanza being read, counted as its parts arrive. */
  private stanzaChars = 0;
  /** Characters written since the tokenizer last reported anything (text it holds back until the next tag). */
  private pendingChars = 0;
  /** Set while the current stanza is read to its end without being kept. */
  private skipping: { reason: string; kept: number } | undefined;
  private failed = false;
  private readonly on: StreamParserEvents;
  private readonly limits: StreamParserLimits;

  constructor(on: StreamParserEvents, limits: StreamParserLimits = DEFAULT_STREAM_LIMITS) {
    this.on = on;
    this.limits = limits;
    this.sax.on("startElement", (name, attrs) => this.startElement(name, attrs));
    this.sax.on("endElement", (name) => this.endElement(name));
    this.sax.on("text", (text) => {
      this.pendingChars = 0;
      // Whitespace between stanzas is a keepalive; text inside a stanza belongs to it.
      if (this.open.length === 0 || this.skipping) return;
      this.stanzaChars += text.length;
      if (this.stanzaChars > this.limits.maxStanzaLength) {
        this.skip(this.tooLong());
        return;
      }
      this.open.at(-1)?.t(own(text));
    });
  }

  write(chunk: string): void {
    if (this.failed) return;
    this.pendingChars += chunk.length;
    try {
      this.sax.write(chunk);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      return;
    }
    // Text the tokenizer holds until the next tag (chunks that reported nothing) counts against its stanza.
    if (this.open.length > 0 && this.stanzaChars + this.pendingChars > this.limits.maxStanzaLength) {
      this.skip(this.tooLong());
    }
  }

  private tooLong(): string {
    return `the stanza is over ${this.limits.maxStanzaLength} characters (xmpp.limits.maxStanzaLength)`;
  }

  private startElement(name: string, attrs: Record<string, string>): void {
    this.pendingChars = 0;
    if (this.failed) return;
    if (!this.inStream) {
      if (name !== "stream:stream") {
        this.fail(`the stream opened with <${name}>, not <stream:stream>`);
        return;
      }
      this.inStream = true;
      this.on.header(attrs);
      return;
    }
    const el = new Element(name);
    el.attrs = attrs;
    this.stanzaChars = (this.open.length === 0 ? 0 : this.stanzaChars) + name.length + ownAttributes(attrs);
    if (this.open.length === 0) {
      this.open.push(el);
      if (this.stanzaChars > this.limits.maxStanzaLength) this.skip(this.tooLong());
      return;
    }
    if (!this.skipping) {
      if (this.open.length + 1 > this.limits.maxDepth) {
        this.skip(`the stanza nests deeper than ${this.limits.maxDepth} elements (xmpp.limits.maxDepth)`);
      } else if (this.stanzaChars > this.limits.maxStanzaLength) {
        this.skip(this.tooLong());
      }
    }
    const parent = this.open.at(-1);
    const skipping = this.skipping;
    if (!skipping) {
      parent?.cnode(el);
      this.open.push(el);
      return;
    }
    // While skipping: a shallow element joins the skeleton (while it has room); anything else is only counted.
    const kept = parent !== undefined && this.open.length < SKELETON_DEPTH && skipping.kept < SKELETON_ELEMENTS;
    if (kept) {
      parent.cnode(el);
      skipping.kept++;
    }
    this.open.push(kept ? el : undefined);
  }

  private endElement(name: string): void {
    this.pendingChars = 0;
    if (this.failed) return;
    if (this.open.length === 0) {
      if (name === "stream:stream" && this.inStream) {
        this.inStream = false;
        this.on.end();
      }
      return;
    }
    const el = this.open.at(-1);
    // While skipping, the tokenizer's word that tags match is taken: the server wrote well-formed XML.
    if (!this.skipping && el?.name !== name) {
      this.fail(`</${name}> does not close <${el?.name ?? "nothing"}>`);
      return;
    }
    this.open.pop();
    if (this.open.length === 0 && el) this.finishStanza(el);
  }

  private finishStanza(stanza: Element): void {
    const skipping = this.skipping;
    this.skipping = undefined;
    this.stanzaChars = 0;
    stanza.parent = null;
    if (skipping) this.on.dropped?.({ skeleton: stanza, reason: skipping.reason });
    else this.on.element(stanza);
  }

  /** From here to the stanza's end nothing more is kept but its skeleton. */
  private skip(reason: string): void {
    const stanza = this.open[0];
    if (this.skipping || !stanza) return;
    const kept = prune(stanza);
    this.skipping = { reason, kept: kept.size };
    this.open = this.open.map((el) => (el && kept.has(el) ? el : undefined));
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.on.error(message);
  }
}

/**
 * A copy of `s` that shares nothing with the chunk it was cut from. The
 * tokenizer cuts names, values and text out of the socket's chunks, and V8
 * keeps a whole chunk (often tens of kB) alive for as long as a piece cut from
 * it is: an occupant id or a nick the engine holds for as long as an occupant
 * stays would hold their presence's chunk. V8 copies pieces shorter than 13
 * characters already; a longer one is joined to a space, which makes V8 copy
 * it into a string of its own, and cut back out of that.
 */
function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Makes each value of `attrs` a string of its own (`own`), in place, and
 * returns the characters of its names and values: one pass, no array of
 * pairs per element.
 */
function ownAttributes(attrs: Record<string, string>): number {
  let n = 0;
  for (const key of Object.keys(attrs)) {
    const value = own(attrs[key] as string);
    attrs[key] = value;
    n += key.length + value.length;
  }
  return n;
}

/** Cuts a stanza to its skeleton in place (no text, nothing deeper than SKELETON_DEPTH, at most SKELETON_ELEMENTS); returns what it kept. */
function prune(stanza: Element): Set<Element> {
  const kept = new Set<Element>([stanza]);
  const walk = (el: Element, level: number): void => {
    const children: Element[] = [];
    for (const c of el.children) {
      if (typeof c === "string" || level + 1 >= SKELETON_DEPTH || kept.size >= SKELETON_ELEMENTS) continue;
      kept.add(c);
      children.push(c);
      walk(c, level + 1);
    }
    el.children = children;
  };
  walk(stanza, 0);
  return kept;
}
