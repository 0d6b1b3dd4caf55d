/**
 * Nicks written as mentions (`Nick:` / `Nick,` at the start, `@Nick`
 * anywhere) become mention inlines of the occupant behind them; ambiguous
 * nicks are left as text.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mentionNicks, type NickCandidate } from "../src/engine/nick-mentions.ts";
import { plainRichText, type RichText } from "../src/index.ts";

const puppet = (nick: string, id: string): NickCandidate => ({
  nick,
  mention: { target: { network: "ref", remoteId: id, kind: "user" }, name: nick },
});
const grace = puppet("Grace", "g1");
const graceHopper = puppet("Grace Hopper", "g2");
const ada = puppet("Ada", "a1");

/** The paragraph's inlines as text, a mention written `<@id>`. */
function flat(doc: RichText): string {
  return doc.blocks
    .map((b) =>
      b.type === "paragraph"
        ? b.children
            .map((n) => (n.type === "text" ? n.text : n.type === "mention" ? `<@${n.target.remoteId}>` : "?"))
            .join("")
        : `[${b.type}]`,
    )
    .join("\n");
}

const run = (text: string, candidates: NickCandidate[]) => flat(mentionNicks(plainRichText(text), candidates));

describe("mentions by nick", () => {
  it("takes `Nick:` and `Nick,` at the start of a message", () => {
    assert.equal(run("Grace: are you there?", [grace, ada]), "<@g1>: are you there?");
    assert.equal(run("ada, look", [grace, ada]), "<@a1>, look");
  });

  it("takes a nick at the start only when a colon or comma follows it", () => {
    assert.equal(run("Grace is here", [grace]), "Grace is here");
    assert.equal(run("Graceful: no", [grace]), "Graceful: no");
  });

  it("takes @Nick anywhere, the longest nick first, and not inside a word or an address", () => {
    assert.equal(run("thanks @Grace Hopper and @Ada!", [grace, graceHopper, ada]), "thanks <@g2> and <@a1>!");
    assert.equal(run("mail grace@Grace.org or @Gracey", [grace]), "mail grace@Grace.org or @Gracey");
    assert.equal(run("@grace hi", [grace]), "<@g1> hi");
  });

  it("does not guess between occupants whose nicks match the text", () => {
    const xmppGrace: NickCandidate = { nick: "grace" };
    // Exactly an XMPP user's nick: theirs, never a mention of the puppet.
    assert.equal(run("grace: hi", [grace, xmppGrace]), "grace: hi");
    // Matches both but neither exactly: ambiguous.
    assert.equal(run("GRACE: hi and @GRACE", [grace, xmppGrace]), "GRACE: hi and @GRACE");
    // Exactly the puppet's nick: the puppet.
    assert.equal(run("Grace: hi", [grace, xmppGrace]), "<@g1>: hi");
    const twin = puppet("GRACE", "g3");
    assert.equal(run("grace: hi", [grace, twin]), "grace: hi");
  });

  it("leaves a text without any nick as it was", () => {
    const doc = plainRichText("nothing to see");
    assert.equal(mentionNicks(doc, [grace]), doc);
    assert.equal(mentionNicks(doc, []), doc);
  });
});
