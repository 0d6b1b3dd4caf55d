// Type declarations for @xmpp/xml and ltx, which ship none. Only the surface
// @parley/stanza and its consumers use is declared.
declare module "@xmpp/xml" {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, unknown>);
    name: string;
    parent: Element | null;
    children: Node[];
    attrs: Record<string, string | undefined> & { xmlns?: string };
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    c(name: string, attrs?: Record<string, unknown>): Element;
    cnode(child: Element): Element;
    append(...nodes: Node[]): void;
    t(text: string): Element;
    up(): Element;
    root(): Element;
    remove(el: Element | string, xmlns?: string): Element;
    attr(name: string, value?: unknown): unknown;
    toString(): string;
  }
  export function xml(
    name: string,
    attrs?: Record<string, unknown> | null,
    ...children: Array<Node | Node[] | undefined | null>
  ): Element;
  export function escapeXML(s: string): string;
  export function unescapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXMLText(s: string): string;
  export class XMLError extends Error {}
  export class Parser {
    constructor();
    on(event: "start" | "element" | "end", listener: (el: Element) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    write(data: string): void;
    end(data?: string): void;
  }
  export default xml;
}

declare module "ltx/lib/parsers/ltx.js" {
  /** ltx's own SAX parser: events only, no tree. */
  export default class SaxLtx {
    on(event: "startElement", listener: (name: string, attrs: Record<string, string>) => void): this;
    on(event: "endElement", listener: (name: string, selfClosing: boolean) => void): this;
    on(event: "text", listener: (text: string) => void): this;
    write(data: string): void;
    end(data?: string): void;
  }
}

declare module "@xmpp/xml/lib/parse.js" {
  import type { Element } from "@xmpp/xml";
  /** @xmpp/xml's lenient one-shot parser (used only as the benchmark's baseline). */
  export default function parse(data: string): Element | null;
}
