/**
 * What a connector package gives `parley init` (optional exports beside
 * `createConnector`): `initQuestions`, what to ask beyond the common answers,
 * and `initConnector`, which turns the answers into the package's
 * `connectors.<network>` section, the files it needs beside parley.yaml, and
 * the steps left to the operator. Found by name as the CLI finds connectors:
 * `reference` is built in, any other `x` is the package `@parley/x`.
 */
import { ConnectorPackageError, importConnectorPackage } from "./connector-package.ts";
import type { ConnectorFactory } from "./run-cli.ts";

/** One thing `parley init` asks: from its flag, or at the prompt. */
export interface InitQuestion {
  /** The key of the answer in `InitContext.answers`. */
  readonly name: string;
  /** The flag without its dashes (`matrix-homeserver-url`); connectors prefix it with their network. */
  readonly flag: string;
  /** What the prompt says, without the default. */
  readonly prompt: string;
  /** An example value, for the fix of a missing or bad flag. */
  readonly example: string;
  /** The value taken when the question is not answered; none: required (unless optional). */
  readonly default?: (context: InitBasics) => string;
  /** May be left empty. */
  readonly optional?: boolean;
  /** Asked only when this says so (e.g. a room only once a channel is given). */
  readonly when?: (answers: Readonly<Record<string, string>>) => boolean;
  /** What is wrong with a value (phrased to follow the flag: "is not an http(s) URL"), or undefined when it is good. */
  readonly check?: (value: string) => string | undefined;
}

/** The common answers every connector's questions and files may build on. */
export interface InitBasics {
  /** The network, e.g. `discord`. */
  readonly network: string;
  /** The XMPP server's domain, e.g. `example.org`. */
  readonly domain: string;
  /** This bridge's component domain, e.g. `discord.example.org`. */
  readonly componentDomain: string;
  /** The MUC service, e.g. `conference.example.org`. */
  readonly mucDomain: string;
}

export interface InitContext extends InitBasics {
  /** The answers to the connector's own questions, by name ("" for an optional one left empty). */
  readonly answers: Readonly<Record<string, string>>;
  /** A new random secret (hex), for tokens the connector must generate. */
  readonly newSecret: () => string;
  /** The absolute path a file named in `files` will have. */
  readonly pathOf: (fileName: string) => string;
}

export interface InitFile {
  /** A file name in the output folder (no directories). */
  readonly name: string;
  readonly content: string;
  /** Default 0o600: what init writes holds secrets more often than not. */
  readonly mode?: number;
  /** One line saying what it is, for the summary. */
  readonly what: string;
}

export interface ConnectorInitResult {
  /** The `connectors.<network>` section of parley.yaml. */
  readonly section: Record<string, unknown>;
  /** Links to write into parley.yaml (the channel in the network's terms, the room as a JID or bare name). */
  readonly links?: ReadonlyArray<{ readonly channel: string; readonly room: string }>;
  readonly files?: readonly InitFile[];
  /** Environment variables the section reads through `${NAME}`, and what to put in each. */
  readonly environment?: ReadonlyArray<{ readonly name: string; readonly what: string }>;
  /** What the operator does next on the network's side, one step a line. */
  readonly nextSteps?: readonly string[];
}

export type InitConnectorFunction = (context: InitContext) => ConnectorInitResult;

export interface ConnectorInit {
  readonly questions: readonly InitQuestion[];
  readonly build: InitConnectorFunction;
  /** The package's connector factory, to validate the section it built as `parley --check` does. */
  readonly createConnector?: ConnectorFactory;
}

/** A problem with the command line (or a connector package), naming the flag and the fix. */
export class InitUsageError extends Error {
  readonly flag: string;
  readonly fix: string;
  constructor(flag: string, problem: string, fix: string) {
    super(`${flag} ${problem}: ${fix}`);
    this.name = "InitUsageError";
    this.flag = flag;
    this.fix = fix;
  }
}

/** The built-in reference connector (an in-memory network): nothing to ask, an empty section. */
const referenceInit: ConnectorInit = {
  questions: [],
  build: () => ({ section: {} }),
};

/** The network names `parley init` can load a package for. */
export const NETWORK_NAME = /^[a-z][a-z0-9-]*$/;

export async function loadConnectorInit(network: string): Promise<ConnectorInit> {
  if (network === "reference") return referenceInit;
  let mod: Record<string, unknown>;
  try {
    mod = await importConnectorPackage(network);
  } catch (e) {
    if (!(e instanceof ConnectorPackageError)) throw e;
    throw new InitUsageError(
      "--network",
      `names ${network}, but ${e.message}`,
      e.missing
        ? `install it (npm install @parley/${network}), or choose discord or matrix`
        : `install it again (npm install @parley/${network}), or mend what the error names`,
    );
  }
  if (typeof mod.initConnector !== "function") {
    throw new InitUsageError(
      "--network",
      `names ${network}, but @parley/${network} has no initConnector for parley init`,
      `update @parley/${network}, or write its connectors.${network} section by hand`,
    );
  }
  const questions = Array.isArray(mod.initQuestions) ? (mod.initQuestions as InitQuestion[]) : [];
  return {
    questions,
    build: mod.initConnector as InitConnectorFunction,
    ...(typeof mod.createConnector === "function" && { createConnector: mod.createConnector as ConnectorFactory }),
  };
}
