/**
 * The `connectors.discord` section of parley.yaml. Validated here rather than
 * by the engine so that each problem names the exact field and how to fix it,
 * in the same words as the engine's own ConfigError; no message ever quotes a
 * value, since the token is a secret.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the hints show users the literal ${NAME} syntax of the config file
import {
  type ConnectorOptionsHelp,
  parseConnectorOptions,
  ROOM_PRESENCE_FIX,
  roomPresenceOptionsSchema,
} from "@parley/bridge";
import { z } from "zod";

/** Discord refuses webhook names containing these (case-insensitively). */
export const FORBIDDEN_WEBHOOK_WORDS = ["discord", "clyde"] as const;

const FIXES: Readonly<Record<string, string>> = {
  token:
    "write the bot token from the Developer Portal (your application > Bot > Reset Token), " +
    "preferably as ${DISCORD_TOKEN} read from the environment",
  apiUrl: "write the base URL of the Discord REST API (e.g. https://discord.com/api), or remove the line",
  cdnUrl: "write the base URL of the Discord CDN (e.g. https://cdn.discordapp.com), or remove the line",
  webhookName: 'write a name of 1 to 80 characters without "discord" or "clyde", e.g. Parley, or remove the line',
  catchUpLimit:
    "write the most messages one channel's (or thread's) catch-up may fetch, a safety bound from 0 (no catch-up) to 10000000, or remove the line for the default 1000000",
  catchUpMaxAgeHours:
    "write how many hours back a catch-up reaches, from 1 to 720, or remove the line for the default 24 (the engine's xmpp.catchUp.maxAgeHours)",
  rehostAttachments: "write true (re-host Discord's expiring CDN links) or false",
  roomPresence: ROOM_PRESENCE_FIX,
};

const httpUrl = z.url({ protocol: /^https?$/ });

/** Catch-up is bounded by age; its count bound is for safety only, far above what a channel says in a day. */
const DEFAULT_CATCH_UP_LIMIT = 1_000_000;
const MAX_CATCH_UP_LIMIT = 10_000_000;

export const discordOptionsSchema = z.strictObject({
  token: z.string().trim().min(1),
  apiUrl: httpUrl.optional(),
  cdnUrl: httpUrl.optional(),
  webhookName: z
    .string()
    .trim()
    .min(1)
    .max(80)
    .refine((name) => !FORBIDDEN_WEBHOOK_WORDS.some((w) => name.toLowerCase().includes(w)), {
      message: 'contains "discord" or "clyde", which Discord refuses in webhook names',
    })
    .default("Parley"),
  /** A safety bound per channel and thread and catch-up; what bounds a catch-up is its age (`catchUpMaxAgeHours`). */
  catchUpLimit: z.int().min(0).max(MAX_CATCH_UP_LIMIT).default(DEFAULT_CATCH_UP_LIMIT),
  catchUpMaxAgeHours: z.int().min(1).max(720).default(24),
  rehostAttachments: z.boolean().default(true),
  /** How many members who can read a linked channel and are online sit in its rooms (the engine reads it). */
  roomPresence: roomPresenceOptionsSchema,
});

export type DiscordOptions = z.output<typeof discordOptionsSchema>;

/** Validates `connectors.discord`; throws one ConfigError listing every problem. */
export function parseDiscordOptions(options: unknown): DiscordOptions {
  return parseConnectorOptions(discordOptionsSchema, options, HELP);
}

const HELP: ConnectorOptionsHelp = {
  connector: "discord",
  label: "the Discord connector",
  fixes: FIXES,
  example: "write a mapping such as { token: ... }",
};
