/**
 * The files `parley init` writes, made from the answers: each bridge's
 * parley.yaml (checked with loadConfig and the connector's own validation
 * before anything is written, as `parley --check` would), the server's
 * snippet from @parley/xmpp-setup with every bridge's component, and what
 * the connectors add (e.g. Matrix's registration).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the hints show users the literal ${NAME} syntax of the config file
import { join } from "node:path";
import { EJABBERD_FILE_NAME, ejabberdConfig, PROSODY_FILE_NAME, prosodyConfig } from "@parley/xmpp-setup";
import { stringify } from "yaml";
import { type BridgeConfig, loadConfig } from "../config/index.ts";
import { silentLogger } from "../ops/logger-types.ts";
import type { InitAnswers } from "./init-answers.ts";
import type { ConnectorInitResult, InitFile } from "./init-connector.ts";
import type { ConnectorFactory } from "./run-cli.ts";

/** One bridge as written: its config file, its secret, and what its connector said. */
export interface PlannedBridge {
  readonly network: string;
  readonly componentDomain: string;
  readonly configName: string;
  readonly secret: string;
  readonly result: ConnectorInitResult;
}

export interface InitPlan {
  readonly bridges: readonly PlannedBridge[];
  readonly snippetName: string;
  readonly files: readonly InitFile[];
}

/** Where a bridge's config goes: parley.yaml for one network, <network>.yaml for each of several. */
export function configNameOf(network: string, networks: number): string {
  return networks === 1 ? "parley.yaml" : `${network}.yaml`;
}

export function snippetNameOf(server: InitAnswers["server"]): string {
  return server === "prosody" ? PROSODY_FILE_NAME : EJABBERD_FILE_NAME;
}

/** A block of YAML lines for `value` under `key`, indented by two spaces per level. */
function yamlBlock(key: string, value: unknown): string {
  return stringify({ [key]: value }, { lineWidth: 0 }).trimEnd();
}

interface ParleyYamlInput {
  readonly answers: InitAnswers;
  readonly bridge: PlannedBridge;
  /** Which bridge of this run (0-based): spreads the listener ports of bridges sharing a machine. */
  readonly index: number;
  readonly several: boolean;
  readonly snippetName: string;
}

export function parleyYaml({ answers, bridge, index, several, snippetName }: ParleyYamlInput): string {
  const { network, result } = bridge;
  const links = (result.links ?? []).map((l) => ({ network, channel: l.channel, room: l.room }));
  const lines = [
    `# The Parley bridge for ${network}, written by \`parley init\`. It holds the component`,
    "# secret: keep it readable by the bridge's user only. Every setting is described in",
    "# examples/parley.example.yaml of @parley/bridge. Check it with",
    `#   parley doctor --config ${bridge.configName}`,
    "",
    "xmpp:",
    "  # Where the XMPP server accepts components, and this bridge's own component.",
    "  host: 127.0.0.1",
    `  port: ${answers.componentPort}`,
    `  domain: ${bridge.componentDomain}`,
    `  # The same secret is in ${snippetName}.`,
    `  secret: ${JSON.stringify(bridge.secret)}`,
    `  mucDomain: ${answers.mucDomain}`,
    "",
    "store:",
    `  url: sqlite:${network}.db`,
    "",
    "http:",
    "  # The media endpoint remote networks fetch files from (put your reverse proxy in front).",
    "  host: 127.0.0.1",
    `  port: ${8787 + 2 * index}`,
    "",
    "ops:",
    "  # Health (/healthz, /readyz) and metrics (/metrics), for this machine only.",
    "  host: 127.0.0.1",
    `  port: ${8788 + 2 * index}`,
    "",
  ];
  if (several) lines.push("media:", `  dir: ./${network}-media`, "");
  lines.push(answers.admin === "" ? "admins: []" : yamlBlock("admins", [answers.admin]), "");
  lines.push(links.length === 0 ? "links: []" : yamlBlock("links", links));
  lines.push(
    "# Link a channel to a room like this (a bare room name is on xmpp.mucDomain; quote",
    "# channel ids: long unquoted numbers lose digits in YAML):",
    `#   - { network: ${network}, channel: "1234567890", room: lobby }`,
    "",
    yamlBlock("connectors", { [network]: result.section }),
  );
  return `${lines.join("\n")}\n`;
}

/** The environment `loadConfig` checks a written file against: the real one, with the variables still to set filled in. */
function environmentFor(result: ConnectorInitResult): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of result.environment ?? []) env[v.name] ??= "set-when-the-bridge-runs";
  return env;
}

/**
 * Checks a bridge's file as `parley --check` does. A failure here is init's
 * own mistake (or a connector's), never the operator's: it is thrown as is.
 */
export async function checkParleyYaml(
  name: string,
  text: string,
  result: ConnectorInitResult,
  createConnector: ConnectorFactory | undefined,
  network: string,
): Promise<BridgeConfig> {
  const config = loadConfig({ path: name, text }, { env: environmentFor(result) });
  if (createConnector) await createConnector(config.connectors[network], { logger: silentLogger, config });
  return config;
}

/** The server's snippet for every bridge of this run. */
export function serverSnippet(answers: InitAnswers, bridges: readonly PlannedBridge[]): string {
  const setup = {
    domain: answers.domain,
    mucDomain: answers.mucDomain,
    componentPort: answers.componentPort,
    components: bridges.map((b) => ({ domain: b.componentDomain, secret: b.secret })),
  };
  return answers.server === "prosody" ? prosodyConfig(setup) : ejabberdConfig(setup);
}

/** Every file of the plan, with what it is for the summary. */
export function planFiles(answers: InitAnswers, bridges: readonly PlannedBridge[]): InitFile[] {
  const several = bridges.length > 1;
  const snippetName = snippetNameOf(answers.server);
  const files: InitFile[] = bridges.map((bridge, index) => ({
    name: bridge.configName,
    content: parleyYaml({ answers, bridge, index, several, snippetName }),
    what: `the ${bridge.network} bridge's configuration`,
  }));
  files.push({
    name: snippetName,
    content: serverSnippet(answers, bridges),
    what: `what ${answers.server === "prosody" ? "Prosody" : "ejabberd"} needs for the bridge${several ? "s" : ""}`,
  });
  for (const b of bridges) files.push(...(b.result.files ?? []));
  return files;
}

/** File names must stay in the output folder. */
export function checkFileName(name: string, dir: string): string {
  if (name === "" || name.includes("/") || name.includes("\\") || name === "." || name === "..") {
    throw new Error(`a connector asked to write ${JSON.stringify(name)}, which is not a plain file name`);
  }
  return join(dir, name);
}
