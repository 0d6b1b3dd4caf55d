/**
 * The Discord bridge of an in-process bench (gateway-burst, xmpp-to-discord):
 * the config from benchBridgeConfigText with the fake Discord's token and
 * URLs, SQLite in a temporary directory. Each start makes a new connector and
 * engine on the same directory (a bench may stop the bridge and start it
 * again); `cleanup` stops whichever runs at the end.
 */
import { Bridge, type Logger, loadConfig } from "@parley/bridge";
import { type BenchBridgeSetting, benchBridgeConfigIn, type Restartable, restartable } from "@parley/testkit";
import { DiscordConnector, parseDiscordOptions } from "../src/index.ts";

/** The fake Discord process's answer to `{ op: "setup", channels }` (fake-discord-process.ts). */
export interface FakeDiscordSetup {
  readonly token: string;
  readonly restUrl: string;
  readonly cdnUrl: string;
  readonly channels: string[];
}

export interface DiscordBenchRun {
  readonly bridge: Bridge;
  readonly connector: DiscordConnector;
  stop(): Promise<void>;
}

export function discordBenchBridge(
  o: BenchBridgeSetting & { readonly discord: FakeDiscordSetup; readonly logger: Logger },
): Restartable<DiscordBenchRun> {
  const { token, restUrl, cdnUrl } = o.discord;
  const text = benchBridgeConfigIn(o, "discord", { token, apiUrl: restUrl, cdnUrl });
  const config = loadConfig({ text }, { env: {} });
  return restartable(o.cleanup, async () => {
    const connector = new DiscordConnector(parseDiscordOptions(config.connectors.discord), {
      logger: o.logger,
      allowPrivateAddresses: true,
    });
    const bridge = await Bridge.start({ config, connector, logger: o.logger });
    return { bridge, connector, stop: () => bridge.stop() };
  });
}
