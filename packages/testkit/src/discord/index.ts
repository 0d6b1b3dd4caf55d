/**
 * The fake Discord (gateway v10, REST v10, webhooks, CDN) that the real
 * discord.js client is tested against; see fake-discord.ts for the contract.
 */
export type { NewMember, PresenceStatus } from "./directory.ts";
export { ScenarioError } from "./directory.ts";
export type {
  FakeDiscord,
  FakeDiscordOptions,
  FakeDiscordRequest,
  PostExtra,
} from "./fake-discord.ts";
export { startFakeDiscord } from "./fake-discord.ts";
export type { DeniablePermission } from "./permissions.ts";
export type { PrivilegedIntent } from "./privileged-intents.ts";
export { DISCORD_RATE_LIMITS, type RateLimitOptions, type RateLimitRule, type RouteRateLimit } from "./rate-limits.ts";
export type { ServerErrorRule } from "./server-errors.ts";
export { compareSnowflakes, snowflakeTime } from "./snowflake.ts";
