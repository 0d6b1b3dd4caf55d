/**
 * Stanza ids are derived from delivery keys, so a message sent again after a
 * restart keeps its id: the derivation must never change. These ids were
 * made by the first implementation (createHash), pinned here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isOwnStanzaId, stanzaIdFor } from "../src/engine/stanza-ids.ts";

describe("stanza ids", () => {
  it("are the ids earlier versions made for the same delivery keys", () => {
    const owner = "slack.example.org";
    assert.equal(
      stanzaIdFor("to-xmpp slack 1765000000.000123 lobby@conference.example.org", owner),
      "parley-GdLhxj0lWN4HyWUZMWRXpP-AcVFLH",
    );
    assert.equal(
      stanzaIdFor("to-xmpp discord 80351110224678912 r@muc.example.org", owner),
      "parley-YQOiA5WXvPT0OtOw5DL6_o-cRKGbI",
    );
    assert.equal(stanzaIdFor("é😀 key", owner), "parley-chGIQkFEQsIjJpycFMfFhE-EdFcDe");
  });

  it("are known again by their owner only", () => {
    const id = stanzaIdFor("to-xmpp slack 1 room@muc.example.org", "slack.example.org");
    assert.equal(isOwnStanzaId(id, "slack.example.org"), true);
    assert.equal(isOwnStanzaId(id, "SLACK.example.org"), true);
    assert.equal(isOwnStanzaId(id, "discord.example.org"), false);
    assert.equal(isOwnStanzaId("parley-not-one", "slack.example.org"), false);
  });
});
