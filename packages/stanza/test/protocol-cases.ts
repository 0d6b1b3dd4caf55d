/**
 * The committed golden pairs in `protocol-cases/<suite>/`: `<case>.xml` is a
 * stanza taken from a XEP's examples, `<case>.json` what our parsers must make
 * of it. Everything is read from that folder, inside the repository;
 * `scripts/extract-xep-cases.ts` drafts new pairs from a XEP.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  attrOf,
  buildCommand,
  buildDataForm,
  buildDiscoInfo,
  buildDiscoItems,
  buildMamFin,
  buildModerationRequest,
  buildMucAdminQuery,
  buildResultSet,
  buildUploadRequest,
  buildUploadSlot,
  buildVcard,
  Element,
  localNameOf,
  nsOf,
  parseCommand,
  parseDataForm,
  parseDiscoInfo,
  parseDiscoItems,
  parseMamFin,
  parseModerationRequest,
  parseMucAdminQuery,
  parseResultSet,
  parseStanza,
  parseUploadRequest,
  parseUploadSlot,
  parseVcard,
  parseXml,
  type Result,
} from "../src/index.ts";

export const PROTOCOL_CASES_DIR = fileURLToPath(new URL("./protocol-cases/", import.meta.url));

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a `<case>.json` holds. */
export interface CaseExpectation {
  /** The XEP, its version and the example's number in it: `XEP-0045 v1.35.5, example 22`. */
  readonly source: string;
  /** The example's caption in the XEP, as written there. */
  readonly caption: string;
  /** Why the stanza, one of its payloads or its iq payload is refused; present exactly when one is. */
  readonly refused?: string;
  /** `parseStanza`'s result, in the JSON form of `toJson`. */
  readonly stanza: JsonValue;
  /** For an iq whose payload has a parser here (`IQ_PAYLOADS`): that parser's result. */
  readonly payload?: JsonValue;
}

export interface ProtocolCase {
  /** The folder: `xep-0045`. */
  readonly suite: string;
  /** The file name without extension: `022-service-sends-new-occupants-presence-to-new-occupant`. */
  readonly name: string;
  readonly xml: string;
  readonly expected: CaseExpectation;
}

/** The suites (folders) of protocol cases, sorted. */
export function protocolSuites(): string[] {
  return readdirSync(PROTOCOL_CASES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/**
 * Every case of a suite, sorted by name. A `.xml` without its `.json` (or the
 * other way round) throws, so a half-added case cannot pass unnoticed.
 */
export function protocolCases(suite: string): ProtocolCase[] {
  const dir = join(PROTOCOL_CASES_DIR, suite);
  const files = readdirSync(dir);
  const names = [...new Set(files.filter((f) => /\.(xml|json)$/.test(f)).map((f) => f.replace(/\.(xml|json)$/, "")))];
  return names.sort().map((name) => {
    for (const ext of ["xml", "json"]) {
      if (!files.includes(`${name}.${ext}`)) {
        throw new Error(
          `protocol case ${suite}/${name} has no .${ext}; a case is a pair of ${name}.xml and ${name}.json`,
        );
      }
    }
    return {
      suite,
      name,
      xml: readFileSync(join(dir, `${name}.xml`), "utf8").trimEnd(),
      expected: JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as CaseExpectation,
    };
  });
}

/**
 * The XML of the first case of XEP-`xep` whose caption contains `needle` (the
 * `index`-th when several do); throws when there is none, so a renamed or
 * removed case fails loudly.
 */
export function xepExample(xep: string, needle: string, index = 0): string {
  const found = protocolCases(`xep-${xep}`).filter((c) => c.expected.caption.includes(needle));
  const match = found[index];
  if (!match) throw new Error(`protocol-cases/xep-${xep} has no case captioned like "${needle}"`);
  return match.xml;
}

export interface IqPayloadCodec {
  parse(el: Element): Result<unknown>;
  build(value: never): Element;
}
const codec = <T>(parse: (el: Element) => Result<T>, build: (value: T) => Element): IqPayloadCodec => ({
  parse,
  build: build as (value: never) => Element,
});

/** Parsers and builders for iq payloads, by namespace and name: a case's payload is parsed and round-tripped. */
export const IQ_PAYLOADS: Readonly<Record<string, IqPayloadCodec>> = {
  "http://jabber.org/protocol/disco#info query": codec((el) => parseDiscoInfo(el), buildDiscoInfo),
  "http://jabber.org/protocol/disco#items query": codec(parseDiscoItems, buildDiscoItems),
  "vcard-temp vCard": codec((el) => parseVcard(el), buildVcard),
  "http://jabber.org/protocol/commands command": codec(parseCommand, buildCommand),
  "urn:xmpp:http:upload:0 request": codec(parseUploadRequest, buildUploadRequest),
  "urn:xmpp:http:upload:0 slot": codec(parseUploadSlot, buildUploadSlot),
  "http://jabber.org/protocol/muc#admin query": codec(parseMucAdminQuery, buildMucAdminQuery),
  "urn:xmpp:message-moderate:1 moderate": codec(parseModerationRequest, buildModerationRequest),
  "urn:xmpp:mam:2 fin": codec(parseMamFin, buildMamFin),
  "http://jabber.org/protocol/rsm set": codec(parseResultSet, buildResultSet),
  "jabber:x:data x": codec(parseDataForm, buildDataForm),
};

/** The codec for an iq's payload: only a payload that declares its namespace itself is looked up. */
export function iqPayloadCodec(payload: Element | undefined): IqPayloadCodec | undefined {
  if (payload === undefined || attrOf(payload, "xmlns") === undefined) return undefined;
  return IQ_PAYLOADS[`${nsOf(payload)} ${localNameOf(payload)}`];
}

/** What our parsers make of a case's XML, in the form its `.json` holds. Throws when the XML is not a stanza. */
export function readCase(xml: string): { stanza: JsonValue; payload?: JsonValue } {
  const document = parseXml(xml);
  if (!document.ok) throw new Error(`not well-formed XML: ${document.error.message}`);
  const name = document.value.name;
  if (name !== "message" && name !== "presence" && name !== "iq") {
    throw new Error(`<${name}/> is not a stanza; a protocol case is one message, presence or iq`);
  }
  const stanza = parseStanza(document.value);
  const payloadCodec = stanza.ok && stanza.value.kind === "iq" ? iqPayloadCodec(stanza.value.payload) : undefined;
  if (!payloadCodec || !stanza.ok || stanza.value.kind !== "iq" || !stanza.value.payload) {
    return { stanza: toJson(stanza) };
  }
  return { stanza: toJson(stanza), payload: toJson(payloadCodec.parse(stanza.value.payload)) };
}

/**
 * A parsed value as JSON: elements become `{ "$xml": "<...>" }`, bytes
 * `{ "$base64": "..." }` and dates `{ "$date": "<ISO 8601>" }`, so the JSON
 * still says which of them a field holds; undefined fields are left out.
 */
export function toJson(value: unknown): JsonValue {
  if (value instanceof Element) return { $xml: value.toString() };
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString("base64") };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(toJson);
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
    return value;
  }
  if (typeof value === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) out[key] = toJson(field);
    }
    return out;
  }
  throw new TypeError(`a ${typeof value} has no JSON form`);
}
