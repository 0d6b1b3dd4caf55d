import assert from "node:assert/strict";
import { test } from "node:test";
import { addBounded, setBounded } from "../src/connector/bounded-map.ts";

test("setBounded keeps the newest entries up to the bound, dropping the oldest first", () => {
  const map = new Map<string, number>();
  for (const [i, key] of ["a", "b", "c", "d"].entries()) setBounded(map, key, i, 3);
  assert.deepEqual(
    [...map],
    [
      ["b", 1],
      ["c", 2],
      ["d", 3],
    ],
  );
});

test("setBounded moves a key set again to the newest place, so it outlives keys set since", () => {
  const map = new Map<string, number>();
  setBounded(map, "a", 1, 2);
  setBounded(map, "b", 2, 2);
  setBounded(map, "a", 3, 2);
  setBounded(map, "c", 4, 2);
  assert.deepEqual(
    [...map],
    [
      ["a", 3],
      ["c", 4],
    ],
  );
});

test("setBounded tells onDrop each entry it drops, with its value", () => {
  const map = new Map<string, number>([
    ["a", 1],
    ["b", 2],
    ["c", 3],
  ]);
  const dropped: Array<[string, number]> = [];
  setBounded(map, "d", 4, 1, (k, v) => dropped.push([k, v]));
  assert.deepEqual(dropped, [
    ["a", 1],
    ["b", 2],
    ["c", 3],
  ]);
  assert.deepEqual([...map], [["d", 4]]);
});

test("setBounded drops nothing while the map is within its bound", () => {
  const map = new Map<string, number>();
  const dropped: string[] = [];
  setBounded(map, "a", 1, 2, (k) => dropped.push(k));
  setBounded(map, "b", 2, 2, (k) => dropped.push(k));
  setBounded(map, "b", 5, 2, (k) => dropped.push(k));
  assert.deepEqual(dropped, []);
  assert.equal(map.get("b"), 5);
});

test("addBounded keeps the newest members up to the bound; a member added again becomes the newest", () => {
  const set = new Set<string>();
  addBounded(set, "a", 2);
  addBounded(set, "b", 2);
  addBounded(set, "a", 2);
  addBounded(set, "c", 2);
  assert.deepEqual([...set], ["a", "c"]);
});
