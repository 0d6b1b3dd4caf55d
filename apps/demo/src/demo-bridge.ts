/**
 * One bridge process of the demo: the YAML a self-hoster would write, loaded
 * through the same `loadConfig` as `parley --config`, and a logger that keeps
 * everything in a file and shows only warnings on the terminal.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { Bridge, type BridgeConfig, type Connector, createLogger, type Logger, loadConfig } from "@parley/bridge";
import type { XmppServer } from "@parley/testkit";

/** A `${NAME}` reference in the YAML, read from the environment `loadConfig` is given (how secrets stay out of files). */
export function envRef(name: string): string {
  return `\${${name}}`;
}

export interface DemoBridgeSpec {
  readonly server: XmppServer;
  readonly network: string;
  readonly domain: string;
  readonly secret: string;
  readonly dir: string;
  readonly channel: string;
  readonly room: string;
  /** The `connectors.<network>` section, as YAML lines (indented by four), with ${ENV} references. */
  readonly connectorYaml: string;
  /** Values of the ${ENV} references (secrets: never printed, scrubbed from logs). */
  readonly env: Readonly<Record<string, string>>;
  readonly makeConnector: (section: unknown, context: { logger: Logger; config: BridgeConfig }) => Connector;
  readonly say: (line: string) => void;
}

export async function startDemoBridge(s: DemoBridgeSpec): Promise<{ bridge: Bridge; logFile: string }> {
  const config = await loadConfig(
    {
      text: `
xmpp:
  host: ${s.server.host}
  port: ${s.server.componentPort}
  domain: ${s.domain}
  secret: \${COMPONENT_SECRET}
  mucDomain: ${s.server.mucDomain}
store:
  url: sqlite:${join(s.dir, `${s.network}.db`)}
http:
  host: 127.0.0.1
  port: 0
ops:
  host: 127.0.0.1
  port: 0
log:
  level: info
media:
  dir: ${join(s.dir, `${s.network}-media`)}
  allowPrivateAddresses: true
admins: ["demo@${s.server.domain}"]
links:
  - { network: ${s.network}, channel: "${s.channel}", room: "${s.room}" }
connectors:
  ${s.network}:
${s.connectorYaml}
`,
    },
    { env: { COMPONENT_SECRET: s.secret, ...s.env } },
  );
  const logFile = join(s.dir, `${s.network}-bridge.log`);
  const logger = createLogger({
    level: "info",
    secrets: [s.secret, ...Object.values(s.env)],
    write: (line) => {
      appendFileSync(logFile, `${line}\n`);
      if (line.includes('"level":"warn"') || line.includes('"level":"error"')) s.say(`[${s.network} bridge] ${line}`);
    },
  });
  const connector = s.makeConnector(config.connectors[s.network], { logger, config });
  const bridge = await Bridge.start({ config, connector, logger });
  return { bridge, logFile };
}
