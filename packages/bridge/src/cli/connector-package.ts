/**
 * Finding a connector by its network name, once for every command that needs
 * one (`parley`, `parley doctor`, `parley init`): `reference` is built in; any
 * other name `x` comes from the package `connectors.x.package` names, by
 * default `@parley/x`. That is an npm package installed beside the bridge, or
 * a path to a package's directory (or its entry file). A package that is not
 * there and a package that fails while loading are told apart, so an operator
 * sees the real error of the second instead of "not installed".
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeFailure } from "../delivery/delivery-errors.ts";

/** The package a network's connector comes from when `connectors.<network>.package` does not say. */
export function connectorPackageName(network: string): string {
  return `@parley/${network}`;
}

/** The connector package could not be imported: `missing` when it is not there at all. */
export class ConnectorPackageError extends Error {
  readonly network: string;
  /** What was imported: a package name, or an absolute path. */
  readonly packageName: string;
  readonly missing: boolean;
  constructor(network: string, missing: boolean, cause: unknown, packageName = connectorPackageName(network)) {
    super(
      missing
        ? isAbsolute(packageName)
          ? `no connector package is at ${packageName}`
          : `no connector package ${packageName} is installed`
        : `${packageName} could not be loaded: ${describeFailure(cause)}`,
      { cause },
    );
    this.name = "ConnectorPackageError";
    this.network = network;
    this.packageName = packageName;
    this.missing = missing;
  }
}

/** Whether `e` says that `name` itself (not something it imports) was not found. */
function isNotFound(e: unknown, name: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" && e instanceof Error && e.message.includes(`'${name}'`);
}

/** The conditions a package's `exports` are read with, as Node reads them for `import`. */
const CONDITIONS = new Set(["node", "import", "module-sync", "default"]);

function exportTarget(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  for (const [condition, target] of Object.entries(v)) {
    if (!CONDITIONS.has(condition)) continue;
    const found = exportTarget(target);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The file to import for a package at `path`: the file itself, or a
 * directory's entry (its package.json's `exports` for ".", else `main`, else
 * index.js). Undefined when nothing is at `path`.
 */
function entryAt(path: string): string | undefined {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return undefined; // nothing at `path`: the caller says so
  }
  if (!isDirectory) return path;
  let manifest: { exports?: unknown; main?: unknown } = {};
  try {
    manifest = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as typeof manifest;
  } catch (e) {
    if ((e as { code?: unknown }).code !== "ENOENT") throw e; // a package.json that cannot be read is the package's error
  }
  const exported = manifest.exports;
  const root =
    typeof exported === "object" && exported !== null && !Array.isArray(exported) && "." in exported
      ? (exported as Record<string, unknown>)["."]
      : exported;
  const target = exportTarget(root) ?? (typeof manifest.main === "string" ? manifest.main : "index.js");
  return join(path, target);
}

/**
 * The connector package's exports; throws ConnectorPackageError. `packageName`
 * is what `connectors.<network>.package` says (an absolute path once the
 * config is loaded), by default `@parley/<network>`.
 */
export async function importConnectorPackage(
  network: string,
  packageName = connectorPackageName(network),
): Promise<Record<string, unknown>> {
  try {
    if (!isAbsolute(packageName)) return (await import(packageName)) as Record<string, unknown>;
    const entry = entryAt(packageName);
    if (entry === undefined) {
      throw new ConnectorPackageError(network, true, new Error(`nothing is at ${packageName}`), packageName);
    }
    return (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ConnectorPackageError) throw e;
    throw new ConnectorPackageError(network, isNotFound(e, packageName), e, packageName);
  }
}
