/**
 * The Slack bridge of an in-process bench (socket-burst, xmpp-to-slack): the
 * config from benchBridgeConfigText with the fake Slack's tokens, presence
 * polling off (it is not what is measured, and it would spend
 * users.getPresence's limit), the connector and the engine on SQLite in a
 * temporary directory. Each start makes a new connector and engine on the
 * same directory (a bench may stop the bridge and start it again);
 * `cleanup` stops whichever runs at the end.
 */
import { Bridge, type Logger, loadConfig } from "@parley/bridge";
import { type BenchBridgeSetting, benchBridgeConfigIn, type Restartable, restartable } from "@parley/testkit";
import { parseSlackOptions, SlackConnector } from "../src/index.ts";

/** The fake Slack process's answer to `{ op: "setup", channels }` (fake-slack-process.ts). */
export interface FakeSlackSetup {
  readonly botToken: string;
  readonly appToken: string;
  readonly apiUrl: string;
  readonly channels: string[];
}

export interface SlackBenchRun {
  readonly bridge: Bridge;
  readonly connector: SlackConnector;
  stop(): Promise<void>;
}

export function slackBenchBridge(
  o: BenchBridgeSetting & { readonly slack: FakeSlackSetup; readonly logger: Logger },
): Restartable<SlackBenchRun> {
  const { botToken, appToken, apiUrl } = o.slack;
  const text = benchBridgeConfigIn(o, "slack", { botToken, appToken, apiUrl, presence: false });
  const config = loadConfig({ text }, { env: {} });
  return restartable(o.cleanup, async () => {
    const connector = new SlackConnector(parseSlackOptions(config.connectors.slack), {
      logger: o.logger,
      allowPrivateAddresses: true,
    });
    const bridge = await Bridge.start({ config, connector, logger: o.logger });
    return { bridge, connector, stop: () => bridge.stop() };
  });
}
