import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { webhookUsername } from "../src/webhook-username.ts";

function acceptable(name: string): boolean {
  const chars = Array.from(name).length;
  const lower = name.toLowerCase();
  return (
    chars >= 1 &&
    chars <= 80 &&
    !lower.includes("discord") &&
    !lower.includes("clyde") &&
    lower !== "everyone" &&
    lower !== "here"
  );
}

describe("webhookUsername", () => {
  it("keeps ordinary nicks as they are", () => {
    assert.equal(webhookUsername("alice"), "alice");
    assert.equal(webhookUsername("Zoë 🦊"), "Zoë 🦊");
  });

  it("breaks the words Discord reserves, keeping the name readable", () => {
    assert.equal(webhookUsername("Discord fan"), "Disc-ord fan");
    assert.equal(webhookUsername("clyde"), "cly-de");
    assert.equal(webhookUsername("xXDISCORDXx"), "xXDISC-ORDXx");
  });

  it("does not let a nick be everyone or here", () => {
    assert.equal(webhookUsername("everyone"), "everyone (XMPP)");
    assert.equal(webhookUsername(" Here "), "Here (XMPP)");
  });

  it("cuts at 80 characters without splitting a character, and never returns an empty name", () => {
    assert.equal(Array.from(webhookUsername("😀".repeat(100))).length, 80);
    assert.equal(webhookUsername(""), "XMPP user");
    assert.equal(webhookUsername("\u200b\n\t "), "XMPP user");
    assert.equal(webhookUsername("two\nlines"), "two lines");
  });

  it("always produces a name Discord accepts", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: "grapheme", maxLength: 120 }),
          fc.constantFrom("discord", "Clyde", "EVERYONE", "here", "disclyde", "discdiscordord", "cldiscordyde"),
        ),
        (nick) => acceptable(webhookUsername(nick)),
      ),
      { numRuns: 500 },
    );
  });
});
