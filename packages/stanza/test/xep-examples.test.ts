/**
 * Every example in the XEPs this package implements that is a well-formed
 * stanza parses, carries no refused payload, and survives build -> parse.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  attrOf,
  buildCommand,
  buildDataForm,
  buildDiscoInfo,
  buildDiscoItems,
  buildMamFin,
  buildMessage,
  buildModerationRequest,
  buildMucAdminQuery,
  buildPresence,
  buildResultSet,
  buildUploadRequest,
  buildUploadSlot,
  buildVcard,
  type Element,
  localNameOf,
  type Message,
  nsOf,
  type Presence,
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
import { xepExamples } from "./xep-examples.ts";

const XEPS = [
  "0004",
  "0030",
  "0045",
  "0050",
  "0054",
  "0059",
  "0066",
  "0084",
  "0085",
  "0115",
  "0153",
  "0172",
  "0184",
  "0199",
  "0201",
  "0203",
  "0297",
  "0308",
  "0313",
  "0333",
  "0359",
  "0363",
  "0372",
  "0393",
  "0421",
  "0424",
  "0425",
  "0428",
  "0444",
  "0461",
];

/**
 * Examples that show input a receiver must refuse, or that are not complete
 * stanzas despite looking like one. Each is listed with why.
 */
const EXPECTED_INVALID: Record<string, string> = {
  "0030#26": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0030#28": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#1": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#2": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#3": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#4": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#5": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#6": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0050#25": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0054#14": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0066#9": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0066#10": "RFC 6120 requires an id on every iq; the example leaves it out",
  "0045#115": "the error reply is typed 'set' instead of 'error', so it is a request without a payload",
};

/** Examples whose iq payload holds a placeholder instead of data, and so must be refused. */
const PLACEHOLDER_PAYLOADS: Record<string, string> = {
  "0153#1": "BINVAL reads 'Base64-encoded-avatar-file-here!'",
  "0153#5": "BINVAL reads 'Base64-encoded-avatar-file-here!'",
};

interface IqCodec {
  parse(el: Element): Result<unknown>;
  build(v: never): Element;
}
const codec = <T>(parse: (el: Element) => Result<T>, build: (v: T) => Element): IqCodec => ({
  parse,
  build: build as (v: never) => Element,
});

/** Parsers and builders for iq payloads, by namespace and name: every example payload must parse and round-trip. */
const IQ_PAYLOADS: Record<string, IqCodec> = {
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

/** The typed fields of a parsed stanza, with elements serialized, for comparing two parses. */
function comparable(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => {
      if (x && typeof x === "object" && "name" in x && "children" in x && "attrs" in x)
        return (x as Element).toString();
      if (x instanceof Uint8Array) return Buffer.from(x).toString("base64");
      return x;
    }),
  );
}

for (const xep of XEPS) {
  describe(`XEP-${xep} examples`, () => {
    const examples = xepExamples(xep);
    it("the spec has examples", () => assert.ok(examples.length > 0));
    let stanzas = 0;
    for (const [i, ex] of examples.entries()) {
      const x = parseXml(ex.xml);
      // Examples with "..." placeholders or several stanzas are not XML documents; they are not vectors.
      if (!x.ok) continue;
      const name = x.value.name;
      if (name !== "message" && name !== "presence" && name !== "iq") continue;
      stanzas++;
      it(`#${i + 1} ${ex.caption || "(untitled)"}`, () => {
        const r = parseStanza(x.value);
        const key = `${xep}#${i + 1}`;
        if (!r.ok) {
          assert.ok(EXPECTED_INVALID[key], `refused: ${r.error.message}`);
          return;
        }
        if (r.value.kind === "iq") {
          const p = r.value.payload;
          const c = p ? IQ_PAYLOADS[`${nsOf(p)} ${localNameOf(p)}`] : undefined;
          if (p && c && attrOf(p, "xmlns") !== undefined) {
            const parsed = c.parse(p);
            if (PLACEHOLDER_PAYLOADS[key]) {
              assert.equal(parsed.ok, false, "a placeholder is not data");
              return;
            }
            assert.ok(parsed.ok, `payload refused: ${parsed.ok ? "" : parsed.error.message}`);
            const again = c.parse(c.build(parsed.value as never));
            assert.ok(again.ok, "the rebuilt payload parses");
            assert.deepEqual(comparable(again.value as Message), comparable(parsed.value as Message));
          }
          return;
        }
        if (EXPECTED_INVALID[key]) {
          assert.ok(r.value.invalid.length > 0, "expected a refused payload");
          return;
        }
        assert.deepEqual(r.value.invalid, [], "no payload refused");
        const { kind: _, ...value } = r.value;
        const rebuilt = r.value.kind === "message" ? buildMessage(value as Message) : buildPresence(value as Presence);
        const again = parseStanza(rebuilt);
        assert.ok(again.ok);
        const { kind: __, ...value2 } = again.value;
        assert.deepEqual(comparable(value2 as Message), comparable(value as Message));
      });
    }
    it("at least one example is a stanza", () => assert.ok(stanzas > 0 || ["0393"].includes(xep)));
  });
}
