/**
 * The Discord bridge of an in-process bench (gateway-burst, xmpp-to-discord):
 * the config from benchBridgeConfigText with the fake Discord's token and
 * URLs, SQLite in a temporary directory, and a start that makes a new
 * connector and engine each time (a bench may stop the bridge and start it
 * again); `cleanup` stops whichever runs at the end.
 */
import { Bridge, type Logger, loadConfig } from "@parley/bridge";
import { type BenchBridgeSetting, benchBridgeConfigIn } from "@parley/testkit";
import { DiscordConnector, parseDiscordOptions } from "../src/index.ts";

export interface DiscordBenchBridge {
  /** The running bridge, if any. */
  readonly bridge: Bridge | undefined;
  readonly connector: DiscordConnector | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The fake Discord process's answer to `{ op: "setup", channels }` (fake-discord-process.ts). */
export interface FakeDiscordSetup {
  readonly token: string;
  readonly restUrl: string;
  readonly cdnUrl: string;
  readonly channels: string[];
}

export function discordBenchBridge(
  o: BenchBridgeSetting & {
    readonly discord: FakeDiscordSetup;
    readonly logger: Logger;
  },
): DiscordBenchBridge {
  const { token, restUrl, cdnUrl } = o.discord;
  const text = benchBridgeConfigIn(o, "discord", { token, apiUrl: restUrl, cdnUrl });
  const config = loadConfig({ text }, { env: {} });
  const b: { bridge: Bridge | undefined; connector: DiscordConnector | undefined } & DiscordBenchBridge = {
    bridge: undefined,
    connector: undefined,
    async start() {
      const connector = new DiscordConnector(parseDiscordOptions(config.connectors.discord), {
        logger: o.logger,
        allowPrivateAddresses: true,
      });
      b.connector = connector;
      b.bridge = await Bridge.start({ config, connector, logger: o.logger });
    },
    async stop() {
      await b.bridge?.stop();
      b.bridge = undefined;
    },
  };
  o.cleanup.defer(() => b.bridge?.stop());
  return b;
}
