/**
 * `parley init`'s command line: `--name value` or `--name=value`, a flag given
 * twice keeps both values (`--network discord --network matrix`), and only
 * `--force` and `--help` stand alone. Which flags exist depends on the
 * networks chosen (each connector brings its own), so the line is read
 * first and checked against the known flags once they are known.
 */
import { InitUsageError } from "./init-connector.ts";

const SWITCHES = new Set(["force", "help"]);

export interface InitFlags {
  /** Values by flag name (without dashes), in the order given. */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly force: boolean;
  readonly help: boolean;
}

export function readInitFlags(argv: readonly string[]): InitFlags {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      if (arg === "-h") {
        values.set("help", ["true"]);
        continue;
      }
      throw new InitUsageError(
        JSON.stringify(arg),
        "is not a flag",
        "give every answer as --name value (parley init --help lists them)",
      );
    }
    const name = match[1] as string;
    let value = match[2];
    if (SWITCHES.has(name)) {
      if (value !== undefined) throw new InitUsageError(`--${name}`, "takes no value", `write --${name} alone`);
      value = "true";
    } else if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new InitUsageError(`--${name}`, "has no value", `write --${name} <value>`);
      }
      value = next;
      i++;
    }
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  }
  return { values, force: values.has("force"), help: values.has("help") };
}

/** The one value of a flag; a flag that takes one value refuses a second. */
export function singleValue(flags: InitFlags, flag: string): string | undefined {
  const list = flags.values.get(flag);
  if (list === undefined) return undefined;
  if (list.length > 1) throw new InitUsageError(`--${flag}`, "is given more than once", `give --${flag} once`);
  return list[0];
}

/** Refuses flags that are not among the known ones, naming the first. */
export function refuseUnknownFlags(flags: InitFlags, known: ReadonlySet<string>): void {
  for (const flag of flags.values.keys()) {
    if (SWITCHES.has(flag) || known.has(flag)) continue;
    const near = [...known].find((k) => k.includes(flag) || flag.includes(k));
    throw new InitUsageError(
      `--${flag}`,
      "is not a flag of parley init (for the networks chosen)",
      near ? `did you mean --${near}? (parley init --help lists them)` : "parley init --help lists the flags",
    );
  }
}
