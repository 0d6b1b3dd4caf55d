import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { angleTokenClose } from "../src/format/angle-brackets.ts";

describe("angleTokenClose", () => {
  it("finds the > that closes a one-line token", () => {
    assert.equal(angleTokenClose("a <@U1> b", 2, 100), 6);
    assert.equal(angleTokenClose("<>", 0, 100), 1);
  });

  it("says a < is text when another <, a line break, the end or the cap comes first", () => {
    assert.equal(angleTokenClose("<a <b>", 0, 100), undefined);
    assert.equal(angleTokenClose("<a\nb>", 0, 100), undefined);
    assert.equal(angleTokenClose("<abc", 0, 100), undefined);
    assert.equal(angleTokenClose("<abcd>", 0, 4), undefined);
    assert.equal(angleTokenClose("<abcd>", 0, 5), 5);
  });
});
