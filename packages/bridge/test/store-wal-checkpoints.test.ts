/**
 * The SQLite store's WAL checkpoints run on a worker thread, never inside a
 * commit on the event loop: the WAL stays bounded across many writes, the
 * worker stops with the store, a reopened store sees every write, and when
 * the worker cannot start or dies SQLite's own checkpoint comes back.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { LogFields, Logger } from "../src/ops/logger-types.ts";
import { openSqliteStore } from "../src/store/index.ts";

const MiB = 1024 * 1024;
/** One write's value: 16 KiB, so a round of 64 writes puts about 1 MiB in the WAL. */
const VALUE = "x".repeat(16 * 1024);
const ROUND = 64;
const ROUNDS = 24;

function size(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordingLogger(): Logger & { warnings: Array<{ msg: string; fields?: LogFields }> } {
  const warnings: Array<{ msg: string; fields?: LogFields }> = [];
  const logger = {
    warnings,
    debug() {},
    info() {},
    warn(msg: string, fields?: LogFields) {
      warnings.push({ msg, fields });
    },
    error() {},
    child() {
      return logger;
    },
  };
  return logger;
}

/** Writes round `r` (64 values, committed one at a time). */
async function writeRound(store: Awaited<ReturnType<typeof openSqliteStore>>, r: number): Promise<void> {
  for (let i = 0; i < ROUND; i++) await store.setState("wal", `k${r}-${i}`, `${r}-${i}-${VALUE}`);
}

describe("SQLite store: WAL checkpoints on a worker thread", { timeout: 120_000 }, () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "parley-wal-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the WAL bounded across many writes: the worker copies them into the database", async () => {
    const file = join(dir, "bounded.db");
    const logger = recordingLogger();
    const store = await openSqliteStore(file, {
      logger,
      walCheckpoints: { intervalMs: 20, walSizeLimitBytes: MiB },
    });
    let peak = 0;
    for (let r = 0; r < ROUNDS; r++) {
      await writeRound(store, r);
      peak = Math.max(peak, size(`${file}-wal`));
      // The main connection never checkpoints (wal_autocheckpoint = 0): only the
      // worker can copy the WAL into the database and start it over, cut back
      // to 1 MiB. Without it the database file would stay empty, the WAL would
      // hold all 24 MiB written, and this wait would end only with the test's
      // timeout. (A WAL under 1 MiB alone proves nothing: started over in the
      // middle of a round, it holds the rest of the round, not yet copied.)
      const rounds = (r + 1) * ROUND * VALUE.length;
      while (size(file) < rounds || size(`${file}-wal`) > MiB) await pause(10);
    }
    const total = ROUNDS * ROUND * VALUE.length;
    assert.ok(total >= 24 * MiB, `the test writes ${total} bytes`);
    assert.ok(peak < total / 4, `the WAL peaked at ${peak} bytes after ${total} bytes written`);
    assert.deepEqual(logger.warnings, [], "the worker ran: no fallback");
    await store.close();
    assert.equal(
      existsSync(`${file}-wal`),
      false,
      "the worker's connection closed first; the store's close removed the WAL",
    );
  });

  it("closes cleanly with the worker stopped, and a store reopened after close sees every write", async () => {
    const file = join(dir, "reopen.db");
    const first = await openSqliteStore(file, { walCheckpoints: { intervalMs: 5 } });
    // Grouped writes (one commit for the lot) and single ones, while the worker checkpoints.
    await Promise.all(Array.from({ length: 500 }, (_, i) => first.setState("reopen", `g${i}`, `v${i}`)));
    for (let i = 0; i < 200; i++) await first.setState("reopen", `s${i}`, `v${i}`);
    await first.close();
    await first.close(); // a second close is harmless
    assert.equal(existsSync(`${file}-wal`), false, "no connection is left open on the file");

    const second = await openSqliteStore(file);
    for (let i = 0; i < 500; i++) assert.equal(await second.getState("reopen", `g${i}`), `v${i}`);
    for (let i = 0; i < 200; i++) assert.equal(await second.getState("reopen", `s${i}`), `v${i}`);
    await second.close();
  });

  for (const closes of [true, false]) {
    it(`a process that ${closes ? "closes its store" : "never closes its store"} exits on its own, its writes kept`, async () => {
      const file = join(dir, `process-${closes}.db`);
      const script = join(dir, `process-${closes}.ts`);
      const storeModule = fileURLToPath(new URL("../src/store/index.ts", import.meta.url));
      writeFileSync(
        script,
        `import { openSqliteStore } from ${JSON.stringify(storeModule)};\n` +
          `const store = await openSqliteStore(${JSON.stringify(file)}, { walCheckpoints: { intervalMs: 5 } });\n` +
          `for (let i = 0; i < 100; i++) await store.setState("p", "k" + i, "v" + i);\n` +
          (closes ? "await store.close();\n" : "") +
          'console.log("done");\n',
      );
      // An exit with the close still pending would be code 13 (unsettled top-level await), without "done".
      const { stdout } = await promisify(execFile)(process.execPath, [script]);
      assert.equal(stdout.trim(), "done");
      const store = await openSqliteStore(file);
      assert.equal(await store.getState("p", "k99"), "v99");
      await store.close();
    });
  }

  it("an in-memory store has no WAL and starts no worker", async () => {
    const logger = recordingLogger();
    const store = await openSqliteStore(":memory:", {
      logger,
      walCheckpoints: { workerUrl: new URL("file:///nowhere.js") },
    });
    await store.setState("m", "k", "v");
    assert.equal(await store.getState("m", "k"), "v");
    await store.close();
    assert.deepEqual(logger.warnings, [], "no worker was tried");
  });

  for (const failure of ["cannot start", "dies"] as const) {
    it(`when the worker ${failure}, SQLite's own checkpoint comes back and one warning is logged`, async () => {
      const script = join(dir, `worker-${failure.replace(" ", "-")}.mjs`);
      if (failure === "dies") writeFileSync(script, 'setTimeout(() => { throw new Error("boom"); }, 1);\n');
      const file = join(dir, `fallback-${failure.replace(" ", "-")}.db`);
      const logger = recordingLogger();
      const store = await openSqliteStore(file, {
        logger,
        walCheckpoints: { workerUrl: pathToFileURL(script), walSizeLimitBytes: MiB },
      });
      while (logger.warnings.length === 0) await pause(5);
      const walSizes: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        await writeRound(store, r);
        walSizes.push(size(`${file}-wal`));
      }
      // SQLite checkpoints at 1,000 pages (4 MiB of 4 KiB pages) inside a commit, then
      // starts the WAL over, cut back to 1 MiB: it never nears the 24 MiB written.
      const largest = Math.max(...walSizes);
      assert.ok(largest < 6 * MiB, `the WAL peaked at ${largest} bytes`);
      assert.ok(size(file) >= ROUNDS * ROUND * VALUE.length * 0.75, "most writes reached the database file");
      assert.equal(logger.warnings.length, 1, JSON.stringify(logger.warnings));
      assert.match(logger.warnings[0]?.msg ?? "", /checkpoint worker is unavailable/);
      await store.close();
      const reopened = await openSqliteStore(file);
      assert.equal(
        await reopened.getState("wal", `k${ROUNDS - 1}-${ROUND - 1}`),
        `${ROUNDS - 1}-${ROUND - 1}-${VALUE}`,
      );
      await reopened.close();
    });
  }
});
