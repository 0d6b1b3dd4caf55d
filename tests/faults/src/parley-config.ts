/**
 * The parley.yaml a scenario runs the bridge with: what an operator writes,
 * a persistent SQLite store in the scenario's directory, ops and media on
 * free ports, and every delivery and catch-up setting left at its default
 * (the suite holds the defaults to the target). Secrets are
 * `${NAME}`s read from the environment the process is started with.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface XmppPart {
  readonly host: string;
  readonly componentPort: number;
  readonly componentDomain: string;
  readonly admin: string;
}

export function writeParleyConfig(o: {
  dir: string;
  xmpp: XmppPart;
  link: { network: "discord" | "slack" | "matrix"; channel: string; room: string };
  /** The connector's section, already indented lines under `connectors.<network>:`. */
  connector: readonly string[];
}): string {
  const file = join(o.dir, "parley.yaml");
  const lines = [
    "xmpp:",
    `  host: ${o.xmpp.host}`,
    `  port: ${o.xmpp.componentPort}`,
    `  domain: ${o.xmpp.componentDomain}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
    "  secret: ${PARLEY_COMPONENT_SECRET}",
    "store:",
    `  url: sqlite:${join(o.dir, "parley.db")}`,
    "http: { host: 127.0.0.1, port: 0 }",
    "ops: { host: 127.0.0.1, port: 0 }",
    "log: { level: info }",
    `media: { dir: ${join(o.dir, "media")}, allowPrivateAddresses: true }`,
    `admins: ["${o.xmpp.admin}"]`,
    "links:",
    `  - { network: ${o.link.network}, channel: "${o.link.channel}", room: "${o.link.room}" }`,
    "connectors:",
    `  ${o.link.network}:`,
    ...o.connector.map((l) => `    ${l}`),
    "",
  ];
  writeFileSync(file, lines.join("\n"));
  return file;
}
