/** Specific hostile inputs the XML layer must refuse or survive, with the error it gives. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_MAX_STANZA_LENGTH, MAX_XML_DEPTH, parseStanzaXml, parseXml } from "../src/index.ts";

const refusal = (input: string) => {
  const r = parseXml(input);
  assert.equal(r.ok, false, `should refuse ${JSON.stringify(input.slice(0, 80))}`);
  return r.ok ? "" : r.error.code;
};

describe("XML layer", () => {
  it("refuses malformed documents", () => {
    for (const s of [
      "",
      "   ",
      "text",
      "<a>",
      "<a><b></a>",
      "<a></b>",
      "<a/><b/>",
      "<a/>junk",
      "<a/><",
      "</a>",
      "<a>&bogus;</a>",
    ]) {
      assert.equal(refusal(s), "xml-malformed", s);
    }
  });
  it("refuses characters XML forbids and lone surrogates", () => {
    for (const c of ["\u0000", "\u0001", "\u0008", "\u000B", "\u001F", "\uFFFE", "\uFFFF", "\uD800", "\uDC00"]) {
      assert.equal(refusal(`<message><body>a${c}b</body></message>`), "xml-malformed");
    }
    assert.ok(parseXml("<message><body>tab\tnewline\ncr\r🎂</body></message>").ok);
  });
  it("refuses DTDs and entity declarations (no billion laughs)", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><message><body>&lol2;</body></message>`;
    assert.equal(refusal(laughs), "xml-malformed");
  });
  it("accepts a body just under the size limit and refuses one over it", () => {
    const wrap = (n: number) => `<message><body>${"x".repeat(n)}</body></message>`;
    const overhead = wrap(0).length;
    assert.ok(parseXml(wrap(DEFAULT_MAX_STANZA_LENGTH - overhead)).ok);
    assert.equal(refusal(wrap(DEFAULT_MAX_STANZA_LENGTH - overhead + 1)), "xml-too-large");
  });
  it("survives 100,000 children", () => {
    const r = parseStanzaXml(`<message>${"<x xmlns='urn:a'/>".repeat(100_000)}</message>`, { maxLength: 4_000_000 });
    assert.ok(r.ok && r.value.kind === "message" && r.value.extra.length === 100_000);
  });
  it("refuses nesting deeper than the limit without exhausting the stack", () => {
    const deep = (n: number) => `${"<a>".repeat(n)}${"</a>".repeat(n)}`;
    assert.ok(parseXml(deep(MAX_XML_DEPTH)).ok);
    assert.equal(refusal(deep(MAX_XML_DEPTH + 1)), "xml-malformed");
    assert.equal(refusal(deep(100_000)), "xml-malformed");
  });
  it("resolves namespace prefixes", () => {
    const r = parseStanzaXml(
      `<m:message xmlns:m="jabber:client" type="chat"><m:body>hi</m:body><r:replace xmlns:r="urn:xmpp:message-correct:0" id="1"/></m:message>`,
    );
    assert.ok(r.ok && r.value.kind === "message");
    assert.deepEqual(r.value.replace, { id: "1" });
  });
  it("keeps attribute values with markup characters escaped", () => {
    const r = parseStanzaXml(`<message id="a&lt;b&quot;c"><body>&lt;script&gt;</body></message>`);
    assert.ok(r.ok && r.value.kind === "message");
    assert.equal(r.value.id, 'a<b"c');
    assert.equal(r.value.body, "<script>");
  });
});

describe("builders", () => {
  it("never write characters XML forbids, whatever the remote text holds", async () => {
    const { buildMessage, buildPresence, parseStanzaXml: parse } = await import("../src/index.ts");
    const nasty = "a\u0000b\u0007c\uFFFEd\uD800e\u001Ff";
    const m = buildMessage({ body: nasty, id: nasty, nick: nasty }).toString();
    const p = buildPresence({ status: nasty, nick: nasty }).toString();
    for (const xml of [m, p]) {
      const r = parse(xml);
      assert.ok(r.ok, `the built stanza parses: ${r.ok ? "" : r.error.message}`);
    }
    const r = parse(m);
    assert.ok(r.ok && r.value.kind === "message");
    assert.equal(r.value.body, "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf");
  });
});
