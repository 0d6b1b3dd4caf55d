/**
 * The XML layer: @xmpp/xml's Element (ltx), a parser that never throws, and the
 * few helpers every payload module uses to read children, attributes and text.
 */
import { Element, xml } from "@xmpp/xml";
import SaxLtx from "ltx/lib/parsers/ltx.js";
import { err, ok, parseError, type Result } from "./result.ts";

export { Element, xml };

/** Default ceiling for one stanza's serialized size (bytes of UTF-16 code units). */
export const DEFAULT_MAX_STANZA_LENGTH = 1_000_000;

export interface ParseXmlOptions {
  /** Refuse input longer than this many characters. Default 1,000,000. */
  readonly maxLength?: number;
}

/** How deep elements may nest in one stanza; deeper input is refused rather than recursed into. */
export const MAX_XML_DEPTH = 256;

// XML 1.0 §2.2: characters that may not appear in a document at all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is refused
const ILLEGAL_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is looked for
const SUSPICIOUS_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is replaced
const ILLEGAL_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

class XmlRefusal extends Error {}

/** The last character that is not XML whitespace, without copying the string. */
function lastNonSpace(s: string): string | undefined {
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return s[i];
  }
  return undefined;
}

/**
 * Builds one element tree from ltx's SAX events. One instance is reused across
 * parses (its parser and listeners are the costly part to set up); it is
 * replaced whenever a parse fails, since the parser may then be mid-token.
 */
class TreeBuilder {
  readonly parser = new SaxLtx();
  root: Element | undefined;
  cursor: Element | undefined;
  depth = 0;

  constructor() {
    this.parser.on("startElement", (name, attrs) => {
      if (this.root !== undefined && this.cursor === undefined)
        throw new XmlRefusal(`<${name}> after the root element`);
      if (++this.depth > MAX_XML_DEPTH) throw new XmlRefusal(`elements nest deeper than ${MAX_XML_DEPTH}`);
      const el = new Element(name);
      el.attrs = attrs; // the SAX parser hands over a fresh object: no need to copy it
      if (this.cursor) this.cursor.cnode(el);
      else this.root = el;
      this.cursor = el;
    });
    this.parser.on("endElement", (name) => {
      const c = this.cursor;
      if (!c || c.name !== name)
        throw new XmlRefusal(c ? `</${name}> closes <${c.name}>` : `</${name}> closes nothing`);
      this.depth--;
      this.cursor = c.parent ?? undefined;
    });
    this.parser.on("text", (text) => {
      if (this.cursor) this.cursor.t(text);
      else if (text.trim() !== "") throw new XmlRefusal("text outside the root element");
    });
  }
}

let builder = new TreeBuilder();

/**
 * Parses exactly one XML element from a string. Returns an error, never
 * throws, for: input over `maxLength`, characters XML forbids (controls, lone
 * surrogates, U+FFFE/U+FFFF), DTDs, mismatched or unclosed tags, text or
 * elements outside the root, nesting deeper than MAX_XML_DEPTH, and bad entities.
 */
export function parseXml(input: string, options: ParseXmlOptions = {}): Result<Element> {
  const max = options.maxLength ?? DEFAULT_MAX_STANZA_LENGTH;
  if (typeof input !== "string") return err(parseError("xml-malformed", "input is not a string"));
  if (input.length > max) {
    return err(parseError("xml-too-large", `input is ${input.length} characters, over the limit of ${max}`));
  }
  if (ILLEGAL_XML_CHAR.test(input) || !input.isWellFormed()) {
    return err(parseError("xml-malformed", "input contains a character XML does not allow"));
  }
  if (input.indexOf("<!") >= 0 && (input.includes("<!DOCTYPE") || input.includes("<!ENTITY"))) {
    return err(parseError("xml-malformed", "DTDs and entity declarations are not allowed in XMPP"));
  }
  const b = builder;
  b.root = undefined;
  b.cursor = undefined;
  b.depth = 0;
  try {
    b.parser.write(input);
  } catch (cause) {
    // The parser may have stopped mid-token: the next parse gets a fresh one.
    builder = new TreeBuilder();
    return err(parseError("xml-malformed", cause instanceof Error ? cause.message : String(cause)));
  }
  const root = b.root as Element | undefined;
  const cursor = b.cursor as Element | undefined;
  b.root = undefined;
  b.cursor = undefined;
  let problem: string | undefined;
  if (!root) problem = "no root element";
  else if (cursor) problem = `<${cursor.name}> is not closed`;
  else if (lastNonSpace(input) !== ">") problem = "unfinished markup after the root element";
  if (problem !== undefined || !root) {
    builder = new TreeBuilder();
    return err(parseError("xml-malformed", problem ?? "no root element"));
  }
  root.parent = null;
  return ok(root);
}

/**
 * Whether `el` is `<name xmlns=ns>`. The fast path reads the element's own
 * xmlns; an element that inherits its namespace or uses a prefix is resolved
 * through its parents, as XML namespaces require.
 */
export function isElement(el: Element, name: string, ns?: string): boolean {
  if (el.name === name) {
    if (ns === undefined) return true;
    const own = el.attrs.xmlns;
    return own === undefined ? el.getNS() === ns : own === ns;
  }
  if (el.name.indexOf(":") < 0) return false;
  return el.getName() === name && (ns === undefined || el.getNS() === ns);
}

/** The first child element with this local name (and namespace, when given). */
export function childOf(el: Element, name: string, ns?: string): Element | undefined {
  for (const c of el.children) {
    if (typeof c !== "string" && isElement(c, name, ns)) return c;
  }
  return undefined;
}

/** All child elements with this local name (and namespace, when given). */
export function childrenOf(el: Element, name: string, ns?: string): Element[] {
  const out: Element[] = [];
  for (const c of el.children) {
    if (typeof c !== "string" && isElement(c, name, ns)) out.push(c);
  }
  return out;
}

/** The namespace an element is in: its own xmlns, else resolved through its parents. */
export function nsOf(el: Element): string | undefined {
  const own = el.attrs.xmlns;
  if (typeof own === "string" && el.name.indexOf(":") < 0) return own;
  const ns = el.getNS();
  return typeof ns === "string" ? ns : undefined;
}

/** The local name of an element, without any prefix. */
export function localNameOf(el: Element): string {
  return el.name.indexOf(":") < 0 ? el.name : el.getName();
}

/** All child elements, skipping text nodes. */
export function elementsOf(el: Element): Element[] {
  const out: Element[] = [];
  for (const c of el.children) if (typeof c !== "string") out.push(c);
  return out;
}

/** The text content of an element (children's text concatenated), or undefined if it has no text. */
export function textOf(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  const cs = el.children;
  if (cs.length === 1 && typeof cs[0] === "string") return cs[0];
  let s = "";
  let any = false;
  for (const c of cs) {
    if (typeof c === "string") {
      s += c;
      any = true;
    }
  }
  return any ? s : undefined;
}

/** A string attribute or undefined (ltx may carry non-strings when elements are built by hand). */
export function attrOf(el: Element, name: string): string | undefined {
  const v = el.attrs[name];
  return typeof v === "string" ? v : v === undefined || v === null ? undefined : String(v);
}

/**
 * Text XML can carry: characters XML 1.0 forbids (controls, U+FFFE/U+FFFF,
 * lone surrogates) become U+FFFD, so a builder never writes a stanza the
 * server would refuse (and close the stream over) because of one remote byte.
 */
export function xmlSafe(s: string): string {
  // One scan settles the common case: no control, no U+FFFE/U+FFFF, no surrogate at all.
  if (!SUSPICIOUS_CHAR.test(s)) return s;
  if (!ILLEGAL_XML_CHAR.test(s) && s.isWellFormed()) return s;
  return s.toWellFormed().replace(ILLEGAL_XML_CHARS, "\uFFFD");
}

/** Builds an element, leaving out attributes whose value is undefined; text is made XML-safe. */
export function element(
  name: string,
  attrs: Record<string, string | number | undefined>,
  ...children: Array<Element | string | undefined>
): Element {
  const el = new Element(name);
  const a = el.attrs;
  for (const k in attrs) {
    const v = attrs[k];
    // Namespaces come from this package's constants or a parsed document: already safe.
    if (v !== undefined) a[k] = typeof v !== "string" ? String(v) : k === "xmlns" ? v : xmlSafe(v);
  }
  for (const c of children) {
    if (c === undefined) continue;
    if (typeof c === "string") el.t(xmlSafe(c));
    else el.cnode(c);
  }
  return el;
}

/**
 * Whether a stanza child is in the stanza's own namespace (jabber:client,
 * jabber:component:accept, or inherited from a root that declares none), as
 * body, subject, thread, show, status, priority and error are.
 */
export function isCoreChild(child: Element): boolean {
  const own = child.attrs.xmlns;
  if (own === undefined) {
    if (child.name.indexOf(":") >= 0) return false;
    const parentNs = child.parent ? nsOf(child.parent) : undefined;
    return (
      parentNs === undefined ||
      parentNs === "" ||
      parentNs === CLIENT_NS ||
      parentNs === COMPONENT_NS ||
      parentNs === SERVER_NS
    );
  }
  return own === CLIENT_NS || own === COMPONENT_NS || own === SERVER_NS;
}

const CLIENT_NS = "jabber:client";
const COMPONENT_NS = "jabber:component:accept";
const SERVER_NS = "jabber:server";

/** A non-empty attribute, or a `missing-attribute` error naming `path@name`. */
export function requiredAttr(el: Element, name: string, path: string): Result<string> {
  const v = attrOf(el, name);
  if (v === undefined || v === "")
    return err(parseError("missing-attribute", `<${path}/> needs a non-empty ${name}`, `${path}@${name}`));
  return ok(v);
}

/** A non-negative integer attribute (decimal digits only), undefined when absent, or an error. */
export function uintAttr(el: Element, name: string, path: string): Result<number | undefined> {
  const v = attrOf(el, name);
  if (v === undefined) return ok(undefined);
  if (!/^\d{1,15}$/.test(v)) {
    return err(parseError("invalid-attribute", `${name} "${v}" is not a non-negative integer`, `${path}@${name}`));
  }
  return ok(Number(v));
}
