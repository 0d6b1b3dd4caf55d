/**
 * The two backends the store suites run on: SQLite in temporary files, and a
 * real PostgreSQL started by the testkit; each gives fresh databases and raw
 * SQL underneath the store.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type PostgresServer, startPostgres } from "@parley/testkit";
import pg from "pg";
import { parseStoreUrl } from "../src/store/index.ts";

/** What a backend gives the suite: fresh databases, and raw SQL against one (to look under the store). */
export interface Backend {
  readonly name: "sqlite" | "postgres";
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** The URL of a new, empty database. */
  fresh(): Promise<string>;
  /** Runs SQL on the database at `url` without the store, resolving with its rows. */
  raw(url: string, sql: string): Promise<Array<Record<string, unknown>>>;
}

export function sqliteBackend(): Backend {
  let dir = "";
  let n = 0;
  return {
    name: "sqlite",
    async setup() {
      dir = mkdtempSync(join(tmpdir(), "parley-store-"));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async fresh() {
      n++;
      return `sqlite:${join(dir, `store-${n}.db`)}`;
    },
    async raw(url, sql) {
      const target = parseStoreUrl(url);
      assert.equal(target.kind, "sqlite");
      const db = new DatabaseSync(target.kind === "sqlite" ? target.path : "");
      try {
        return db.prepare(sql).all();
      } finally {
        db.close();
      }
    },
  };
}

export function postgresBackend(): Backend {
  let server: PostgresServer | undefined;
  let n = 0;
  return {
    name: "postgres",
    async setup() {
      server = await startPostgres();
    },
    async teardown() {
      await server?.stop();
    },
    async fresh() {
      assert.ok(server);
      n++;
      return server.createDatabase(`store_${n}`);
    },
    async raw(url, sql) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(sql)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
