/**
 * The `parley` command. `parley [run] --config <file>` loads one config file,
 * starts the connector it names, runs until SIGTERM/SIGINT, then shuts down
 * gracefully (the delivery queue is flushed before the process exits);
 * `parley init` writes a configuration, `parley doctor` checks the live
 * systems one names, `parley --version` says which release this is.
 * Connectors are found by name: `reference` is built in; any other name `x`
 * is loaded from the package `connectors.x.package` names (by default
 * `@parley/x`), which exports `createConnector(options, context)`.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type BridgeConfig, ConfigError, loadConfig, redactedConfig, secretsOf } from "../config/index.ts";
import type { Connector } from "../connector/connector.ts";
import { loadConnectorModule } from "../doctor/connector-module.ts";
import { Bridge } from "../engine/bridge.ts";
import { createLogger } from "../ops/logger.ts";
import type { Logger } from "../ops/logger-types.ts";

/** What a connector package exports for the CLI. */
export type ConnectorFactory = (
  options: unknown,
  context: { logger: Logger; config: BridgeConfig },
) => Connector | Promise<Connector>;

const USAGE = `usage: parley [run] --config <file> [--check] [--print-config]
       parley init [options]      write parley.yaml and the XMPP server's settings (parley init --help)
       parley doctor --config <file>   check the XMPP server, the rooms and the network (parley doctor --help)
       parley --version

  --config, -c      the YAML configuration (see examples/parley.example.yaml)
  --check           validate the configuration and exit
  --print-config    print the configuration with secrets redacted and exit
`;

/** Where a subcommand reads and writes: the process's own streams unless a test gives others. */
export interface CliStreams {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** This package's version, from its package.json (the same relative place from src/cli and dist/cli). */
export function parleyVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

async function connectorFor(name: string, config: BridgeConfig, logger: Logger): Promise<Connector> {
  const { createConnector } = await loadConnectorModule(name, config.connectorPackages[name]);
  return createConnector(config.connectors[name], { logger, config });
}

/**
 * Runs the CLI; resolves with the process exit code (the bridge keeps running
 * until a signal when it starts). `out` takes the bridge's own messages
 * (usage, config errors); `streams` is what `init` and `doctor` talk through.
 */
export async function runCli(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stderr,
  streams: CliStreams = { stdin: process.stdin, stdout: process.stdout, stderr: out },
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v" || first === "version") {
    streams.stdout.write(`parley ${parleyVersion()}\n`);
    return 0;
  }
  if (first === "init") return (await import("./init-command.ts")).runInit(rest, streams);
  if (first === "doctor") return (await import("./doctor-command.ts")).runDoctor(rest, streams);
  return runBridge(first === "run" ? rest : argv, out);
}

async function runBridge(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  let args: ReturnType<
    typeof parseArgs<{
      options: {
        config: { type: "string"; short: "c" };
        check: { type: "boolean" };
        "print-config": { type: "boolean" };
        help: { type: "boolean"; short: "h" };
      };
    }>
  >;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        config: { type: "string", short: "c" },
        check: { type: "boolean" },
        "print-config": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    out.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (args.values.help || args.values.config === undefined) {
    out.write(USAGE);
    return args.values.help ? 0 : 2;
  }
  let config: BridgeConfig;
  try {
    config = loadConfig({ path: args.values.config });
  } catch (e) {
    out.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (args.values["print-config"]) {
    process.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    return 0;
  }
  const names = Object.keys(config.connectors ?? {});
  if (names.length !== 1) {
    out.write(
      `config field \`connectors\`: ${names.length === 0 ? "no connector is configured" : `${names.length} connectors are configured`}; a bridge process runs exactly one connector on its own component domain: run one process per network\n`,
    );
    return 2;
  }
  const logger = createLogger({ level: config.log.level, secrets: secretsOf(config) });
  const name = names[0] as string;
  // The connector is built (not started) before --check answers: its own section is validated too.
  let connector: Connector;
  try {
    connector = await connectorFor(name, config, logger);
  } catch (e) {
    if (!(e instanceof ConfigError)) {
      logger.error("the bridge could not start", { error: e instanceof Error ? e.message : String(e) });
      return 1;
    }
    out.write(`${e.message}\n`);
    return 2;
  }
  if (args.values.check) {
    out.write("configuration OK\n");
    return 0;
  }
  let bridge: Bridge;
  try {
    bridge = await Bridge.start({ config, connector, logger });
  } catch (e) {
    logger.error("the bridge could not start", { error: e instanceof Error ? e.message : String(e) });
    return 1;
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info("shutting down", { signal });
      bridge.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
