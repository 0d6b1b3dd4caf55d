/**
 * @parley/discord: Discord guild channels as XMPP MUC rooms, on discord.js and
 * the @parley/bridge engine. The bridge CLI loads this package for a
 * `connectors.discord` section and calls `createConnector` with it.
 */
import type { BridgeConfig, Connector, Logger } from "@parley/bridge";
import { parseDiscordOptions } from "./config.ts";
import { DiscordConnector } from "./discord-connector.ts";

export { type DiscordOptions, discordOptionsSchema, parseDiscordOptions } from "./config.ts";
export { DiscordConnector, type DiscordConnectorContext } from "./discord-connector.ts";
export { diagnose } from "./doctor.ts";
export { INTENTS } from "./gateway-session.ts";
export { INVITE_PERMISSIONS, initConnector, initQuestions } from "./init-connector.ts";
export { webhookUsername } from "./webhook-username.ts";

/** The factory the bridge CLI calls; throws a ConfigError naming `connectors.discord.<field>` for bad options. */
export function createConnector(options: unknown, context: { logger: Logger; config?: BridgeConfig }): Connector {
  return new DiscordConnector(parseDiscordOptions(options), {
    logger: context.logger,
    allowPrivateAddresses: context.config?.media.allowPrivateAddresses === true,
  });
}
