/**
 * RFC 6120/6121 `<message/>`: type, addressing, body, subject and thread
 * (XEP-0201) in the core namespace, then every payload a registered field
 * reads. Extension modules in `xep/` add their properties to `MessagePayloads`.
 */
import { type Extensible, readErrorChild, readExtensible, writePayloads } from "./extensible.ts";
import { messageFields } from "./fields/index.ts";
import { type FieldTable, fieldTable } from "./payload.ts";
import { err, ok, type ParseError, parseError, type Result } from "./result.ts";
import { buildStanzaError, type StanzaError } from "./stanza-error.ts";
import { attrOf, type Element, element, localNameOf, textOf } from "./xml.ts";

export const MESSAGE_TYPES = ["chat", "error", "groupchat", "headline", "normal"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** XEP-0201 thread: an id and, for a sub-thread, its parent. */
export interface Thread {
  readonly id: string;
  readonly parent?: string;
}

/**
 * The typed payloads a message may carry. Empty here: each XEP module adds its
 * own properties through declaration merging, so the type grows with the codecs
 * that are actually registered.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging in xep/*.ts
export interface MessagePayloads {}

export interface MessageCore {
  readonly type: MessageType;
  readonly id?: string;
  readonly from?: string;
  readonly to?: string;
  /** xml:lang of the stanza. */
  readonly lang?: string;
  /** The body in the stanza's language (the first body without xml:lang). */
  readonly body?: string;
  /** Bodies in other languages, keyed by xml:lang. */
  readonly bodies?: Readonly<Record<string, string>>;
  readonly subject?: string;
  readonly thread?: Thread;
  readonly error?: StanzaError;
}

export type Message = MessageCore & MessagePayloads & Extensible;

/** What `buildMessage` takes: a message without the parse bookkeeping, type defaulting to `normal`. */
export type MessageInput = Omit<MessageCore, "type"> & {
  readonly type?: MessageType;
  /** Children written verbatim after the typed payloads. */
  readonly extra?: readonly Element[];
} & MessagePayloads;

const TYPES = new Set<string>(MESSAGE_TYPES);
// Built on first use: XEP modules import this module's builders, so the field
// registry is not yet initialized while this module itself is being evaluated.
let table: FieldTable<Message> | undefined;
function fields(): FieldTable<Message> {
  table ??= fieldTable(messageFields());
  return table;
}

/** Reads a `<message/>` element. Fails only when the element is not a message or its type is not one RFC 6121 allows. */
export function parseMessage(el: Element): Result<Message> {
  return readMessage(el, {});
}

/** Reads into `out` (which may carry fields of its own, such as a `kind` tag); internal to the package. */
export function readMessage(el: Element, out: Record<string, unknown>): Result<Message> {
  if (localNameOf(el) !== "message") {
    return err(parseError("unexpected-element", `expected <message/>, got <${el.name}/>`));
  }
  const rawType = attrOf(el, "type");
  if (rawType !== undefined && !TYPES.has(rawType)) {
    return err(
      parseError(
        "invalid-attribute",
        `message type "${rawType}" is not one of ${MESSAGE_TYPES.join(", ")}`,
        "message@type",
      ),
    );
  }
  out.type = rawType ?? "normal";
  readExtensible(el, out, fields(), readCoreChild, "message");
  return ok(out as unknown as Message);
}

function readCoreChild(child: Element, out: Record<string, unknown>, invalid: ParseError[]): boolean {
  switch (child.name) {
    case "body": {
      const text = textOf(child) ?? "";
      const lang = child.attrs["xml:lang"];
      if (lang === undefined || lang === out.lang) {
        if (out.body === undefined) out.body = text;
        return true;
      }
      out.bodies ??= {};
      const bodies = out.bodies as Record<string, string>;
      if (bodies[lang] === undefined) bodies[lang] = text;
      return true;
    }
    case "subject":
      if (out.subject === undefined) out.subject = textOf(child) ?? "";
      return true;
    case "thread": {
      const id = textOf(child);
      if (!id) {
        invalid.push(parseError("invalid-text", "thread has no identifier", "message/thread"));
        return false;
      }
      const parent = attrOf(child, "parent");
      if (out.thread === undefined) out.thread = parent === undefined ? { id } : { id, parent };
      return true;
    }
    case "error":
      return readErrorChild(child, out, invalid, "message");
    default:
      return false;
  }
}

/** Writes a message: core children first, then payloads in registry order, then `extra`, then the error. */
export function buildMessage(m: MessageInput): Element {
  const el = element("message", {
    type: m.type ?? "normal",
    id: m.id,
    from: m.from,
    to: m.to,
    "xml:lang": m.lang,
  });
  if (m.body !== undefined) el.cnode(element("body", {}, m.body));
  if (m.bodies) {
    for (const lang of Object.keys(m.bodies)) el.cnode(element("body", { "xml:lang": lang }, m.bodies[lang]));
  }
  if (m.subject !== undefined) el.cnode(element("subject", {}, m.subject));
  if (m.thread) el.cnode(element("thread", { parent: m.thread.parent }, m.thread.id));
  writePayloads(el, messageFields(), m);
  if (m.extra) for (const x of m.extra) el.cnode(x);
  if (m.error) el.cnode(buildStanzaError(m.error));
  return el;
}
