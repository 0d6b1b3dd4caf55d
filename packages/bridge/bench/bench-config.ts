/**
 * The bridge configuration the benchmark runs with, written as the YAML an
 * operator would write and read through `loadConfig`, so the engine is
 * measured as it is deployed: SQLite file store, HTTP endpoint, log level.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { type BridgeConfig, loadConfig } from "../src/config/index.ts";

export interface BenchBridgeSetup {
  readonly host: string;
  readonly port: number;
  readonly domain: string;
  readonly secret: string;
  /** A directory of the bench's own: the store and media go there. */
  readonly dir: string;
  /** Remote channel -> room, for the reference network. */
  readonly links: ReadonlyArray<{ readonly channel: string; readonly room: string }>;
}

export function benchBridgeConfig(s: BenchBridgeSetup): BridgeConfig {
  const text = stringify({
    // The secret goes in as an environment reference, the way operators keep it out of the file.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${SECRET}` is loadConfig's syntax, not a JS template
    xmpp: { host: s.host, port: s.port, domain: s.domain, secret: "${SECRET}" },
    store: { url: `sqlite:${join(s.dir, "parley.db")}` },
    http: { host: "127.0.0.1", port: 0 },
    ops: { host: "127.0.0.1", port: 0 },
    log: { level: "warn" },
    media: { dir: join(s.dir, "media") },
    links: s.links.map((l) => ({ network: "reference", channel: l.channel, room: l.room })),
    connectors: { reference: {} },
  });
  return loadConfig({ text }, { env: { SECRET: s.secret } });
}
