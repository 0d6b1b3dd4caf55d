/**
 * Finding a connector by its network name, once for every command that needs
 * one (`parley`, `parley doctor`, `parley init`): `reference` is built in, any
 * other name `x` is the package `@parley/x`. A package that is not installed
 * and a package that fails while loading are told apart, so an operator sees
 * the real error of the second instead of "not installed".
 */
import { describeFailure } from "../delivery/delivery-errors.ts";

/** The package a network's connector comes from. */
export function connectorPackageName(network: string): string {
  return `@parley/${network}`;
}

/** The connector package could not be imported: `missing` when it is not installed at all. */
export class ConnectorPackageError extends Error {
  readonly network: string;
  readonly missing: boolean;
  constructor(network: string, missing: boolean, cause: unknown) {
    const name = connectorPackageName(network);
    super(
      missing ? `no connector package ${name} is installed` : `${name} could not be loaded: ${describeFailure(cause)}`,
      { cause },
    );
    this.name = "ConnectorPackageError";
    this.network = network;
    this.missing = missing;
  }
}

/** Whether `e` says that `name` itself (not something it imports) was not found. */
function isNotFound(e: unknown, name: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" && e instanceof Error && e.message.includes(`'${name}'`);
}

/** The connector package's exports; throws ConnectorPackageError. */
export async function importConnectorPackage(network: string): Promise<Record<string, unknown>> {
  const name = connectorPackageName(network);
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (e) {
    throw new ConnectorPackageError(network, isNotFound(e, name), e);
  }
}
