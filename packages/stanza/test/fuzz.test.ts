/**
 * Hostile input: random strings, token soups and mutations of real stanzas go
 * through the parsers, which must return a typed value or a typed error and
 * never throw; whatever parses survives build -> parse unchanged.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CORPUS } from "../bench/corpus.ts";
import {
  buildMessage,
  buildPresence,
  type Element,
  NS,
  type ParseErrorCode,
  parseStanzaXml,
  type Stanza,
} from "../src/index.ts";

const CODES = new Set<ParseErrorCode>([
  "xml-malformed",
  "xml-too-large",
  "unexpected-element",
  "missing-attribute",
  "invalid-attribute",
  "missing-element",
  "invalid-element",
  "invalid-text",
  "invalid-jid",
]);

function checkNeverThrows(input: string): void {
  const r = parseStanzaXml(input);
  if (r.ok) {
    assert.ok(["message", "presence", "iq"].includes(r.value.kind));
    if (r.value.kind !== "iq") for (const e of r.value.invalid) assert.ok(CODES.has(e.code), e.code);
  } else {
    assert.ok(CODES.has(r.error.code), r.error.code);
    assert.equal(typeof r.error.message, "string");
  }
}

const tokens = fc.constantFrom(
  "<message",
  "<presence",
  "<iq",
  "</message>",
  "</presence>",
  "</iq>",
  ">",
  "/>",
  "<",
  "</",
  " ",
  "\n",
  'type="groupchat"',
  'type="get"',
  'id="x"',
  "id=''",
  'xmlns="',
  '"',
  "'",
  "=",
  "&amp;",
  "&lt;",
  "&#x1F382;",
  "&bogus;",
  "&#0;",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<?xml version='1.0'?>",
  "<body>",
  "</body>",
  "<x",
  "<item",
  "<reaction>",
  "<!DOCTYPE x [<!ENTITY a 'b'>]>",
  "\u0000",
  "\uFFFE",
  "\uD800",
  "🎂",
  "a:b",
  "xmlns:a=",
  "start=",
  "end=",
  "-1",
  "99999999999999999",
  ...Object.values(NS).map((ns) => `xmlns="${ns}"`),
);

function mutate(s: string, ops: Array<[number, number, number, string]>): string {
  let out = s;
  for (const [kind, a, b, text] of ops) {
    const i = a % (out.length + 1);
    const j = Math.min(out.length, i + (b % 24));
    if (kind === 0) out = out.slice(0, i) + out.slice(j);
    else if (kind === 1) out = out.slice(0, i) + out.slice(i, j) + out.slice(i);
    else if (kind === 2) out = out.slice(0, i) + text + out.slice(i);
    else out = out.slice(0, i) + out.slice(j) + out.slice(i, j);
  }
  return out;
}

/** The typed fields of a parse, with elements as strings, for equality. */
function comparable(s: Stanza): unknown {
  return JSON.parse(
    JSON.stringify(s, (_k, x) =>
      x && typeof x === "object" && "attrs" in x && "children" in x ? (x as Element).toString() : x,
    ),
  );
}

function rebuild(s: Stanza): Stanza | undefined {
  if (s.kind === "iq") return undefined;
  const { kind, ...v } = s;
  const el = kind === "message" ? buildMessage(v as never) : buildPresence(v as never);
  const again = parseStanzaXml(el.toString());
  assert.ok(again.ok, "a rebuilt stanza parses");
  return again.value;
}

describe("parsers under hostile input", () => {
  it("never throw on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => checkNeverThrows(s)),
      { numRuns: 2000 },
    );
  });
  it("never throw on XML token soup", () => {
    fc.assert(
      fc.property(fc.array(tokens, { maxLength: 60 }), (t) => checkNeverThrows(t.join(""))),
      { numRuns: 3000 },
    );
  });
  it("never throw on mutated real stanzas, and what parses round-trips through the builders", () => {
    const op = fc.tuple(fc.nat(3), fc.nat(2000), fc.nat(2000), tokens);
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(CORPUS)),
        fc.array(op, { minLength: 1, maxLength: 4 }),
        (base, ops) => {
          const input = mutate(base, ops);
          checkNeverThrows(input);
          const r = parseStanzaXml(input);
          if (!r.ok || r.value.kind === "iq") return;
          const again = rebuild(r.value);
          if (again) {
            const { invalid: _a, extra: _b, ...first } = comparable(r.value) as Record<string, unknown>;
            const { invalid: _c, extra: _d, ...second } = comparable(again) as Record<string, unknown>;
            assert.deepEqual(second, first);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
  it("the unmutated corpus parses with no refused payload and round-trips exactly", () => {
    for (const [name, xml] of Object.entries(CORPUS)) {
      const r = parseStanzaXml(xml);
      assert.ok(r.ok, name);
      assert.ok(r.value.kind !== "iq");
      assert.deepEqual(r.value.invalid, [], name);
      assert.deepEqual(r.value.extra, [], `${name}: every child is typed`);
      assert.deepEqual(comparable(rebuild(r.value) as Stanza), comparable(r.value), name);
    }
  });
});
