/**
 * A connector package as the doctor uses it: `createConnector` (built, never
 * started: for its network name, its display name, which the relay's nick is
 * made of, and the validation of its config section) and the optional
 * `diagnose`. The `parley` command loads connectors through it too:
 * `reference` is built in, any other `x` is the package `@parley/x`.
 */
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

export type LoadConnectorModule = (name: string) => Promise<ConnectorModule>;

/** Throws ConfigError naming `connectors.<name>` when the package is missing, fails to load or exports no createConnector. */
export const loadConnectorModule: LoadConnectorModule = async (name) => {
  if (name === "reference") return { createConnector: () => new ReferenceConnector(new ReferenceNetwork()) };
  const pkg = connectorPackageName(name);
  let mod: Record<string, unknown>;
  try {
    mod = await importConnectorPackage(name);
  } catch (e) {
    if (!(e instanceof ConnectorPackageError)) throw e;
    throw new ConfigError([
      {
        path: `connectors.${name}`,
        problem: e.message,
        fix: e.missing
          ? `install it (npm install ${pkg}) or remove connectors.${name}`
          : `install it again (npm install ${pkg}), or mend what the error names`,
      },
    ]);
  }
  if (typeof mod.createConnector !== "function") {
    throw new ConfigError([
      { path: `connectors.${name}`, problem: `${pkg} exports no createConnector`, fix: "update the package" },
    ]);
  }
  return {
    createConnector: mod.createConnector as ConnectorFactory,
    ...(typeof mod.diagnose === "function" && { diagnose: mod.diagnose as DiagnoseFunction }),
  };
};
