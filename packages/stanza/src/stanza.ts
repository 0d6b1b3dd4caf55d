/** Any top-level stanza, parsed from an element or a string. */
import { type Iq, parseIq } from "./iq.ts";
import { type Message, readMessage } from "./message.ts";
import { type Presence, readPresence } from "./presence.ts";
import { err, parseError, type Result } from "./result.ts";
import { type Element, localNameOf, type ParseXmlOptions, parseXml } from "./xml.ts";

export type Stanza =
  | ({ readonly kind: "message" } & Message)
  | ({ readonly kind: "presence" } & Presence)
  | ({ readonly kind: "iq" } & Iq);

export function parseStanza(el: Element): Result<Stanza> {
  switch (localNameOf(el)) {
    case "message":
      return readMessage(el, { kind: "message" }) as Result<Stanza>;
    case "presence":
      return readPresence(el, { kind: "presence" }) as Result<Stanza>;
    case "iq": {
      const r = parseIq(el);
      return r.ok ? { ok: true, value: { kind: "iq", ...r.value } } : r;
    }
    default:
      return err(parseError("unexpected-element", `<${el.name}/> is not a stanza (message, presence or iq)`));
  }
}

/** Parses a stanza from its serialized XML. Never throws. */
export function parseStanzaXml(input: string, options?: ParseXmlOptions): Result<Stanza> {
  const x = parseXml(input, options);
  return x.ok ? parseStanza(x.value) : x;
}
