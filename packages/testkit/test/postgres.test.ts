/** A real PostgreSQL per test run: it starts, answers SQL, and leaves nothing behind. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type PostgresServer, portOpen, startPostgres } from "../src/index.ts";

/** Live (not zombie) processes whose command line mentions `needle`. */
function liveProcesses(needle: string): string[] {
  return execFileSync("ps", ["-eo", "stat=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(needle) && !l.trimStart().startsWith("Z"));
}

describe("startPostgres", () => {
  const started: PostgresServer[] = [];
  after(async () => {
    for (const s of started) await s.stop();
  });

  it("serves the database named in its URL on a free loopback port", async () => {
    const pg = await startPostgres({ database: "bridge_test" });
    started.push(pg);
    assert.equal(pg.url, `postgres://postgres@127.0.0.1:${pg.port}/bridge_test`);
    assert.equal(pg.database, "bridge_test");
    assert.equal(await portOpen(pg.port), true);
    assert.equal(await pg.psql("SELECT current_database()"), "bridge_test\n");
    assert.equal(await pg.psql("SHOW fsync"), "off\n");
    assert.equal(await pg.psql("SHOW server_encoding"), "UTF8\n");
    await pg.psql("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('héllo 🌍')");
    assert.equal(await pg.psql("SELECT v FROM t"), "héllo 🌍\n");
  });

  it("creates further databases on request", async () => {
    const pg = await startPostgres();
    started.push(pg);
    assert.equal(pg.database, "parley");
    const url = await pg.createDatabase("second");
    assert.equal(url, `postgres://postgres@127.0.0.1:${pg.port}/second`);
    assert.equal(await pg.psql("SELECT current_database()", { database: "second" }), "second\n");
    await assert.rejects(pg.createDatabase("no; DROP DATABASE parley"), /invalid database name/);
  });

  it("stop() leaves no process and no directory behind", async () => {
    const pg = await startPostgres();
    assert.ok(liveProcesses(pg.dir).length > 0, "the server runs from its own directory");
    await pg.stop();
    assert.deepEqual(liveProcesses(pg.dir), []);
    assert.equal(existsSync(pg.dir), false);
    assert.equal(await portOpen(pg.port), false);
  });

  it("stop({ keep: true }) stops the server but keeps its directory for a post-mortem", async () => {
    const pg = await startPostgres();
    try {
      await pg.stop({ keep: true });
      assert.deepEqual(liveProcesses(pg.dir), []);
      assert.equal(existsSync(join(pg.dir, "postgres.log")), true);
    } finally {
      rmSync(pg.dir, { recursive: true, force: true });
    }
  });

  it("names the install line when the server binaries are missing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "parley-no-postgres-"));
    try {
      await assert.rejects(startPostgres({ binRoot: empty }), (e: Error) => {
        assert.match(e.message, /apt-get install postgresql/);
        assert.match(e.message, /not found/);
        return true;
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("refuses a database name it would have to quote", async () => {
    await assert.rejects(startPostgres({ database: "Robert'); --" }), /invalid database name/);
  });
});
