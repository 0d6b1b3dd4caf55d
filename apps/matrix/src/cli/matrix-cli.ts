/**
 * What `parley-matrix` does. `register` writes the application-service
 * registration for the homeserver from parley.yaml and prints the line that
 * makes Synapse load it; anything else runs the bridge exactly as `parley`
 * does (`parley-matrix --config parley.yaml`, or `parley-matrix run --config …`).
 */
import { chmodSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type BridgeConfig, loadConfig, runCli } from "@parley/bridge";
import { parseMatrixOptions } from "../config.ts";
import { buildRegistration, homeserverConfigLine, registrationYaml } from "../registration.ts";

const USAGE = `usage: parley-matrix register --config <parley.yaml> [--out <registration.yaml>]
       parley-matrix [run] --config <parley.yaml> [--check] [--print-config]

  register   write the application-service registration (default registration.yaml)
             and print the line to add to Synapse's homeserver.yaml
  run        run the bridge (the same as \`parley\`)
`;

function register(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  let args: { config?: string; out?: string; help?: boolean };
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        config: { type: "string", short: "c" },
        out: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    err.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out.write(USAGE);
    return 0;
  }
  if (args.config === undefined) {
    err.write(`register needs --config\n${USAGE}`);
    return 2;
  }
  let config: BridgeConfig;
  let options: ReturnType<typeof parseMatrixOptions>;
  try {
    config = loadConfig({ path: args.config });
    options = parseMatrixOptions(config.connectors.matrix);
  } catch (e) {
    err.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (options.publicUrl === undefined && options.listen.port === 0) {
    err.write(
      "config field `connectors.matrix.publicUrl`: listen.port is 0, so the homeserver cannot be told where the bridge listens; set listen.port or publicUrl\n",
    );
    return 2;
  }
  const file = resolve(args.out ?? "registration.yaml");
  try {
    writeFileSync(file, registrationYaml(buildRegistration(options)), { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch (e) {
    err.write(`could not write ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  err.write(`wrote the registration to ${file}; add this line to Synapse's homeserver.yaml and restart it:\n`);
  out.write(`${homeserverConfigLine(file)}\n`);
  return 0;
}

/** Runs `parley-matrix`; resolves with the exit code (the bridge runs until a signal). */
export async function runMatrixCli(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "register") return register(rest, out, err);
  if (first === "run") return runCli(rest, err);
  if (first === "help" || first === "--help" || first === "-h" || first === undefined) {
    out.write(USAGE);
    return first === undefined ? 2 : 0;
  }
  return runCli(argv, err);
}
