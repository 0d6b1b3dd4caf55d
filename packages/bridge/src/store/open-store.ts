/** Opening the store the configuration names: the one entry point the engine and the CLI use. */
import type { Logger } from "../ops/logger-types.ts";
import { openPostgresStore } from "./postgres-store.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import type { BridgeStore } from "./store-types.ts";
import { parseStoreUrl } from "./store-url.ts";

export interface OpenStoreOptions {
  readonly logger?: Logger;
  /** The clock for times the store stamps itself; default `Date.now` (tests inject one). */
  readonly now?: () => number;
}

/**
 * Opens and migrates the store at `url`: `"sqlite:relative/or/abs.db"`,
 * `"sqlite::memory:"`, a bare path ending in `.db`, or a `postgres://` /
 * `postgresql://` URL. A URL it cannot use fails with a `StoreConfigError`
 * before anything is touched.
 */
export function openStore(url: string, options: OpenStoreOptions = {}): Promise<BridgeStore> {
  let target: ReturnType<typeof parseStoreUrl>;
  try {
    target = parseStoreUrl(url);
  } catch (e) {
    return Promise.reject(e);
  }
  return target.kind === "sqlite" ? openSqliteStore(target.path, options) : openPostgresStore(target.url, options);
}
