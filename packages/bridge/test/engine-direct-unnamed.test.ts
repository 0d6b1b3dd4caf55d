/**
 * A direct message without an id (RFC 6120 lets a client leave it out): the
 * engine names it from its text and its place among the user's messages
 * without one, not from the clock; naming it from its text alone would make
 * two alike one delivery, posted once. On real Prosody (what is tested is the
 * engine's, the same on any server).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { element } from "@parley/stanza";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

describe("direct messages without an id", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness("prosody");
  });
  after(async () => {
    await h?.close();
  });

  it("reach the remote user each, even when alike and sent together", async () => {
    const to = `u2@${h.domain}`;
    const unnamed = () => element("message", { type: "chat", to }, element("body", {}, "same words"));
    await Promise.all([h.alice.send(unnamed()), h.alice.send(unnamed())]);
    // Handled concurrently, so in no set order: wait for the second post (a clock-named pair, one id, posted once).
    let seen = 0;
    await apiCall(
      h,
      (c) => c.method === "post" && c.args.dmWith === "u2" && c.args.text === "same words" && ++seen === 2,
    );
    const alike = h.net.calls.filter((c) => c.method === "post" && c.args.text === "same words");
    assert.equal(alike.length, 2, "both were posted, once each");
  });
});
