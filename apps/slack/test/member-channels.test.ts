/** MemberChannels: a member's linked channels, one kept as a string, several as a set. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemberChannels } from "../src/member-channels.ts";

describe("MemberChannels", () => {
  it("adds, tells and removes a member's channels, one or several", () => {
    const c = new MemberChannels();
    c.add("U1", "C1");
    c.add("U1", "C1");
    assert.equal(c.has("U1", "C1"), true);
    assert.equal(c.has("U1", "C2"), false);
    assert.deepEqual(c.list("U1"), ["C1"]);
    c.add("U1", "C2");
    c.add("U1", "C3");
    assert.deepEqual(c.list("U1").sort(), ["C1", "C2", "C3"]);
    assert.equal(c.remove("U1", "C9"), 3);
    assert.equal(c.remove("U1", "C2"), 2);
    assert.equal(c.remove("U1", "C1"), 1);
    assert.deepEqual(c.list("U1"), ["C3"]);
    assert.equal(c.has("U1", "C3"), true);
    assert.equal(c.remove("U1", "C1"), 1);
    assert.equal(c.remove("U1", "C3"), 0);
    assert.equal(c.size, 0);
    assert.deepEqual(c.list("U1"), []);
    assert.equal(c.remove("U2", "C1"), 0);
  });
});
