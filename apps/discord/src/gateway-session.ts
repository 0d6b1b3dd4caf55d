/**
 * The discord.js client and its gateway session: logging in with the intents
 * and partials the bridge needs, telling a fresh session (READY: Discord will
 * not replay what was missed, so the connector catches up) from a resumed one
 * (RESUMED: Discord replays it), and when the link goes down. Every dispatch
 * is handed on raw, as Discord sent it; discord.js still keeps its caches
 * (guilds, members, roles, channels, emoji) current for look-ups.
 */
import { ConfigError, type Logger, logFailure } from "@parley/bridge";
import {
  Client,
  DiscordAPIError,
  DiscordjsError,
  DiscordjsErrorCodes,
  Events,
  GatewayIntentBits,
  Options,
  Partials,
} from "discord.js";
import { GatewayCloseCodes } from "discord-api-types/v10";
import { guardPackets } from "./packet-guard.ts";

/**
 * The intents the brief of the bridge needs, plus GuildExpressions (not
 * privileged) so that discord.js keeps the guild emoji current: XMPP users
 * react with `:name:` and the bot must know which emoji that is.
 */
export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildExpressions,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildPresences,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.GuildMessageTyping,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
  GatewayIntentBits.DirectMessageTyping,
];

/**
 * What discord.js keeps in memory, cut to what the bridge reads (GuildDirectory):
 * guilds, channels and threads, roles, guild emoji, members and their users
 * (names and avatars, for a PRESENCE_UPDATE that carries only a user id).
 * Everything else is read from the raw dispatches, or over REST when needed,
 * so a cache of it would only cost memory per message or per member:
 * messages and their reactions, presences (the connector mirrors them as they
 * arrive), thread members, voice and stage state, events, invites, bans,
 * stickers, automod rules, commands, entitlements. Members stay unlimited: a
 * look-up per presence change over REST would cost more than the cache (about
 * 1.5 KiB per online member in all, see bench/soak.ts).
 */
export const CACHE_LIMITS = {
  MessageManager: 0,
  PresenceManager: 0,
  ReactionManager: 0,
  ReactionUserManager: 0,
  ThreadMemberManager: 0,
  VoiceStateManager: 0,
  StageInstanceManager: 0,
  GuildScheduledEventManager: 0,
  GuildInviteManager: 0,
  GuildBanManager: 0,
  GuildStickerManager: 0,
  AutoModerationRuleManager: 0,
  ApplicationCommandManager: 0,
  ApplicationEmojiManager: 0,
  EntitlementManager: 0,
} as const;

export interface GatewaySessionOptions {
  readonly token: string;
  readonly apiUrl?: string;
  readonly cdnUrl?: string;
  readonly logger: Logger;
  /** Every dispatch, in gateway order. Must not throw (it is guarded anyway). */
  readonly onDispatch: (type: string, d: unknown) => void;
  /** A session began: "fresh" after IDENTIFY (READY), "resumed" after RESUME. */
  readonly onSession: (kind: "fresh" | "resumed") => void;
  /** The link dropped; `final` when discord.js gives up (e.g. the token was revoked). */
  readonly onDown: (why: string, final: boolean) => void;
  /** Discord refused the token on a running session (gateway close 4004). */
  readonly onTokenRefused: () => void;
}

/** Close codes after which discord.js does not reconnect, with what the admin should do. */
const FINAL_CLOSES: Readonly<Record<number, string>> = {
  [GatewayCloseCodes.AuthenticationFailed]:
    "Discord refused the bot token; put a valid one in connectors.discord.token",
  [GatewayCloseCodes.DisallowedIntents]:
    "Discord refused the privileged intents; enable Server Members Intent, Presence Intent and Message Content " +
    "Intent for the bot in the Developer Portal (your application > Bot)",
  [GatewayCloseCodes.InvalidIntents]: "Discord refused the gateway intents",
  [GatewayCloseCodes.InvalidAPIVersion]: "Discord refused gateway API version 10",
  [GatewayCloseCodes.ShardingRequired]: "Discord requires sharding for this bot (too many servers)",
};

export class GatewaySession {
  readonly client: Client;
  private readonly o: GatewaySessionOptions;
  private closed = false;

  constructor(o: GatewaySessionOptions) {
    this.o = o;
    this.client = new Client({
      intents: INTENTS,
      partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
      rest: {
        ...(o.apiUrl !== undefined && { api: o.apiUrl }),
        ...(o.cdnUrl !== undefined && { cdn: o.cdnUrl }),
      },
      // Nobody is pinged by anything the bot sends unless a message says so.
      allowedMentions: { parse: [] },
      makeCache: Options.cacheWithLimits(CACHE_LIMITS),
    });
    this.attach();
  }

  private attach(): void {
    const c = this.client;
    const log = this.o.logger;
    guardPackets(c, (type, e) =>
      log.warn("a gateway event discord.js could not read was skipped", {
        type,
        error: e instanceof Error ? e.message : String(e),
      }),
    );
    c.on("raw", (packet: unknown) => {
      if (this.closed) return;
      try {
        if (packet === null || typeof packet !== "object") return;
        const { t, d } = packet as { t?: unknown; d?: unknown };
        if (typeof t !== "string") return;
        if (t === "READY") this.o.onSession("fresh");
        else if (t === "RESUMED") this.o.onSession("resumed");
        this.o.onDispatch(t, d);
      } catch (e) {
        log.warn("a gateway event could not be read; skipped", { error: e instanceof Error ? e.message : String(e) });
      }
    });
    c.on(Events.ShardReconnecting, () => {
      if (!this.closed) this.o.onDown("the gateway connection closed; reconnecting", false);
    });
    c.on(Events.ShardDisconnect, (event) => {
      if (this.closed) return;
      const advice = FINAL_CLOSES[event.code];
      if (event.code === GatewayCloseCodes.AuthenticationFailed) this.o.onTokenRefused();
      this.o.onDown(advice ?? `the gateway connection closed for good (code ${event.code})`, true);
    });
    c.on(Events.Error, (e) => log.warn("discord.js reported an error", { error: e.message }));
    c.on(Events.ShardError, (e) => log.debug("the gateway connection reported an error", { error: e.message }));
    c.on(Events.Warn, (msg) => log.debug("discord.js warning", { warning: msg }));
  }

  /** Logs in and resolves once the client is ready (guilds received); rejects with an error naming what to fix. */
  async open(timeoutMs = 60_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onDisconnect: ((event: { code: number }) => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      this.client.once(Events.ClientReady, () => resolve());
      onDisconnect = (event) => reject(new GatewayClosedError(event.code));
      this.client.once(Events.ShardDisconnect, onDisconnect);
      timer = setTimeout(
        () => reject(new Error(`Discord's gateway did not get ready within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.client.login(this.o.token).then(() => ready), ready]);
    } catch (e) {
      await this.close();
      throw this.loginError(e);
    } finally {
      clearTimeout(timer);
      if (onDisconnect) this.client.off(Events.ShardDisconnect, onDisconnect);
    }
  }

  private loginError(e: unknown): Error {
    const tokenRefused =
      (e instanceof DiscordjsError && e.code === DiscordjsErrorCodes.TokenInvalid) ||
      (e instanceof DiscordAPIError && e.status === 401) ||
      (e instanceof GatewayClosedError && e.code === GatewayCloseCodes.AuthenticationFailed);
    if (tokenRefused) {
      return new ConfigError([
        {
          path: "connectors.discord.token",
          problem: "Discord refused the bot token (401 Unauthorized)",
          fix: "copy the token from the Developer Portal (your application > Bot > Reset Token) and restart",
        },
      ]);
    }
    if (e instanceof GatewayClosedError) {
      return new Error(`could not log in to Discord: ${FINAL_CLOSES[e.code] ?? `gateway closed with code ${e.code}`}`);
    }
    const why = e instanceof Error ? e.message : String(e);
    const where = this.o.apiUrl !== undefined ? ` at connectors.discord.apiUrl (${this.o.apiUrl})` : "";
    return new Error(`could not log in to Discord${where}: ${why}`, { cause: e });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.destroy().catch(logFailure(this.o.logger, "the Discord client did not close cleanly", "info"));
  }
}

class GatewayClosedError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`the gateway closed with code ${code}`);
    this.name = "GatewayClosedError";
    this.code = code;
  }
}
