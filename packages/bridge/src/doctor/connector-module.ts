/**
 * A connector package as the doctor uses it: `createConnector` (built, never
 * started: for its network name, its display name, which the relay's nick is
 * made of, and the validation of its config section) and the optional
 * `diagnose`. The `parley` command loads connectors through it too:
 * `reference` is built in, any other `x` is the package
 * `connectors.x.package` names, by default `@parley/x`.
 */
import { isAbsolute } from "node:path";
import { ConnectorPackageError, connectorPackageName, importConnectorPackage } from "../cli/connector-package.ts";
import type { ConnectorFactory } from "../cli/run-cli.ts";
import { ConfigError } from "../config/index.ts";
import { ReferenceConnector } from "../reference/reference-connector.ts";
import { ReferenceNetwork } from "../reference/reference-network.ts";
import type { DiagnoseFunction } from "./doctor-check.ts";

export interface ConnectorModule {
  readonly createConnector: ConnectorFactory;
  readonly diagnose?: DiagnoseFunction;
}

/** `packageName`: what `connectors.<name>.package` says (`config.connectorPackages[name]`), when it says. */
export type LoadConnectorModule = (name: string, packageName?: string) => Promise<ConnectorModule>;

/**
 * Throws ConfigError naming `connectors.<name>.package` when the package is
 * missing, fails to load (with its own error) or exports no createConnector.
 */
export const loadConnectorModule: LoadConnectorModule = async (name, packageName) => {
  if (name === "reference" && packageName === undefined) {
    return { createConnector: () => new ReferenceConnector(new ReferenceNetwork()) };
  }
  const pkg = packageName ?? connectorPackageName(name);
  const field = `connectors.${name}.package`;
  const install = isAbsolute(pkg) ? `put the package at ${pkg}` : `install it (npm install ${pkg})`;
  let mod: Record<string, unknown>;
  try {
    mod = await importConnectorPackage(name, pkg);
  } catch (e) {
    if (!(e instanceof ConnectorPackageError)) throw e;
    const said = packageName === undefined ? ` (the default: ${field} is not set)` : "";
    throw new ConfigError([
      {
        path: field,
        problem: `${e.message}${e.missing ? said : ""}`,
        fix: e.missing
          ? `${install}, set ${field} to the package the ${name} connector comes from, or remove connectors.${name}`
          : `mend what the error names, or ${install.replace(/^install it/, "install it again")}`,
      },
    ]);
  }
  if (typeof mod.createConnector !== "function") {
    throw new ConfigError([
      {
        path: field,
        problem: `${pkg} exports no createConnector`,
        fix: `update the package, or set ${field} to a connector package`,
      },
    ]);
  }
  return {
    createConnector: mod.createConnector as ConnectorFactory,
    ...(typeof mod.diagnose === "function" && { diagnose: mod.diagnose as DiagnoseFunction }),
  };
};
