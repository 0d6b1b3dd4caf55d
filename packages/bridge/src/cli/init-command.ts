/**
 * `parley init`: writes parley.yaml with a generated component secret, the
 * XMPP server's snippet (from @parley/xmpp-setup) and what each network's
 * connector needs (e.g. Matrix's registration with generated tokens), then
 * prints the steps left. Answers come from flags; at a terminal, what the
 * flags leave out is asked. Nothing is written unless every file checks out
 * (parley.yaml as `parley --check` checks it) and none exists already.
 */
import { resolve } from "node:path";
import { ConfigError } from "../config/index.ts";
import {
  answer,
  type BridgeAnswers,
  COMMON_QUESTIONS,
  componentDomainQuestion,
  type InitAnswers,
  mucDomainQuestion,
  requiredMissing,
  type ServerKind,
  splitList,
} from "./init-answers.ts";
import { type ConnectorInit, type InitBasics, InitUsageError, loadConnectorInit } from "./init-connector.ts";
import { checkParleyYaml, configNameOf, type PlannedBridge, planFiles } from "./init-files.ts";
import { type InitFlags, readInitFlags, refuseUnknownFlags, singleValue } from "./init-flags.ts";
import { nextSteps } from "./init-next-steps.ts";
import { PromptClosedError, Prompter } from "./init-prompt.ts";
import { newSecret } from "./init-secrets.ts";
import { FilesExistError, writeInitFiles } from "./init-write.ts";
import type { CliStreams } from "./run-cli.ts";

export const INIT_USAGE = `usage: parley init [--server prosody|ejabberd] [--domain <domain>] [--network <name>[,<name>]]
                   [--muc-domain <domain>] [--component-domain <domain>] [--component-port <port>]
                   [--admin <jid>] [--dir <folder>] [--force] [network flags]

Writes parley.yaml (one <network>.yaml each for several networks) with a generated
component secret, the XMPP server's settings (prosody-parley.cfg.lua or
ejabberd-parley.yml) and what the network needs, then says what is left to do.
At a terminal, what the flags leave out is asked.

  --server            the XMPP server: prosody or ejabberd
  --domain            the XMPP server's domain, e.g. example.org
  --network           discord, matrix (several: --network discord,matrix)
  --muc-domain        the MUC service the rooms live on (default conference.<domain>)
  --component-domain  the bridge's component domain (default <network>.<domain>; one network only)
  --component-port    the port the server accepts components on (default 5347)
  --admin             your XMPP address, for the bridge's admin commands
  --dir               where to write the files (default: this folder)
  --force             overwrite files that exist
`;

/** The networks whose flags --help lists when no --network is given. */
const KNOWN_NETWORKS = ["discord", "matrix"];

/** Each network's own flags, from its package's questions (networks not installed are left out). */
async function networkFlagsHelp(
  networks: readonly string[],
  load: (network: string) => Promise<ConnectorInit>,
): Promise<string> {
  const sections: Array<{ network: string; rows: Array<[string, string]> }> = [];
  for (const network of networks) {
    // A network whose package is not installed has no flags to show; `init --network` itself says why it cannot load.
    const init = await load(network).catch(() => undefined);
    if (!init || init.questions.length === 0) continue;
    sections.push({ network, rows: init.questions.map((q) => [`--${q.flag} <${q.example}>`, q.prompt]) });
  }
  const width = Math.max(0, ...sections.flatMap((s) => s.rows.map(([flag]) => flag.length)));
  const lines = sections.flatMap((s) => [
    "",
    `${s.network}:`,
    ...s.rows.map(([flag, what]) => `  ${flag.padEnd(width)}  ${what}`),
  ]);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

const COMMON_FLAGS = [
  "server",
  "domain",
  "network",
  "muc-domain",
  "component-domain",
  "component-port",
  "admin",
  "dir",
];

function isTerminal(stream: NodeJS.ReadableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export interface InitOptions {
  /** Where a network's ConnectorInit comes from; default its package (tests give their own). */
  readonly loadConnectorInit?: (network: string) => Promise<ConnectorInit>;
}

/** Asks (or reads) everything; the connectors are loaded as soon as the networks are known. */
async function gatherAnswers(
  flags: InitFlags,
  prompter: Prompter | undefined,
  load: (network: string) => Promise<ConnectorInit>,
): Promise<InitAnswers> {
  const how = { flags, ...(prompter && { prompter }) };
  const start: InitBasics = { network: "", domain: "", componentDomain: "", mucDomain: "" };
  const server = (await answer(COMMON_QUESTIONS.server, start, how)) as ServerKind;
  const domain = (await answer(COMMON_QUESTIONS.domain, start, how)).toLowerCase();
  const networks = splitList(await answer(COMMON_QUESTIONS.network, start, how));
  const withDomain = { ...start, domain };
  const mucDomain = (await answer(mucDomainQuestion(domain), withDomain, how)).toLowerCase();
  const componentPort = Number(await answer(COMMON_QUESTIONS.componentPort, withDomain, how));
  const admin = await answer(COMMON_QUESTIONS.admin, withDomain, how);

  const inits = await Promise.all(networks.map((n) => load(n)));
  const known = new Set([...COMMON_FLAGS, ...inits.flatMap((i) => i.questions.map((q) => q.flag))]);
  refuseUnknownFlags(flags, known);
  if (networks.length > 1 && flags.values.has("component-domain")) {
    throw new InitUsageError(
      "--component-domain",
      "names one bridge's domain, and several networks are set up",
      "leave it out (each bridge gets <network>.<domain>), or run parley init once per network",
    );
  }

  const bridges: BridgeAnswers[] = [];
  const taken = new Set([domain, mucDomain]);
  for (const [i, network] of networks.entries()) {
    const basics = { network, domain, mucDomain, componentDomain: "" };
    // With several networks, --component-domain could name any of them: each gets its default, or is asked.
    const question = componentDomainQuestion(network, taken);
    const componentDomain = (await answer(question, basics, how, networks.length === 1)).toLowerCase();
    taken.add(componentDomain);
    const init = inits[i] as (typeof inits)[number];
    const answers: Record<string, string> = {};
    for (const q of init.questions) {
      if (q.when && !q.when(answers)) {
        if (flags.values.has(q.flag)) {
          throw new InitUsageError(
            `--${q.flag}`,
            "goes unused with the other answers given",
            "leave it out, or give the answer it goes with (parley init --help)",
          );
        }
        continue;
      }
      answers[q.name] = await answer(q, { ...basics, componentDomain }, how);
    }
    bridges.push({ network, componentDomain, answers, init });
  }
  return { server, domain, mucDomain, componentPort, admin, bridges };
}

/** Each bridge's secret and connector result, checked as `parley --check` would. */
function planBridges(answers: InitAnswers, dir: string): PlannedBridge[] {
  const planned: PlannedBridge[] = [];
  for (const b of answers.bridges) {
    const result = b.init.build({
      network: b.network,
      domain: answers.domain,
      componentDomain: b.componentDomain,
      mucDomain: answers.mucDomain,
      answers: b.answers,
      newSecret,
      pathOf: (name) => resolve(dir, name),
    });
    planned.push({
      network: b.network,
      componentDomain: b.componentDomain,
      configName: configNameOf(b.network, answers.bridges.length),
      secret: newSecret(),
      result,
    });
  }
  return planned;
}

/** Resolves with the exit code: 0 written, 2 a usage problem (named), 1 anything else. */
export async function runInit(
  argv: readonly string[],
  streams: CliStreams,
  options: InitOptions = {},
): Promise<number> {
  let prompter: Prompter | undefined;
  try {
    const flags = readInitFlags(argv);
    const load = options.loadConnectorInit ?? loadConnectorInit;
    if (flags.help) {
      const networks = (flags.values.get("network") ?? []).flatMap(splitList);
      streams.stdout.write(
        INIT_USAGE + (await networkFlagsHelp(networks.length > 0 ? networks : KNOWN_NETWORKS, load)),
      );
      return 0;
    }
    if (isTerminal(streams.stdin) && requiredMissing(flags)) prompter = new Prompter(streams.stdin, streams.stdout);
    const dir = resolve(singleValue(flags, "dir") ?? ".");
    const answers = await gatherAnswers(flags, prompter, load);
    prompter?.close();
    const bridges = planBridges(answers, dir);
    const files = planFiles(answers, bridges);
    for (const [i, b] of bridges.entries()) {
      const file = files[i];
      if (file)
        await checkParleyYaml(file.name, file.content, b.result, answers.bridges[i]?.init.createConnector, b.network);
    }
    const paths = await writeInitFiles(dir, files, flags.force);
    streams.stdout.write(nextSteps({ answers, bridges, files, paths, dir }));
    return 0;
  } catch (e) {
    prompter?.close();
    if (e instanceof InitUsageError || e instanceof FilesExistError || e instanceof PromptClosedError) {
      streams.stderr.write(`parley init: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      streams.stderr.write(
        `parley init made a configuration that does not check out (please report it):\n${e.message}\n`,
      );
      return 1;
    }
    streams.stderr.write(`parley init failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
