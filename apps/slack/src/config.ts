/**
 * The `connectors.slack` section of parley.yaml. Validated here rather than
 * by the engine so that each problem names the exact field and how to fix it,
 * in the same words as the engine's own ConfigError; no message ever quotes a
 * value, since tokens and the signing secret are secrets.
 *
 * Socket Mode (an app-level token, no public URL) is the default; HTTP Events
 * mode (`mode: http`) takes the signing secret and the port and path Slack's
 * Event Subscriptions point at. Which channels are bridged is the engine's
 * `links` list, as for every network.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the hints show users the literal ${NAME} syntax of the config file
import {
  type ConnectorOptionsHelp,
  parseConnectorOptions,
  ROOM_PRESENCE_FIX,
  roomPresenceOptionsSchema,
} from "@parley/bridge";
import { z } from "zod";

const FIXES: Readonly<Record<string, string>> = {
  botToken:
    "write the bot token, xoxb-... (api.slack.com/apps > your app > OAuth & Permissions > Bot User OAuth Token), " +
    "preferably as ${SLACK_BOT_TOKEN} read from the environment",
  mode: "write socket (Socket Mode, the default: no public URL needed) or http (Events API over HTTP)",
  appToken:
    "write an app-level token with the connections:write scope, xapp-... (your app > Basic Information > App-Level Tokens), " +
    "preferably as ${SLACK_APP_TOKEN}; Socket Mode needs it",
  signingSecret:
    "write the app's signing secret (your app > Basic Information > App Credentials > Signing Secret), " +
    "preferably as ${SLACK_SIGNING_SECRET}; HTTP mode needs it",
  port: "write the port the bridge listens on for Slack's events in HTTP mode, from 1 to 65535 (default 3000)",
  host: "write the address the events listener binds to in HTTP mode (default 0.0.0.0)",
  path: "write the URL path of Event Subscriptions' Request URL, starting with / (default /slack/events)",
  apiUrl: "write the base URL of Slack's Web API ending in /api/ (e.g. https://slack.com/api/), or remove the line",
  catchUpLimit:
    "write the most messages one channel's catch-up may fetch, a safety bound from 0 (no catch-up) to 10000000, or remove the line",
  catchUpMaxAgeHours:
    "write how many hours back a catch-up reaches, from 1 to 720, or remove the line for the default 24",
  presence: "write true (mirror members' active/away with users.getPresence) or false",
  presenceIntervalSeconds:
    "write how often members' presence is asked of Slack, in seconds, from 30 to 86400 (default 300; Slack allows users.getPresence about 50 times a minute)",
  clientPingTimeoutSeconds:
    "write how long Socket Mode waits for Slack's answer to its ping before reconnecting, in seconds, from 5 to 600 " +
    "(default 15; Socket Mode only; @slack/socket-mode also waits this long before reconnecting), or remove the line",
  serverPingTimeoutSeconds:
    "write how long Socket Mode waits for Slack's next ping before reconnecting, in seconds, from 30 to 600 " +
    "(default 60; Socket Mode only), or remove the line",
  roomPresence: ROOM_PRESENCE_FIX,
};

/**
 * Socket Mode's ping timeouts. @slack/socket-mode's own defaults (5 s for
 * the pong to the client's ping, 30 s for the server's next ping) are
 * checked by timers that run before the socket's frames are read: an event
 * loop busy for a few seconds (a burst of events, a catch-up) looks like a
 * dead connection, and the reconnection runs another catch-up, which keeps
 * the loop busy. With 15 s (a ping every 5 s) a loop busy for about 10 s
 * passes; the library also waits the client timeout (times the failures in
 * a row) before each reconnection, so it is not made longer still.
 */
export const DEFAULT_CLIENT_PING_TIMEOUT_SECONDS = 15;
export const DEFAULT_SERVER_PING_TIMEOUT_SECONDS = 60;

const DEFAULT_CATCH_UP_LIMIT = 1_000_000;

export const slackOptionsSchema = z
  .strictObject({
    botToken: z.string().trim().min(1),
    mode: z.enum(["socket", "http"]).default("socket"),
    appToken: z.string().trim().min(1).optional(),
    signingSecret: z.string().trim().min(1).optional(),
    port: z.int().min(1).max(65535).default(3000),
    host: z.string().trim().min(1).default("0.0.0.0"),
    path: z
      .string()
      .regex(/^\/\S*$/)
      .default("/slack/events"),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .transform((u) => (u.endsWith("/") ? u : `${u}/`))
      .optional(),
    catchUpLimit: z.int().min(0).max(10_000_000).default(DEFAULT_CATCH_UP_LIMIT),
    catchUpMaxAgeHours: z.int().min(1).max(720).default(24),
    presence: z.boolean().default(true),
    presenceIntervalSeconds: z.int().min(30).max(86_400).default(300),
    clientPingTimeoutSeconds: z.number().min(5).max(600).default(DEFAULT_CLIENT_PING_TIMEOUT_SECONDS),
    serverPingTimeoutSeconds: z.number().min(30).max(600).default(DEFAULT_SERVER_PING_TIMEOUT_SECONDS),
    /** How many members who can read a linked channel and are online sit in its rooms (the engine reads it). */
    roomPresence: roomPresenceOptionsSchema,
  })
  .superRefine((o, ctx) => {
    if (o.mode === "socket" && o.appToken === undefined)
      ctx.addIssue({ code: "custom", path: ["appToken"], message: "is required in Socket Mode (the default)" });
    if (o.mode === "http" && o.signingSecret === undefined)
      ctx.addIssue({ code: "custom", path: ["signingSecret"], message: "is required in HTTP mode" });
    if (!o.botToken.startsWith("xoxb-") && !o.botToken.startsWith("xoxe.xoxb-"))
      ctx.addIssue({ code: "custom", path: ["botToken"], message: "is not a bot token (those start with xoxb-)" });
    if (o.appToken !== undefined && !o.appToken.startsWith("xapp-"))
      ctx.addIssue({
        code: "custom",
        path: ["appToken"],
        message: "is not an app-level token (those start with xapp-)",
      });
  });

export type SlackOptions = z.output<typeof slackOptionsSchema>;

/** Validates `connectors.slack`; throws one ConfigError listing every problem. */
export function parseSlackOptions(options: unknown): SlackOptions {
  return parseConnectorOptions(slackOptionsSchema, options, HELP);
}

const HELP: ConnectorOptionsHelp = {
  connector: "slack",
  label: "the Slack connector",
  fixes: FIXES,
  example: "write a mapping such as { botToken: ..., appToken: ... }",
  formats: { regex: "must start with /" },
};
