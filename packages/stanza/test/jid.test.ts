import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  bareJid,
  escapeLocal,
  formatJid,
  localFromRemoteId,
  normalizeLocal,
  parseJid,
  resourceFromNick,
  sameBareJid,
  sameJid,
  unescapeLocal,
} from "../src/index.ts";

describe("JIDs (RFC 7622)", () => {
  it("splits and normalizes", () => {
    assert.deepEqual(parseJid("Juliet@Capulet.Example./Balcony/2@x"), {
      ok: true,
      value: { local: "juliet", domain: "capulet.example", resource: "Balcony/2@x" },
    });
    assert.deepEqual(parseJid("example.com"), { ok: true, value: { domain: "example.com" } });
    assert.deepEqual(parseJid("[::1]/r"), { ok: true, value: { domain: "[::1]", resource: "r" } });
    assert.ok(parseJid("παράδειγμα@ουτοπία.δ/ρ").ok);
  });
  const invalid = [
    "",
    "@example.com",
    "user@",
    "user@example.com/",
    "us er@example.com",
    'a"b@x.y',
    "a<b@x.y",
    "a@b@c",
    "x@-bad.com",
    "x@a..b",
    "x@[zz]",
    "x@y/\u0007",
  ];
  for (const s of invalid) {
    it(`refuses ${JSON.stringify(s)}`, () => {
      const r = parseJid(s);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.code, "invalid-jid");
    });
  }
  it("enforces 1023-byte parts, counting UTF-8 bytes", () => {
    assert.ok(parseJid(`${"a".repeat(1023)}@x.y`).ok);
    assert.equal(parseJid(`${"a".repeat(1024)}@x.y`).ok, false);
    assert.ok(parseJid(`x.y/${"é".repeat(511)}`).ok); // 1022 bytes
    assert.equal(parseJid(`x.y/${"é".repeat(512)}`).ok, false); // 1024 bytes
    assert.equal(parseJid(`x.y/${"🎂".repeat(256)}`).ok, false); // 1024 bytes
  });
  it("compares after normalization", () => {
    assert.ok(sameJid("ROMEO@Montague.lit/Orchard", "romeo@montague.lit/Orchard"));
    assert.ok(!sameJid("romeo@montague.lit/orchard", "romeo@montague.lit/Orchard"));
    assert.ok(sameBareJid("Romeo@montague.lit/a", "romeo@MONTAGUE.lit/b"));
    assert.equal(bareJid("a@b.c/d"), "a@b.c");
    assert.equal(bareJid("not a jid@"), undefined);
  });
});

describe("XEP-0106 escaping", () => {
  // The spec's table of examples: user input, escaped localpart.
  const table: Array<[string, string]> = [
    ["space cadet", "space\\20cadet"],
    ['call me "ishmael"', "call\\20me\\20\\22ishmael\\22"],
    ["at&t guy", "at\\26t\\20guy"],
    ["d'artagnan", "d\\27artagnan"],
    ["/.fanboy", "\\2f.fanboy"],
    ["::foo::", "\\3a\\3afoo\\3a\\3a"],
    ["<foo>", "\\3cfoo\\3e"],
    ["user@host", "user\\40host"],
    ["c:\\net", "c\\3a\\net"],
    ["c:\\\\net", "c\\3a\\\\net"],
    ["c:\\cool stuff", "c\\3a\\cool\\20stuff"],
    ["c:\\5commas", "c\\3a\\5c5commas"],
  ];
  for (const [input, escaped] of table) {
    it(`${input} <-> ${escaped}`, () => {
      assert.equal(escapeLocal(input), escaped);
      assert.equal(unescapeLocal(escaped), input);
      assert.ok(parseJid(`${escaped}@example.com`).ok);
    });
  }
  it("unescape(escape(s)) === s for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => unescapeLocal(escapeLocal(s)) === s),
      { numRuns: 3000 },
    );
    const soup = fc.array(fc.constantFrom("\\", "2", "0", "5", "c", "3a", "40", " ", "@", "x"), { maxLength: 30 });
    fc.assert(
      fc.property(soup, (p) => unescapeLocal(escapeLocal(p.join(""))) === p.join("")),
      { numRuns: 3000 },
    );
  });
});

describe("bridge identifiers", () => {
  it("turns any remote id into a stable, valid localpart", () => {
    assert.equal(localFromRemoteId("123456789012345678"), "123456789012345678");
    assert.equal(localFromRemoteId("@alice:matrix.org"), "\\40alice\\3amatrix.org");
    const upper = localFromRemoteId("U024BE7LH");
    assert.match(upper, /^u024be7lh~[0-9a-f]{16}$/);
    assert.notEqual(upper, localFromRemoteId("u024be7lh"));
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (id) => {
        const local = localFromRemoteId(id);
        const r = normalizeLocal(local);
        return r.ok && r.value === local && local === localFromRemoteId(id) && parseJid(`${local}@bridge.example`).ok;
      }),
      { numRuns: 2000 },
    );
  });
  it("turns any nickname into a valid resource", () => {
    assert.equal(resourceFromNick("  Alice\n\tSmith  "), "Alice Smith");
    assert.equal(resourceFromNick("\u0000\u0001"), "user");
    assert.equal(Buffer.byteLength(resourceFromNick("🎂".repeat(400))), 1020);
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 1500 }),
        (nick) => parseJid(formatJid({ domain: "muc.example", resource: resourceFromNick(nick) })).ok,
      ),
      { numRuns: 2000 },
    );
  });
});
