/**
 * The embedded, zero-setup backend: one SQLite file through Node's built-in
 * `node:sqlite`. WAL lets readers run beside the writer; the busy timeout
 * makes a second process wait for the write lock instead of failing at once.
 * Calls are synchronous underneath (each a single short statement), wrapped
 * in promises for the shared `BridgeStore` surface.
 */
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from "./sql-driver.ts";
import { SqlStore } from "./sql-store.ts";
import { StoreConfigError } from "./store-errors.ts";
import type { BridgeStore } from "./store-types.ts";
import { startWalCheckpointer, type WalCheckpointer, type WalCheckpointOptions } from "./wal-checkpointer.ts";

export const SQLITE_MEMORY = ":memory:";

export interface SqliteStoreOptions {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** How long a statement waits for another process's write lock; default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /** How the worker thread checkpoints the WAL (files only; see `wal-checkpointer.ts`). */
  readonly walCheckpoints?: WalCheckpointOptions;
}

/**
 * Connections of this process that are migrating, by file. Two connections
 * in one process must not both wait on the lock: the busy wait blocks the
 * thread, so the holder could never finish. They take turns here instead;
 * other processes are kept out by SQLite's own lock.
 */
const migratingFiles = new Map<string, Promise<unknown>>();

function takeTurn<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const before = migratingFiles.get(file) ?? Promise.resolve();
  const mine = before.then(fn, fn);
  const settled = mine.catch(() => undefined); // only orders the next turn: `mine` carries the failure to the caller
  migratingFiles.set(file, settled);
  void settled.then(() => {
    if (migratingFiles.get(file) === settled) migratingFiles.delete(file);
  });
  return mine;
}

/** How long one statement may wait for a lock inside SQLite, blocking the event loop, once the store is open. */
const BUSY_WAIT_MS = 20;
/** How soon a group commit that met SQLITE_BUSY is tried again. */
const BUSY_RETRY_MS = 5;

/** SQLITE_BUSY or one of its extended codes (node:sqlite errors carry `errcode`). */
function isBusy(e: unknown): boolean {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && (code & 0xff) === 5;
}

interface PendingWrite {
  readonly sql: string;
  readonly params: readonly SqlParam[];
  readonly resolve: (changes: number) => void;
  readonly reject: (e: unknown) => void;
}

class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  private readonly db: DatabaseSync;
  private readonly file: string;
  /** Prepared statements by SQL text: one per statement of the store's, which are constants. */
  private readonly statements = new Map<string, StatementSync>();
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** Set while a batch that met SQLITE_BUSY waits to be tried again. */
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the writes waiting now first met SQLITE_BUSY (performance.now()). */
  private busySince: number | undefined;
  private checkpointer: WalCheckpointer | undefined;
  /** How long writes are tried again, in all, while the write lock is held elsewhere. */
  private busyTimeoutMs = 0;

  constructor(db: DatabaseSync, file: string) {
    this.db = db;
    this.file = file;
  }

  /**
   * Writes are grouped: every write asked for in one turn of the event loop
   * is committed in one transaction (one WAL commit instead of one per
   * statement, which dominates the cost of relaying a message). Each caller's
   * promise settles once its statement is committed, so a caller that awaits
   * its write and then reads sees it. Inside an explicit transaction
   * (migrations) statements run at once.
   */
  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    if (this.db.isTransaction) return Promise.resolve(this.runNow(sql, params));
    return new Promise((resolve, reject) => {
      this.pending.push({ sql, params, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private runNow(sql: string, params: readonly SqlParam[]): number {
    return Number(this.prepare(sql).run(...params).changes);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.retryTimer !== undefined) return; // a retry is due: it takes these writes too, in order
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.db.isTransaction) {
      this.runEach(batch);
      return;
    }
    const busy = this.commit(batch);
    if (busy === undefined) {
      this.busySince = undefined;
      return;
    }
    // The write lock is held elsewhere (the checkpoint worker's RESTART, another process):
    // nothing of the batch ran. Try it again shortly, without blocking the event loop,
    // until the busy timeout has passed since the first failure.
    const now = performance.now();
    this.busySince ??= now;
    if (now - this.busySince >= this.busyTimeoutMs) {
      this.busySince = undefined;
      for (const w of batch) w.reject(busy);
      return;
    }
    this.pending = batch.concat(this.pending);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, BUSY_RETRY_MS);
  }

  /**
   * Commits `batch` (one transaction for several writes) and settles each
   * write's promise; returns the SQLITE_BUSY error instead, with nothing
   * settled or changed, when the write lock could not be taken.
   */
  private commit(batch: readonly PendingWrite[]): unknown {
    if (batch.length === 1) {
      const [w] = batch as [PendingWrite];
      try {
        w.resolve(this.runNow(w.sql, w.params));
      } catch (e) {
        if (isBusy(e)) return e;
        w.reject(e);
      }
      return undefined;
    }
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      if (isBusy(e)) return e;
      // No group transaction now: each write runs on its own and meets its own failure, if any.
      this.runEach(batch);
      return undefined;
    }
    const outcomes: Array<{ ok: true; changes: number } | { ok: false; error: unknown }> = [];
    for (const w of batch) {
      try {
        outcomes.push({ ok: true, changes: this.runNow(w.sql, w.params) });
      } catch (error) {
        outcomes.push({ ok: false, error });
        if (!this.db.isTransaction) break; // SQLite rolled the whole transaction back
      }
    }
    if (!this.db.isTransaction) {
      // What ran before the failure was rolled back with it: run everything again, one at a time.
      this.runEach(batch);
      return undefined;
    }
    try {
      this.db.exec("COMMIT");
    } catch (e) {
      try {
        this.db.exec("ROLLBACK");
      } catch {
        // already rolled back
      }
      if (isBusy(e)) return e;
      this.runEach(batch);
      return undefined;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok) w.resolve(o.changes);
      else w.reject(o?.error);
    });
    return undefined;
  }

  private runEach(batch: readonly PendingWrite[]): void {
    for (const w of batch) {
      try {
        w.resolve(this.runNow(w.sql, w.params));
      } catch (e) {
        w.reject(e);
      }
    }
  }

  async all(sql: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    return this.prepare(sql).all(...params);
  }

  migrationTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const body = async () => {
      // IMMEDIATE takes the write lock now, so two processes cannot both read
      // "version 0" and then both try to create the tables.
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const value = await fn(this);
        this.db.exec("COMMIT");
        return value;
      } catch (e) {
        try {
          this.db.exec("ROLLBACK");
        } catch {
          // SQLite already rolled back (some errors end the transaction themselves)
        }
        throw e;
      }
    };
    return this.file === SQLITE_MEMORY ? body() : takeTurn(this.file, body);
  }

  /** Hands WAL checkpoints to a worker thread (never inside this connection's commits). */
  startCheckpoints(logger: Logger, busyTimeoutMs: number, options: WalCheckpointOptions | undefined): void {
    this.checkpointer = startWalCheckpointer(this.db, this.file, logger, busyTimeoutMs, options);
  }

  /**
   * From now on a statement waits for a lock at most BUSY_WAIT_MS inside
   * SQLite, which blocks the event loop; the group commit tries a busy batch
   * again on a timer instead, up to `busyTimeoutMs` in all. (Migrations ran
   * before with the whole busy timeout.)
   */
  shortenBusyWaits(busyTimeoutMs: number): void {
    this.busyTimeoutMs = busyTimeoutMs;
    this.db.exec(`PRAGMA busy_timeout = ${Math.min(busyTimeoutMs, BUSY_WAIT_MS)}`);
  }

  async close(): Promise<void> {
    this.flush();
    // Writes waiting to be tried again are committed (or have failed) before the connection closes.
    while (this.retryTimer !== undefined || this.pending.length > 0) {
      if (this.retryTimer === undefined) this.flush();
      else await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
    }
    // The worker's connection closes first, so this one is the last and SQLite
    // checkpoints what is left and removes the WAL file as it closes.
    await this.checkpointer?.stop();
    this.statements.clear();
    this.db.close();
  }

  private prepare(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}

/**
 * Opens (creating it and its directory if needed) and migrates the SQLite
 * database at `path` (relative to the working directory), or a private
 * in-memory one for `":memory:"`.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<BridgeStore> {
  const file = path === SQLITE_MEMORY ? path : resolve(path);
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  let db: DatabaseSync | undefined;
  try {
    if (file !== SQLITE_MEMORY) await mkdir(dirname(file), { recursive: true });
    db = new DatabaseSync(file);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    // Reading the header here is what tells a file that is not a database apart.
    if (file !== SQLITE_MEMORY) db.exec("PRAGMA journal_mode = WAL");
    // In WAL mode NORMAL still survives a crash of the process (commits are in the log);
    // only a power loss can take the last commits, and it spares an fsync per message.
    db.exec("PRAGMA synchronous = NORMAL");
  } catch (e) {
    db?.close();
    throw new StoreConfigError(
      `store: cannot open the SQLite database at ${file}: ${(e as Error).message} ` +
        "(is it a SQLite file, and is its directory writable?)",
      { cause: e },
    );
  }
  const driver = new SqliteDriver(db, file);
  const store = new SqlStore(driver, options);
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  // After the migrations, which hold the write lock across awaits. An in-memory database has no WAL.
  if (file !== SQLITE_MEMORY) {
    driver.shortenBusyWaits(busyTimeoutMs);
    driver.startCheckpoints(options.logger ?? silentLogger, busyTimeoutMs, options.walCheckpoints);
  }
  options.logger?.debug("store opened", { kind: "sqlite", file });
  return store;
}
