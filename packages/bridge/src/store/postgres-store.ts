/**
 * The backend for deployments that outgrow one machine or run several bridge
 * processes: PostgreSQL through a `pg` pool. Queries are the shared ones from
 * `sql-store.ts` with their `?` placeholders numbered; migrations hold a
 * transaction-scoped advisory lock, so processes starting together migrate
 * one after the other.
 */
import pg from "pg";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from "./sql-driver.ts";
import { SqlStore } from "./sql-store.ts";
import { StoreUnavailableError } from "./store-errors.ts";
import type { BridgeStore } from "./store-types.ts";
import { redactStoreUrl } from "./store-url.ts";

/** Arbitrary but fixed: every Parley process takes this lock to migrate ("PaRL" as four bytes). */
export const MIGRATION_LOCK_ID = 0x5061_524c;

export interface PostgresStoreOptions {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Pool size; default 10. */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing a call; default 10,000 ms. */
  readonly connectTimeoutMs?: number;
}

/** SQL text -> numbered: one per statement of the store's, which are constants (no SQL is built per value). */
const numbered = new Map<string, string>();

/** `?` placeholders as PostgreSQL's `$1, $2...`. Our SQL has no `?` inside string literals. */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, out);
  }
  return out;
}

type Queryable = Pick<pg.PoolClient, "query">;

async function runOn(q: Queryable, sql: string, params: readonly SqlParam[]): Promise<number> {
  const r = await q.query(numberPlaceholders(sql), [...params]);
  return r.rowCount ?? 0;
}

async function allOn(q: Queryable, sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
  const r = await q.query<Record<string, unknown>>(numberPlaceholders(sql), [...params]);
  return r.rows;
}

class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres";
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return runOn(this.pool, sql, params);
  }

  all(sql: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    return allOn(this.pool, sql, params);
  }

  async migrationTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
      const value = await fn({
        run: (sql, params = []) => runOn(client, sql, params),
        all: (sql, params = []) => allOn(client, sql, params),
      });
      await client.query("COMMIT");
      return value;
    } catch (e) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError; // the connection is unusable: do not hand it back to the pool
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * Connects to the PostgreSQL database at `url` and migrates it. A server that
 * cannot be reached, or refuses the credentials, fails with a
 * `StoreUnavailableError` naming the server without the password.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<BridgeStore> {
  const logger = options.logger ?? silentLogger;
  const where = redactStoreUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "parley-bridge",
  });
  // An idle connection that dies (server restart, network cut) is emitted
  // here; without a listener it would crash the process. The pool replaces it.
  pool.on("error", (e) => logger.warn("store: an idle PostgreSQL connection failed", { error: e.message }));
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined); // the pool never connected: the connect failure below is what matters
    throw new StoreUnavailableError(`store: cannot connect to PostgreSQL at ${where}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const store = new SqlStore(new PostgresDriver(pool), options);
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  logger.debug("store opened", { kind: "postgres", url: where });
  return store;
}
