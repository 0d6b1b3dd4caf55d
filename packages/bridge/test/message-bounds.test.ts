import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/stanza";
import {
  boundedBody,
  boundedName,
  boundedReactions,
  idFits,
  MAX_ID_BYTES,
  oversizedIdOf,
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
});
