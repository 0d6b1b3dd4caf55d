/**
 * The configuration of a bridge under test in a harness (loadConfig's YAML):
 * the component on the test's XMPP server, its secret read from `SECRET` in
 * loadConfig's env, SQLite and media in the test's directory, HTTP and ops
 * on free loopback ports, `admin` as the bridge's admin, the links, and
 * `connector` as the connector's settings under `network`. And the delivery
 * retries a harness gives its bridge: quick, so a test that makes a post
 * fail sees the retries within its timeouts.
 */
import { join } from "node:path";
import type { XmppServer } from "./server.ts";

export function harnessConfigText(o: {
  readonly server: Pick<XmppServer, "host" | "componentPort">;
  /** The bridge's component domain. */
  readonly domain: string;
  /** The admin's bare JID. */
  readonly admin: string;
  readonly dir: string;
  readonly network: string;
  readonly links: ReadonlyArray<{ readonly channel: string; readonly room: string }>;
  readonly connector: Readonly<Record<string, unknown>>;
}): string {
  return `
xmpp:
  host: ${o.server.host}
  port: ${o.server.componentPort}
  domain: ${o.domain}
  secret: \${SECRET}
store: { url: "sqlite:${join(o.dir, "parley.db")}" }
http: { host: 127.0.0.1, port: 0 }
ops: { host: 127.0.0.1, port: 0 }
log: { level: warn }
admins: ["${o.admin}"]
media: { dir: "${join(o.dir, "media")}", allowPrivateAddresses: true }
links:
${o.links.map((l) => `  - { network: ${o.network}, channel: "${l.channel}", room: "${l.room}" }`).join("\n")}
connectors:
  ${o.network}: ${JSON.stringify(o.connector)}
`;
}

/** Bridge.start's `delivery` in a harness. */
export const HARNESS_DELIVERY = { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 500 } as const;
