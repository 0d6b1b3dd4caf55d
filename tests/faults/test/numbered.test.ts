import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { numberedText, numberIn, ranges, tally } from "../src/numbered.ts";

describe("tally", () => {
  it("counts lost, doubled and late numbers against 1..sent", () => {
    const t = tally(6, [1, 3, 2, 3, 5, 6]);
    assert.equal(t.received, 5);
    assert.equal(t.lost, 1);
    assert.equal(t.missing, "4");
    assert.equal(t.duplicated, 1);
    assert.equal(t.doubled, "3");
    assert.equal(t.outOfOrder, 1);
    assert.equal(t.late, "2 after 3");
  });

  it("counts against the order the sending side holds when it is given", () => {
    assert.equal(tally(4, [1, 3, 2, 4], [[1, 3, 2, 4]]).outOfOrder, 0);
    assert.equal(tally(4, [1, 2, 3, 4], [[1, 3, 2, 4]]).outOfOrder, 1);
  });

  it("with two orders, is out of order only against both", () => {
    const stream = [1, 2, 4, 3, 5];
    const graph = [1, 2, 3, 4, 5];
    assert.equal(tally(5, [1, 2, 4, 3, 5], [stream, graph]).outOfOrder, 0, "follows the stream order");
    assert.equal(tally(5, [1, 2, 3, 4, 5], [stream, graph]).outOfOrder, 0, "follows the graph order");
    const t = tally(5, [1, 4, 2, 3, 5], [stream, graph]);
    assert.equal(t.outOfOrder, 1, "2 after 4 is late in both");
    assert.equal(t.late, "2 after 4");
    assert.equal(tally(5, [5, 1, 2, 3, 4], [stream, graph]).outOfOrder, 4);
  });

  it("names the latest of those a late number came after", () => {
    assert.equal(tally(5, [3, 5, 4, 1, 2]).late, "4 after 5, 1 after 5, 2 after 5");
  });
});

describe("numbered texts", () => {
  it("read back the number they carry, for their scenario only", () => {
    assert.equal(numberIn("a-b", numberedText("a-b", 7)), 7);
    assert.equal(numberIn("a.b", numberedText("axb", 7)), undefined);
    assert.equal(numberIn("a", undefined), undefined);
  });

  it("ranges shortens runs", () => {
    assert.equal(ranges([1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
  });
});
