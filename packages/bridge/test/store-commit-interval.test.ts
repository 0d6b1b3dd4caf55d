/**
 * The SQLite store's grouped commits: after a quiet spell a write is
 * committed in the next turn of the event loop; one asked for sooner than
 * `commitIntervalMs` after the last commit waits, with every write asked
 * for meanwhile, for one commit together (and close commits what waits).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openSqliteStore } from "../src/store/index.ts";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("SQLite commit interval", () => {
  let dir = "";
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "parley-commit-interval-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fresh = () => join(dir, `store-${++n}.db`);
  /** The state values another connection sees committed. */
  const committed = (file: string): string[] => {
    const raw = new DatabaseSync(file);
    try {
      return raw
        .prepare("SELECT value FROM parley_state ORDER BY value")
        .all()
        .map((r) => String(r.value));
    } finally {
      raw.close();
    }
  };

  it("holds a write asked for soon after a commit, with the later ones, and commits them on close", async () => {
    const file = fresh();
    // Far longer than the test: nothing but close commits what waits.
    const store = await openSqliteStore(file, { commitIntervalMs: 3_600_000 });
    await store.setState("s", "a", "a");
    assert.deepEqual(committed(file), ["a"]);
    let settled = 0;
    const b = store.setState("s", "b", "b").then(() => settled++);
    await turn();
    await turn();
    const c = store.setState("s", "c", "c").then(() => settled++);
    await turn();
    assert.deepEqual(committed(file), ["a"], "b and c wait for the interval");
    assert.equal(settled, 0, "a caller is answered only once its write is committed");
    await store.close();
    await Promise.all([b, c]);
    assert.deepEqual(committed(file), ["a", "b", "c"]);
  });

  it("commits a write in the next turn once the interval has passed since the last commit", async () => {
    const file = fresh();
    const store = await openSqliteStore(file, { commitIntervalMs: 5 });
    try {
      await store.setState("s", "a", "a");
      await sleep(50); // a quiet spell, well past the interval
      const b = store.setState("s", "b", "b");
      await turn();
      assert.deepEqual(committed(file), ["a", "b"]);
      await b;
    } finally {
      await store.close();
    }
  });

  it("with an interval of 0, commits every turn's writes in that turn", async () => {
    const file = fresh();
    const store = await openSqliteStore(file, { commitIntervalMs: 0 });
    try {
      await store.setState("s", "a", "a");
      const b = store.setState("s", "b", "b");
      await turn();
      assert.deepEqual(committed(file), ["a", "b"]);
      await b;
    } finally {
      await store.close();
    }
  });
});
