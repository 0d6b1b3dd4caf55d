/**
 * Writes that never pause, through the real store while its worker
 * checkpoints: no write may fail (a checkpoint that holds writers off must
 * not turn into "database is locked"), and the WAL must keep being started
 * over, so its file stays bounded while the writes keep coming. A write
 * that meets the write lock held elsewhere waits for it without blocking
 * the event loop.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { openSqliteStore } from "../src/store/index.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const WAL_LIMIT = 256 * KiB;
/** Far above WAL_LIMIT: the WAL must be started over, not left to grow until a TRUNCATE copies it all. */
const TRUNCATE_ABOVE = 64 * MiB;
/**
 * What the WAL may reach: its limit, plus what the writes add during one
 * passive checkpoint, whose fsyncs can take a few hundred milliseconds on a
 * busy disk.
 */
const WAL_BOUND = 8 * MiB;
/** Turns of the event loop that write; each writes a group, as a relay burst does. */
const TURNS = 5000;
const PER_TURN = 4;
const WARM_UP_TURNS = 500;
const VALUE = "v".repeat(100);

function size(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

const nextTurn = () => new Promise<void>((r) => setTimeout(r, 1));

describe("SQLite store: sustained writes while the worker checkpoints", { timeout: 180_000 }, () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "parley-wal-sustained-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("fails no write and keeps the WAL bounded while writes never pause", async () => {
    const file = join(dir, "sustained.db");
    const store = await openSqliteStore(file, {
      walCheckpoints: { intervalMs: 50, walSizeLimitBytes: WAL_LIMIT, truncateAboveBytes: TRUNCATE_ABOVE },
    });
    const failures: unknown[] = [];
    let peak = 0;
    /** What the WAL file grew by, in all: less than what was written to it (a restarted log reuses its file). */
    let grown = 0;
    let lastWal = 0;
    let written = 0;
    const inFlight: Array<Promise<unknown>> = [];
    for (let t = 0; t < TURNS; t++) {
      for (let i = 0; i < PER_TURN; i++) {
        const n = t * PER_TURN + i;
        inFlight.push(
          store
            .recordMessage({
              network: "n",
              channel: "c",
              remoteId: `m${n}`,
              room: "room@conference.test",
              originId: `o${n}`,
              sender: "s",
              direction: "to-xmpp",
              createdAt: n,
            })
            .then(
              () => written++,
              (e: unknown) => failures.push(e),
            ),
        );
        inFlight.push(store.setState("sustained", `k${n}`, `${n}${VALUE}`).catch((e: unknown) => failures.push(e)));
      }
      // Writes keep coming: the next group is asked for before this one is committed.
      if (t % 4 === 3) await Promise.all(inFlight.splice(0));
      else await nextTurn();
      const wal = size(`${file}-wal`);
      grown += Math.max(0, wal - lastWal);
      lastWal = wal;
      // The worker thread takes a moment to start: the WAL is measured once it has.
      if (t >= WARM_UP_TURNS) peak = Math.max(peak, wal);
    }
    await Promise.all(inFlight);
    await store.close();
    assert.deepEqual(
      failures.map((e) => (e as Error).message),
      [],
      "every write committed",
    );
    assert.equal(written, TURNS * PER_TURN);
    assert.ok(grown > 2 * WAL_BOUND, `the WAL grew by ${grown} bytes in all: enough to need restarts`);
    assert.ok(peak <= WAL_BOUND, `the WAL peaked at ${peak} bytes (to be started over past ${WAL_LIMIT})`);
    const reopened = await openSqliteStore(file);
    try {
      assert.ok(await reopened.byRemoteId("n", `m${TURNS * PER_TURN - 1}`), "the last write is in the database");
    } finally {
      await reopened.close();
    }
  });

  it("a write that meets the write lock held elsewhere is tried again without blocking the event loop", async () => {
    const file = join(dir, "held.db");
    const store = await openSqliteStore(file, { busyTimeoutMs: 2000 });
    const other = new DatabaseSync(file);
    try {
      other.exec("BEGIN IMMEDIATE");
      other.exec("CREATE TABLE IF NOT EXISTS held (x)");
      // The lock is let go by a timer of this same event loop: a write that waited
      // for it inside SQLite (blocking the thread) would wait out its busy timeout and fail.
      let released = false;
      setTimeout(() => {
        other.exec("COMMIT");
        released = true;
      }, 100);
      const writes = [
        store.setState("held", "a", "1"),
        store.setState("held", "b", "2"),
        store.recordMessage({
          network: "n",
          channel: "c",
          remoteId: "m1",
          room: "room@conference.test",
          originId: "o1",
          sender: "s",
          direction: "to-xmpp",
          createdAt: 1,
        }),
      ];
      await Promise.all(writes);
      assert.ok(released, "the writes were committed after the other connection let the lock go");
      assert.equal(await store.getState("held", "b"), "2");
      assert.ok(await store.byRemoteId("n", "m1"));
    } finally {
      other.close();
      await store.close();
    }
  });
});
