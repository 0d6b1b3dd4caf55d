/**
 * A local Discord that the real discord.js client talks to: one HTTP server on
 * 127.0.0.1 serving REST v10 under `/api`, the CDN under `/cdn`, and the
 * gateway (a WebSocket upgrade on `/`). Tests drive it through the scenario
 * API (users post, edit, react, come and go), break it on purpose (dropped
 * connections, rate limits, missing permissions, a revoked token), and read
 * back what the client did (`messages`, `requests`, `violations`).
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIChannel, APIEmoji, APIGuild, APIGuildMember, APIMessage, APIUser } from "discord-api-types/v10";
import { ChannelType } from "discord-api-types/v10";
import { Waiters } from "../fake-waiters.ts";
import { AssetStore } from "./assets.ts";
import { AttachmentStore } from "./attachment-store.ts";
import { handleCdn } from "./cdn.ts";
import { Directory, type NewMember, type PresenceStatus, ScenarioError } from "./directory.ts";
import { DIRECTORY_ROUTES } from "./directory-routes.ts";
import { Gateway } from "./gateway.ts";
import type { Dispatch } from "./intents.ts";
import { MESSAGE_ROUTES } from "./message-routes.ts";
import { MessageStore } from "./message-store.ts";
import { openApiCheck } from "./openapi-check.ts";
import type { DeniablePermission } from "./permissions.ts";
import {
  applicationFlags,
  asksForDisallowed,
  PRIVILEGED_INTENT_NAMES,
  type PrivilegedIntent,
} from "./privileged-intents.ts";
import { RateLimiter, type RateLimitOptions, type RateLimitRule } from "./rate-limits.ts";
import { parseReactionEmoji, type ReactionEmoji } from "./reaction-emoji.ts";
import { handleRest, type RestRequestRecord } from "./rest-server.ts";
import type { RestWorld } from "./route-kit.ts";
import { type ServerErrorRule, ServerErrors } from "./server-errors.ts";
import { SnowflakeSource } from "./snowflake.ts";
import { WEBHOOK_ROUTES } from "./webhook-routes.ts";
import { WebhookStore } from "./webhook-store.ts";

export interface FakeDiscordOptions {
  /** The bot token to accept; a Discord-shaped random one by default. */
  readonly token?: string;
  /** The bot user's username; "Parley Bridge" by default. */
  readonly botName?: string;
  /** Where Discord's OpenAPI description is; `PARLEY_DISCORD_OPENAPI`, else the package's `vendor/discord/openapi.json`. */
  readonly openapiPath?: string;
  /** Per-bucket rate limits (50 requests per second by default). */
  readonly rateLimit?: RateLimitOptions;
  /** HELLO's heartbeat_interval; Discord's 41250 ms by default. */
  readonly heartbeatIntervalMs?: number;
}

export interface PostExtra {
  readonly attachments?: Array<{ filename: string; contentType?: string; bytes?: Uint8Array }>;
  readonly embeds?: Array<{ title?: string; description?: string; url?: string }>;
  readonly stickers?: Array<{ name: string }>;
  /** A message in the same channel. */
  readonly replyTo?: string;
  readonly nonce?: string;
}

export type FakeDiscordRequest = RestRequestRecord;

export interface FakeDiscord {
  /** The bot token it accepts (`Authorization: Bot <token>`); any other gets 401 `{code:0}`. */
  readonly token: string;
  /** Pass as discord.js `rest: { api: fake.restUrl, cdn: fake.cdnUrl }`; routes are `${restUrl}/v10/...`. */
  readonly restUrl: string;
  /** Serves avatars, custom emoji, stickers and attachments (real PNG bytes). */
  readonly cdnUrl: string;
  /** What GET /gateway/bot answers as `url`. */
  readonly gatewayUrl: string;
  /** The bridge's bot user. */
  readonly bot: APIUser;
  readonly applicationId: string;

  // --- scenario: each call changes the state, then dispatches what Discord would ---
  /** A guild where the bot is a member with every permission but Administrator. */
  createGuild(o: { name: string }): APIGuild;
  createChannel(guildId: string, o: { name: string; type?: "text" | "announcement" | "forum" }): APIChannel;
  /** A new user joins (a username already known joins that same user to this guild too). */
  addMember(guildId: string, o: NewMember): APIGuildMember & { user: APIUser };
  createRole(guildId: string, o: { name: string; permissions?: bigint }): { id: string; name: string };
  createEmoji(guildId: string, o: { name: string; animated?: boolean }): APIEmoji;
  /** GUILD_MEMBER_UPDATE; a global name or avatar change is announced in every guild the user is in. */
  updateMember(
    guildId: string,
    userId: string,
    o: { nick?: string | null; globalName?: string | null; avatar?: boolean },
  ): void;
  removeMember(guildId: string, userId: string): void;
  setPresence(userId: string, o: { status: PresenceStatus; customStatus?: string }): void;
  /** MESSAGE_CREATE; mentions, mention_roles and mention_channels are parsed from `<@id>`, `<@&id>`, `<#id>`. */
  post(channelId: string, userId: string, content: string, extra?: PostExtra): APIMessage;
  /** MESSAGE_UPDATE with edited_timestamp set. */
  edit(channelId: string, messageId: string, content: string): APIMessage;
  remove(channelId: string, messageId: string): void;
  react(
    channelId: string,
    messageId: string,
    userId: string,
    emoji: string | { id: string; name: string },
    action: "add" | "remove",
  ): void;
  typing(channelId: string, userId: string): void;
  /**
   * THREAD_CREATE (a public thread, type 11, or a post in a forum channel).
   * Without `fromMessage` the parent gets Discord's "thread created" system
   * message; `content` is a forum post's first message (its name by default).
   */
  createThread(channelId: string, o: { name: string; fromMessage?: string; by: string; content?: string }): APIChannel;
  /** The DM channel between the bot and the user (type 1). */
  openDm(userId: string): APIChannel;

  // --- failures ---
  /** Closes every gateway socket with `code` (4000 by default: discord.js resumes). */
  dropConnection(o?: { code?: number }): void;
  /** Op 7 RECONNECT. */
  requestReconnect(): void;
  /** The connections open now get no more heartbeat ACKs (a zombied connection); later ones do. */
  stopAcking(): void;
  /** Op 1 from the gateway: each client must heartbeat at once, or is closed with 4009. */
  requestHeartbeat(): void;
  /** Heartbeats received, and connections closed for a missed one (4009). */
  readonly heartbeats: { readonly received: number; readonly timeouts: number };
  /** Op 9 INVALID_SESSION; not resumable means the client must IDENTIFY again. */
  invalidateSession(resumable: boolean): void;
  /** The next matching requests get 429 with Discord's headers and body. */
  rateLimitNext(o: RateLimitRule): void;
  /**
   * The next matching requests fail as Discord's outages do: 500 with the API's JSON error,
   * or 502 with the edge's HTML page; `afterProcessing` does the work first (a message is
   * created, yet the client sees the failure); `neverAnswer` sends no answer at all (with
   * `afterProcessing`: the post is made and its answer never comes, as for a client killed
   * mid-request).
   */
  failNext(o?: ServerErrorRule): void;
  /** How many of the failures asked for with failNext are still to come. */
  readonly pendingFailures: number;
  /** From now on the routes needing it answer 403 50013 (ViewChannel: 50001 Missing Access, and no events). */
  denyPermission(channelId: string, permission: DeniablePermission): void;
  /** REST 401 and gateway close 4004 from now on. */
  revokeToken(): void;
  /**
   * Turns privileged intents on or off, as the Developer Portal's Bot page
   * does (all on at start): GET /applications/@me shows them in `flags`, and
   * an IDENTIFY asking for one that is off is closed with 4014.
   */
  setPrivilegedIntents(o: Partial<Record<PrivilegedIntent, boolean>>): void;
  /** While offline, gateway connections are cut and refused; scenario calls still happen and are kept. */
  setOffline(offline: boolean): void;
  /**
   * A gateway event exactly as given, to every session (nothing stored, no
   * shape checked): malformed and hostile payloads for robustness tests.
   */
  dispatchRaw(t: string, d: unknown, guildId?: string): void;

  // --- what happened ---
  /** Current messages, oldest first, webhook-posted ones included. */
  messages(channelId: string): APIMessage[];
  message(channelId: string, id: string): APIMessage | undefined;
  reactionsOn(channelId: string, messageId: string): Array<{ emoji: string; users: string[] }>;
  webhooksOf(channelId: string): Array<{ id: string; name: string; token: string }>;
  /** Messages the bot sent to the user's DM channel. */
  dmMessages(userId: string): APIMessage[];
  /** Every REST request, in order (bodies with files: the JSON payload part). */
  readonly requests: ReadonlyArray<FakeDiscordRequest>;
  /** Requests the real API would reject as malformed, each named by method and route template. */
  readonly violations: ReadonlyArray<string>;
  /** Sessions started by an accepted IDENTIFY. */
  readonly gatewaySessions: number;
  /** RESUMEs received. */
  readonly resumes: number;
  /** Resolves with the predicate's first value that is not undefined, null or false; re-checked after every request and event. */
  waitFor<T>(predicate: () => T | undefined | null | false, o?: { timeoutMs?: number; what?: string }): Promise<T>;
  on(event: "request", listener: (r: FakeDiscordRequest) => void): void;
  /** Every dispatch the fake produced, before intents are applied. */
  on(event: "dispatch", listener: (d: { t: string; d: unknown }) => void): void;
  stop(): Promise<void>;
}

/** Starts a fake Discord on a free port of 127.0.0.1. */
export async function startFakeDiscord(o: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const check = openApiCheck(o.openapiPath);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return new RunningFakeDiscord(server, port, check, o);
}

class RunningFakeDiscord implements FakeDiscord {
  readonly token: string;
  readonly restUrl: string;
  readonly cdnUrl: string;
  readonly gatewayUrl: string;
  readonly bot: APIUser;
  readonly applicationId: string;
  readonly requests: FakeDiscordRequest[] = [];
  readonly violations: string[] = [];

  private readonly server: Server;
  private readonly dir: Directory;
  private readonly store: MessageStore;
  private readonly webhooks: WebhookStore;
  private readonly gateway: Gateway;
  private readonly limiter: RateLimiter;
  private readonly serverErrors = new ServerErrors();
  private readonly events = new EventEmitter();
  private readonly waiters = new Waiters({
    fake: "fake Discord",
    recentLabel: "last requests",
    recentRequests: () => this.requests.slice(-5).map((r) => `${r.method} ${r.path} -> ${r.status}`),
    defaultTimeoutMs: 5000,
  });
  private tokenValid = true;
  private readonly privilegedIntents = new Set<PrivilegedIntent>(PRIVILEGED_INTENT_NAMES);

  constructor(server: Server, port: number, check: ReturnType<typeof openApiCheck>, o: FakeDiscordOptions) {
    this.server = server;
    this.restUrl = `http://127.0.0.1:${port}/api`;
    this.cdnUrl = `http://127.0.0.1:${port}/cdn`;
    this.gatewayUrl = `ws://127.0.0.1:${port}`;
    const ids = new SnowflakeSource();
    const assets = new AssetStore();
    const emit = (d: Dispatch) => this.dispatch(d);
    this.dir = new Directory({ ids, assets, emit, botName: o.botName ?? "Parley Bridge" });
    this.bot = this.dir.bot;
    this.applicationId = this.bot.id;
    this.token = o.token ?? discordShapedToken(this.bot.id);
    this.webhooks = new WebhookStore({ ids, dir: this.dir, assets, emit });
    const attachments = new AttachmentStore({ ids, assets, cdnUrl: this.cdnUrl });
    this.store = new MessageStore({ ids, dir: this.dir, assets, webhooks: this.webhooks, attachments, emit });
    this.limiter = new RateLimiter(o.rateLimit);
    const dir = this.dir;
    this.gateway = new Gateway(
      {
        token: () => (this.tokenValid ? this.token : undefined),
        bot: this.bot,
        applicationId: this.applicationId,
        applicationFlags: () => applicationFlags(this.privilegedIntents),
        disallowed: (intents) => asksForDisallowed(intents, this.privilegedIntents),
        url: this.gatewayUrl,
        guildIds: () => dir.guildIds(),
        guildCreate: (id) => dir.guildCreatePayload(id),
        members: (guildId) =>
          dir.memberIds(guildId).map((u) => ({
            member: dir.memberObject(guildId, u),
            presence: dir.presenceObject(guildId, u),
          })),
        changed: () => this.changed(),
      },
      { heartbeatIntervalMs: o.heartbeatIntervalMs },
    );
    const world: RestWorld = {
      dir: this.dir,
      store: this.store,
      webhooks: this.webhooks,
      gatewayUrl: this.gatewayUrl,
      applicationId: this.applicationId,
      applicationFlags: () => applicationFlags(this.privilegedIntents),
      sessionStarts: () => this.gateway.identifies,
    };
    const pipeline = {
      check,
      limiter: this.limiter,
      serverErrors: this.serverErrors,
      world,
      routes: { ...DIRECTORY_ROUTES, ...MESSAGE_ROUTES, ...WEBHOOK_ROUTES },
      token: () => (this.tokenValid ? this.token : undefined),
      record: (r: RestRequestRecord) => {
        this.requests.push(r);
        this.events.emit("request", r);
        this.changed();
      },
      violation: (v: string) => this.violations.push(v),
    };
    server.on("request", (req, res) => {
      const url = new URL(req.url ?? "/", this.restUrl);
      if (url.pathname.startsWith("/cdn/")) {
        try {
          handleCdn(assets, req, res, url.pathname.slice("/cdn".length));
        } catch {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        }
        return;
      }
      handleRest(pipeline, req, res, url).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ code: 0, message: "500: Internal Server Error" }));
        this.violations.push(`fake Discord failed: ${e instanceof Error ? e.message : String(e)}`);
      });
    });
    server.on("upgrade", (req, socket, head) => {
      const path = new URL(req.url ?? "/", this.gatewayUrl.replace("ws:", "http:")).pathname;
      if (path === "/") this.gateway.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  get gatewaySessions(): number {
    return this.gateway.identifies;
  }

  get resumes(): number {
    return this.gateway.resumes;
  }

  // --- scenario ----------------------------------------------------------

  createGuild(o: { name: string }): APIGuild {
    return structuredClone(this.dir.createGuild(o.name));
  }

  createChannel(guildId: string, o: { name: string; type?: "text" | "announcement" | "forum" }): APIChannel {
    return structuredClone(this.dir.createChannel(guildId, o));
  }

  addMember(guildId: string, o: NewMember): APIGuildMember & { user: APIUser } {
    return structuredClone(this.dir.addMember(guildId, o));
  }

  createRole(guildId: string, o: { name: string; permissions?: bigint }): { id: string; name: string } {
    return structuredClone(this.dir.createRole(guildId, o));
  }

  createEmoji(guildId: string, o: { name: string; animated?: boolean }): APIEmoji {
    return structuredClone(this.dir.createEmoji(guildId, o));
  }

  updateMember(
    guildId: string,
    userId: string,
    o: { nick?: string | null; globalName?: string | null; avatar?: boolean },
  ): void {
    this.dir.updateMember(guildId, userId, o);
  }

  removeMember(guildId: string, userId: string): void {
    this.dir.removeMember(guildId, userId);
  }

  setPresence(userId: string, o: { status: PresenceStatus; customStatus?: string }): void {
    this.dir.setPresence(userId, o);
  }

  post(channelId: string, userId: string, content: string, extra: PostExtra = {}): APIMessage {
    const channel = this.dir.requireChannel(channelId);
    if (channel.type === ChannelType.DM && userId !== this.bot.id && this.dir.dmRecipient(channelId) !== userId) {
      throw new ScenarioError(`user ${userId} is not in DM channel ${channelId}`);
    }
    if (channel.type === ChannelType.GuildForum) {
      throw new ScenarioError(`channel ${channelId} is a forum: start a post with createThread, then post into it`);
    }
    const message = this.store.create(
      channelId,
      { kind: "user", id: userId },
      {
        content,
        ...(extra.attachments ? { attachments: extra.attachments } : {}),
        ...(extra.embeds ? { embeds: extra.embeds } : {}),
        ...(extra.stickers ? { stickerNames: extra.stickers.map((s) => s.name) } : {}),
        ...(extra.replyTo ? { replyTo: { messageId: extra.replyTo } } : {}),
        ...(extra.nonce !== undefined ? { nonce: extra.nonce } : {}),
      },
    );
    return structuredClone(message);
  }

  edit(channelId: string, messageId: string, content: string): APIMessage {
    this.store.require(channelId, messageId);
    return structuredClone(this.store.edit(channelId, messageId, { content }));
  }

  remove(channelId: string, messageId: string): void {
    this.store.remove(channelId, messageId);
  }

  react(
    channelId: string,
    messageId: string,
    userId: string,
    emoji: string | { id: string; name: string },
    action: "add" | "remove",
  ): void {
    const e: ReactionEmoji =
      typeof emoji === "string"
        ? (parseReactionEmoji(emoji) ?? { kind: "unicode", name: emoji })
        : { kind: "custom", id: emoji.id, name: emoji.name, animated: this.dir.emoji(emoji.id)?.animated ?? false };
    this.store.react(channelId, messageId, userId, e, action);
  }

  typing(channelId: string, userId: string): void {
    this.store.typing(channelId, userId);
  }

  createThread(channelId: string, o: { name: string; fromMessage?: string; by: string; content?: string }): APIChannel {
    this.dir.requireUser(o.by);
    const thread = this.store.createThread(channelId, {
      name: o.name,
      by: o.by,
      ...(o.fromMessage ? { fromMessage: o.fromMessage } : {}),
      ...(o.content !== undefined ? { starter: { content: o.content } } : {}),
    });
    return structuredClone(thread);
  }

  openDm(userId: string): APIChannel {
    return structuredClone(this.dir.openDm(userId));
  }

  // --- failures ----------------------------------------------------------

  stopAcking(): void {
    this.gateway.stopAcking();
  }

  requestHeartbeat(): void {
    this.gateway.requestHeartbeat();
  }

  get heartbeats(): { readonly received: number; readonly timeouts: number } {
    return { received: this.gateway.heartbeats, timeouts: this.gateway.heartbeatTimeouts };
  }

  dropConnection(o: { code?: number } = {}): void {
    this.gateway.dropConnection(o.code);
  }

  requestReconnect(): void {
    this.gateway.requestReconnect();
  }

  invalidateSession(resumable: boolean): void {
    this.gateway.invalidateSession(resumable);
  }

  rateLimitNext(o: RateLimitRule): void {
    this.limiter.force(o);
  }

  failNext(o: ServerErrorRule = {}): void {
    this.serverErrors.failNext(o);
  }

  get pendingFailures(): number {
    return this.serverErrors.pending;
  }

  denyPermission(channelId: string, permission: DeniablePermission): void {
    this.dir.deny(channelId, permission);
  }

  revokeToken(): void {
    this.tokenValid = false;
    this.gateway.revoke();
  }

  setPrivilegedIntents(o: Partial<Record<PrivilegedIntent, boolean>>): void {
    for (const [name, on] of Object.entries(o) as Array<[PrivilegedIntent, boolean | undefined]>) {
      if (on === true) this.privilegedIntents.add(name);
      else if (on === false) this.privilegedIntents.delete(name);
    }
  }

  setOffline(offline: boolean): void {
    this.gateway.setOffline(offline);
  }

  // --- what happened -----------------------------------------------------

  dispatchRaw(t: string, d: unknown, guildId?: string): void {
    this.gateway.publish({ t, d, ...(guildId !== undefined && { guildId }) });
  }

  messages(channelId: string): APIMessage[] {
    this.dir.requireChannel(channelId);
    return structuredClone(this.store.list(channelId));
  }

  message(channelId: string, id: string): APIMessage | undefined {
    const m = this.store.get(channelId, id);
    return m ? structuredClone(m) : undefined;
  }

  reactionsOn(channelId: string, messageId: string): Array<{ emoji: string; users: string[] }> {
    return this.store.reactionsOn(channelId, messageId);
  }

  webhooksOf(channelId: string): Array<{ id: string; name: string; token: string }> {
    return this.webhooks.inChannel(channelId).map((w) => ({ id: w.id, name: w.name ?? "", token: w.token }));
  }

  dmMessages(userId: string): APIMessage[] {
    const channel = this.dir.dmChannelOf(userId);
    return channel ? structuredClone(this.store.list(channel).filter((m) => m.author.id === this.bot.id)) : [];
  }

  waitFor<T>(predicate: () => T | undefined | null | false, o: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    return this.waiters.waitFor(predicate, o);
  }

  on(event: "request" | "dispatch", listener: (value: never) => void): void {
    this.events.on(event, listener as (value: unknown) => void);
  }

  async stop(): Promise<void> {
    this.waiters.abortAll("fake Discord stopped while waiting");
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- internals ---------------------------------------------------------

  /** A ViewChannel denial hides the channel's events from the bot; everything else goes to the gateway. */
  private dispatch(d: Dispatch): void {
    this.events.emit("dispatch", { t: d.t, d: d.d });
    if (!(d.channelId && this.dir.lacks(d.channelId, "ViewChannel") && d.t !== "CHANNEL_UPDATE")) {
      this.gateway.publish(d);
    }
    this.changed();
  }

  private changed(): void {
    this.waiters.changed();
  }
}

/** `<base64 user id>.<timestamp>.<hmac>`, the shape of a real bot token, random each run. */
function discordShapedToken(botId: string): string {
  return `${Buffer.from(botId).toString("base64url")}.${randomBytes(4).toString("base64url")}.${randomBytes(27).toString("base64url")}`;
}
