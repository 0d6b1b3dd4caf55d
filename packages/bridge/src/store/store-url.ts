/**
 * Reading the store URL from the configuration. It is the one place a
 * database password passes through, so every message built here goes
 * through `redactStoreUrl` first.
 */
import { StoreConfigError } from "./store-errors.ts";

export type StoreTarget =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly url: string };

export const ACCEPTED_STORE_URLS =
  'accepted forms: "sqlite:path/to/bridge.db" (relative to the working directory, or absolute), ' +
  '"sqlite::memory:", a bare path ending in .db, .sqlite or .sqlite3, ' +
  'or "postgres://user:password@host:5432/database" (also "postgresql://")';

const SQLITE_FILE = /\.(db|sqlite3?)$/i;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * `url` with any password hidden: the password of a `user:password@`
 * authority (even one with unescaped `@` or `/` in it, or a missing `//`)
 * and `password=` query parameters.
 */
export function redactStoreUrl(url: string): string {
  let out = url;
  const slashes = out.indexOf("://");
  const start = slashes >= 0 ? slashes + 3 : (SCHEME.exec(out)?.[0].length ?? 0);
  const at = out.lastIndexOf("@");
  if (at > start) {
    const userinfo = out.slice(start, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) out = `${out.slice(0, start)}${userinfo.slice(0, colon)}:***${out.slice(at)}`;
  }
  return out.replace(/([?&]password=)[^&#]*/gi, "$1***");
}

function refuse(url: string, problem: string): never {
  throw new StoreConfigError(`store: the URL "${redactStoreUrl(url)}" ${problem}; ${ACCEPTED_STORE_URLS}`);
}

export function parseStoreUrl(input: string): StoreTarget {
  if (typeof input !== "string") {
    throw new StoreConfigError(`store: the URL must be a string, got ${typeof input}; ${ACCEPTED_STORE_URLS}`);
  }
  const url = input.trim();
  if (url === "") throw new StoreConfigError(`store: the URL is empty; ${ACCEPTED_STORE_URLS}`);
  if (url.includes("\0")) refuse(url.replaceAll("\0", "\\0"), "contains a NUL character");
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === "sqlite") {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs/path.db, sqlite://rel.db
    if (path === "") refuse(url, "names no file");
    return { kind: "sqlite", path };
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    if (!url.slice(scheme.length + 1).startsWith("//")) refuse(url, `needs "${scheme}://" before the host`);
    try {
      new URL(url);
    } catch {
      refuse(url, "is not a valid URL (is a special character in the password left unescaped?)");
    }
    return { kind: "postgres", url };
  }
  // A one-letter "scheme" is a Windows drive (C:\bridge.db), i.e. a bare path.
  if (scheme !== undefined && scheme.length > 1) refuse(url, `uses the unsupported scheme "${scheme}:"`);
  if (SQLITE_FILE.test(url)) return { kind: "sqlite", path: url };
  return refuse(url, "is neither a sqlite: or postgres:// URL nor a path ending in .db");
}
