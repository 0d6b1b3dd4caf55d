/**
 * @parley/slack: Slack channels as XMPP MUC rooms, on @slack/bolt and the
 * @parley/bridge engine. The bridge CLI loads this package for a
 * `connectors.slack` section and calls `createConnector` with it.
 */
import type { BridgeConfig, Connector, Logger } from "@parley/bridge";
import { parseSlackOptions } from "./config.ts";
import { SlackConnector } from "./slack-connector.ts";

export { parseSlackOptions, type SlackOptions, slackOptionsSchema } from "./config.ts";
export { diagnose } from "./doctor.ts";
export * from "./format/index.ts";
export { initConnector, initQuestions } from "./init-connector.ts";
export { APP_TOKEN_SCOPE, BOT_EVENTS, BOT_SCOPES } from "./slack-app.ts";
export { SlackConnector, type SlackConnectorContext, webClientOptions } from "./slack-connector.ts";

/** The factory the bridge CLI calls; throws a ConfigError naming `connectors.slack.<field>` for bad options. */
export function createConnector(options: unknown, context: { logger: Logger; config?: BridgeConfig }): Connector {
  return new SlackConnector(parseSlackOptions(options), {
    logger: context.logger,
    allowPrivateAddresses: context.config?.media.allowPrivateAddresses === true,
  });
}
