/**
 * `parley doctor`: checks the live systems a configuration names and says
 * how to fix each failure. Exit code 0 when every check passed (warnings
 * included), 1 when one failed, 2 when the configuration itself is wrong
 * (as `parley --check` says).
 */
import { parseArgs } from "node:util";
import { type BridgeConfig, ConfigError, loadConfig, secretsOf } from "../config/index.ts";
import { scrubSecrets } from "../config/secrets.ts";
import type { Connector } from "../connector/connector.ts";
import { type LoadConnectorModule, loadConnectorModule } from "../doctor/connector-module.ts";
import { runDoctorChecks } from "../doctor/doctor.ts";
import { DoctorReport } from "../doctor/doctor-report.ts";
import { createLogger } from "../ops/logger.ts";
import type { BridgeStore } from "../store/index.ts";
import type { CliStreams } from "./run-cli.ts";

const USAGE = `usage: parley doctor --config <file>

Checks what the configuration names, live, and prints one line per check
(ok, FAIL or warn), each failure with its fix:
  - the store, and the links in the config and in the store;
  - the XMPP component handshake (host, port, domain, secret);
  - the MUC services, and in each linked room: that it exists or may be
    created, its archive (XEP-0313), moderation (XEP-0425) and the component's
    affiliation (read by joining as the bridge's relay and leaving at once;
    a room that does not exist is created to see, then destroyed);
  - the network's own checks (Discord: token, intents, channel permissions;
    Matrix: homeserver, registration, bot user).
Run it with the bridge stopped: the XMPP checks connect as the bridge's
component. Exit code: 0 all passed, 1 a check failed, 2 the configuration is wrong.

  --config, -c   the YAML configuration
`;

/** What tests may swap: where connector packages and the store come from. */
export interface DoctorDependencies {
  readonly loadModule?: LoadConnectorModule;
  readonly openStore?: (url: string) => Promise<BridgeStore>;
}

/** Resolves with the exit code. */
export async function runDoctor(
  argv: readonly string[],
  streams: CliStreams,
  dependencies: DoctorDependencies = {},
): Promise<number> {
  let path: string | undefined;
  try {
    const args = parseArgs({
      args: [...argv],
      options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
    });
    if (args.values.help) {
      streams.stdout.write(USAGE);
      return 0;
    }
    path = args.values.config;
  } catch (e) {
    streams.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (path === undefined) {
    streams.stderr.write(USAGE);
    return 2;
  }

  let config: BridgeConfig;
  try {
    config = loadConfig({ path });
  } catch (e) {
    streams.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const names = Object.keys(config.connectors ?? {});
  if (names.length !== 1) {
    streams.stderr.write(
      `config field \`connectors\`: ${names.length === 0 ? "no connector is configured" : `${names.length} connectors are configured`}; a bridge process runs exactly one connector on its own component domain: run one process per network\n`,
    );
    return 2;
  }
  const name = names[0] as string;
  const secrets = secretsOf(config);
  const logger = createLogger({ level: "warn", secrets, write: (line) => streams.stderr.write(`${line}\n`) });
  const load = dependencies.loadModule ?? loadConnectorModule;
  let module: Awaited<ReturnType<LoadConnectorModule>>;
  let connector: Connector;
  try {
    module = await load(name, config.connectorPackages[name]);
    connector = await module.createConnector(config.connectors[name], { logger, config });
  } catch (e) {
    if (e instanceof ConfigError) {
      streams.stderr.write(`${e.message}\n`);
      return 2;
    }
    const why = scrubSecrets(e instanceof Error ? e.message : String(e), secrets);
    streams.stderr.write(`the ${name} connector could not be built: ${why}\n`);
    return 1;
  }

  const report = new DoctorReport(streams.stdout, secrets);
  report.note(`parley doctor: ${path}, ${connector.displayName} bridge as ${config.xmpp.domain}\n`);
  await runDoctorChecks({
    config,
    name,
    module,
    connector,
    report,
    logger,
    ...(dependencies.openStore !== undefined && { openStore: dependencies.openStore }),
  });
  report.finish();
  return report.failures > 0 ? 1 : 0;
}
