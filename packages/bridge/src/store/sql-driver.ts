/**
 * The narrow surface the store needs from a database, so that every query is
 * written once (in `sql-store.ts`) and each backend only says how to run it.
 * Statements use `?` placeholders; the PostgreSQL driver numbers them.
 */
import { StoreSchemaError } from "./store-errors.ts";

export type Dialect = "sqlite" | "postgres";
export type SqlParam = string | number | null;
export type SqlRow = Readonly<Record<string, unknown>>;

export interface SqlExecutor {
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /** Runs a query; resolves with its rows, column names as written in the SQL. */
  all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one transaction that no other migrating process can overlap
   * (SQLite: the database write lock; PostgreSQL: an advisory lock), committed
   * when `fn` resolves and rolled back when it throws.
   */
  migrationTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function corrupt(column: string, value: unknown, wanted: string): StoreSchemaError {
  return new StoreSchemaError(
    `store: column ${column} holds ${value === null ? "NULL" : typeof value} where ${wanted} belongs; was the database changed outside the bridge?`,
  );
}

export function textColumn(row: SqlRow, column: string): string {
  const v = row[column];
  if (typeof v !== "string") throw corrupt(column, v, "text");
  return v;
}

export function optionalTextColumn(row: SqlRow, column: string): string | undefined {
  const v = row[column];
  if (v === null || v === undefined) return undefined;
  if (typeof v !== "string") throw corrupt(column, v, "text");
  return v;
}

/** An integer column: SQLite gives a number, PostgreSQL's BIGINT arrives as a decimal string. */
export function integerColumn(row: SqlRow, column: string): number {
  const v = row[column];
  const n = typeof v === "number" ? v : typeof v === "bigint" || typeof v === "string" ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw corrupt(column, v, "an integer");
  return n;
}
