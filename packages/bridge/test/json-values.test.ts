import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRecord, stringListOf } from "../src/connector/json-values.ts";

describe("json value guards", () => {
  it("isRecord takes objects only, not null, arrays or scalars", () => {
    assert.equal(isRecord({}), true);
    assert.equal(isRecord({ a: 1 }), true);
    for (const v of [null, undefined, [], [1], "x", 1, true]) assert.equal(isRecord(v), false, String(v));
  });

  it("stringListOf reads a saved list, keeping its strings, and anything else as empty", () => {
    assert.deepEqual(stringListOf('["a","b"]'), ["a", "b"]);
    assert.deepEqual(stringListOf('["a",1,null,"c"]'), ["a", "c"]);
    assert.deepEqual(stringListOf(undefined), []);
    assert.deepEqual(stringListOf("not json"), []);
    assert.deepEqual(stringListOf('{"a":"b"}'), []);
    assert.deepEqual(stringListOf('"a"'), []);
  });
});
