import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/stanza";
import {
  boundedBody,
  boundedForXmpp,
  boundedName,
  boundedReactions,
  idFits,
  MAX_ID_BYTES,
  MAX_REFERENCES,
  oversizedIdOf,
  XMPP_BODY_CHARS,
} from "../src/engine/message-bounds.ts";
import { SenderRate } from "../src/engine/sender-rate.ts";

describe("bounds on what comes from outside", () => {
  it("an id fits in 255 bytes, counted in UTF-8", () => {
    assert.ok(idFits("x".repeat(MAX_ID_BYTES)));
    assert.ok(!idFits("x".repeat(MAX_ID_BYTES + 1)));
    assert.ok(!idFits("é".repeat(128)), "256 bytes of two-byte characters");
    assert.equal(
      oversizedIdOf({ type: "groupchat", id: "ok", replace: { id: "r".repeat(2000) } } as unknown as Message),
      "replace",
    );
    assert.equal(
      oversizedIdOf({
        type: "groupchat",
        id: "ok",
        stanzaIds: [{ by: "r@m", id: "s".repeat(300) }],
      } as unknown as Message),
      "stanza-id",
    );
    assert.equal(
      oversizedIdOf({ type: "groupchat", id: "ok", reactions: { id: "fine", emojis: [] } } as unknown as Message),
      undefined,
    );
  });

  it("leaves out reactions too long and too many, and cuts long names", () => {
    const { kept, dropped } = boundedReactions([
      "👍",
      "x".repeat(5000),
      "",
      ...Array.from({ length: 40 }, (_, i) => `${i}`),
    ]);
    assert.equal(kept.length, 32);
    assert.equal(kept[0], "👍");
    assert.equal(dropped, 43 - 32);
    assert.equal(Array.from(boundedName("n".repeat(500))).length, 64);
    assert.equal(boundedName("Ada"), "Ada");
  });

  it("cuts a body to at most the posts allowed, saying so at its end", () => {
    const body = "w".repeat(1_000_000);
    const cut = boundedBody(body, 5);
    assert.ok(cut.length <= 5 * 2000);
    assert.match(cut, /more characters of this message were too long to relay\]$/);
    assert.equal(boundedBody("short", 5), "short");
  });

  it("lets a sender through at their rate, drops the excess and says so once per run", () => {
    let now = 0;
    const rate = new SenderRate({ perMinute: 60, burst: 3, now: () => now });
    assert.deepEqual(
      Array.from({ length: 6 }, () => rate.take("eve")),
      ["ok", "ok", "ok", "first-drop", "drop", "drop"],
    );
    assert.equal(rate.take("ada"), "ok", "one sender's excess is theirs alone");
    now += 1000; // one token a second
    assert.equal(rate.take("eve"), "ok");
    assert.equal(rate.take("eve"), "first-drop", "a new run is said again");
    const unlimited = new SenderRate({ perMinute: 0, burst: 1 });
    assert.ok(
      Array.from({ length: 100 }, () => unlimited.take("eve")).every((v) => v === "ok"),
      "0 is no limit",
    );
  });

  it("cuts a body for an XMPP room to XMPP_BODY_CHARS and keeps at most MAX_REFERENCES that fall inside it", () => {
    const small = boundedForXmpp({ body: "hi @Ada", references: [{ begin: 3, end: 7, uri: "xmpp:a" }] });
    assert.deepEqual(small, { body: "hi @Ada", references: [{ begin: 3, end: 7, uri: "xmpp:a" }] });
    const huge = "x".repeat(1_000_000);
    const cut = boundedForXmpp({
      body: huge,
      references: [
        { begin: 0, end: 4, uri: "xmpp:a" },
        { begin: 999_000, end: 999_004, uri: "xmpp:b" },
      ],
    });
    assert.ok(cut.body.length <= XMPP_BODY_CHARS, `${cut.body.length} characters`);
    assert.match(cut.body, /more characters of this message were too long to relay\]$/);
    assert.deepEqual(
      cut.references.map((r) => r.uri),
      ["xmpp:a"],
    );
    const mentions = Array.from({ length: 5000 }, (_, i) => ({ begin: i * 5, end: i * 5 + 4, uri: `xmpp:u${i}` }));
    const many = boundedForXmpp({ body: "@Ada ".repeat(5000), references: mentions });
    assert.equal(many.references.length, MAX_REFERENCES);
    assert.equal(many.references[0]?.uri, "xmpp:u0");
  });
});
