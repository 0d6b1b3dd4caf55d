/**
 * A connector package as the doctor uses it: `createConnector` (built, never
 * started: for its network name, its display name, which the relay's nick is
 * made of, and the validation of its config section) and the optional
 * `diagnose`. Found by name as the CLI finds connectors: `reference` is built
 * in, any other `x` is the package `@parley/x`.
 */
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

/** Throws ConfigError naming `connectors.<name>` when the package is missing or exports no createConnector. */
export const loadConnectorModule: LoadConnectorModule = async (name) => {
  if (name === "reference") return { createConnector: () => new ReferenceConnector(new ReferenceNetwork()) };
  let mod: { createConnector?: unknown; diagnose?: unknown };
  try {
    mod = (await import(`@parley/${name}`)) as typeof mod;
  } catch {
    throw new ConfigError([
      {
        path: `connectors.${name}`,
        problem: `no connector package @parley/${name} is installed`,
        fix: `install it (npm install @parley/${name}) or remove connectors.${name}`,
      },
    ]);
  }
  if (typeof mod.createConnector !== "function") {
    throw new ConfigError([
      { path: `connectors.${name}`, problem: `@parley/${name} exports no createConnector`, fix: "update the package" },
    ]);
  }
  return {
    createConnector: mod.createConnector as ConnectorFactory,
    ...(typeof mod.diagnose === "function" && { diagnose: mod.diagnose as DiagnoseFunction }),
  };
};
