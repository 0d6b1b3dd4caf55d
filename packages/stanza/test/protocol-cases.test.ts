/**
 * Every committed protocol case (test/protocol-cases/<suite>/<case>.xml and
 * .json, stanzas taken from the XEPs' examples) parses to exactly what its
 * JSON says, is refused only where the JSON says why, and survives build ->
 * parse wherever we have a builder: the message and presence builders, the
 * iq builder, and the builder of the iq's payload.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildIq,
  buildMessage,
  buildPresence,
  type Message,
  type Presence,
  parseStanza,
  parseXml,
  type Stanza,
  unwrap,
} from "../src/index.ts";
import {
  iqPayloadCodec,
  type ProtocolCase,
  protocolCases,
  protocolSuites,
  readCase,
  toJson,
} from "./protocol-cases.ts";

/** The XEPs this package implements whose examples are cases; each must have at least one. */
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

it("the protocol cases are the examples of the XEPs this package implements, one folder each", () => {
  assert.deepEqual(
    protocolSuites(),
    XEPS.map((xep) => `xep-${xep}`),
  );
});

/** Whether anything in the parse is refused: the stanza, one of its payloads, or the iq's payload. */
function refusedIn(read: ReturnType<typeof readCase>): boolean {
  const stanza = read.stanza as { ok: boolean; value?: { invalid?: unknown[] } };
  const payload = read.payload as { ok: boolean } | undefined;
  return !stanza.ok || (stanza.value?.invalid?.length ?? 0) > 0 || payload?.ok === false;
}

function withoutKind(stanza: Stanza): object {
  const { kind: _, ...value } = stanza;
  return value;
}

/** Builds the stanza again from its parse, and the iq's payload from the payload's parse; each must read the same. */
function assertRoundTrips(protocolCase: ProtocolCase): void {
  const stanza = parseStanza(unwrap(parseXml(protocolCase.xml)));
  if (!stanza.ok) return;
  const parsed = stanza.value;
  const rebuilt =
    parsed.kind === "message"
      ? buildMessage(withoutKind(parsed) as Message)
      : parsed.kind === "presence"
        ? buildPresence(withoutKind(parsed) as Presence)
        : buildIq(parsed);
  const again = parseStanza(rebuilt);
  assert.ok(again.ok, `the rebuilt stanza parses: ${rebuilt.toString()}`);
  assert.deepEqual(toJson(again.value), toJson(parsed), "the rebuilt stanza reads the same");

  if (parsed.kind !== "iq" || !parsed.payload) return;
  const codec = iqPayloadCodec(parsed.payload);
  if (!codec) return;
  const payload = codec.parse(parsed.payload);
  if (!payload.ok) return;
  const payloadAgain = codec.parse(codec.build(payload.value as never));
  assert.ok(payloadAgain.ok, "the rebuilt payload parses");
  assert.deepEqual(toJson(payloadAgain.value), toJson(payload.value), "the rebuilt payload reads the same");
}

for (const suite of protocolSuites()) {
  describe(suite, () => {
    const cases = protocolCases(suite);
    it("has at least one case", () => assert.ok(cases.length > 0));
    for (const protocolCase of cases) {
      const { name, expected } = protocolCase;
      it(`${name}: ${expected.caption || "(untitled)"}`, () => {
        const number = /, example (\d+)$/.exec(expected.source)?.[1];
        assert.ok(expected.source.startsWith(`XEP-${suite.slice(4)} v`), `source names ${suite}: ${expected.source}`);
        assert.equal(Number(name.slice(0, 3)), Number(number), "the case is named for its example's number");

        const read = readCase(protocolCase.xml);
        const { stanza, payload } = expected;
        assert.deepEqual(read, payload === undefined ? { stanza } : { stanza, payload });

        if (refusedIn(read)) {
          assert.ok(expected.refused, "something is refused, so the case says why in `refused`");
          assert.ok(!expected.refused.startsWith("TODO"), `say why in \`refused\`: ${expected.refused}`);
        } else {
          assert.equal(expected.refused, undefined, "nothing is refused, yet the case says `refused`");
        }
        assertRoundTrips(protocolCase);
      });
    }
  });
}
