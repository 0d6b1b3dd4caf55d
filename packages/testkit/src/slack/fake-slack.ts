/**
 * A local Slack that the real @slack/bolt and @slack/web-api talk to: one
 * HTTP server on 127.0.0.1 with the Web API under `/api/<method>`, the Socket
 * Mode WebSocket under `/link/`, file uploads under `/upload/`, private files
 * under `/files-pri/`, and avatars and emoji images. Events go to the app
 * over Socket Mode (by default) or signed HTTP POSTs (`useHttpEvents`).
 * See index.ts for the whole contract.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tinyPng } from "../discord/png.ts";
import { Waiters } from "../fake-waiters.ts";
import { argCheck } from "./arg-check.ts";
import { CHAT_METHODS } from "./chat-methods.ts";
import { DIRECTORY_METHODS } from "./directory-methods.ts";
import { eventCallback, wrapperIssues } from "./event-wrapper.ts";
import { FILE_METHODS, handlePrivateFile, handleUpload } from "./file-methods.ts";
import type { StoredFile } from "./file-store.ts";
import { FileStore, mimetypeOf } from "./file-store.ts";
import { type HttpDelivery, HttpEvents } from "./http-events.ts";
import { IdSource, randomHex } from "./ids.ts";
import {
  type BotAction,
  type Emit,
  MessageStore,
  type Reaction,
  type SlackEvent,
  type SlackMessage,
} from "./message-store.ts";
import { type RateLimitOptions, SlackRateLimiter } from "./rate-limits.ts";
import { responseCheck } from "./response-check.ts";
import { richTextBlock } from "./rich-text.ts";
import { SlackScenarioError } from "./slack-errors.ts";
import { type DisconnectReason, type EnvelopeRecord, SocketMode } from "./socket-mode.ts";
import {
  type ForcedFailure,
  handleWebApi,
  type Pipeline,
  type SlackRequestRecord,
  type SlackWorld,
} from "./web-api.ts";
import {
  type NewSlackChannel,
  type NewSlackUser,
  type Presence,
  type SlackChannel,
  type SlackUser,
  type SlackUsergroup,
  type UserPatch,
  Workspace,
} from "./workspace.ts";

/** The bot scopes granted by default: what a chat bridge asks for. */
export const DEFAULT_BOT_SCOPES: readonly string[] = [
  "channels:history",
  "channels:join",
  "channels:read",
  "chat:write",
  "chat:write.customize",
  "dnd:read",
  "emoji:read",
  "files:read",
  "files:write",
  "groups:history",
  "groups:read",
  "im:history",
  "im:read",
  "im:write",
  "mpim:history",
  "mpim:read",
  "reactions:read",
  "reactions:write",
  "team:read",
  "usergroups:read",
  "users.profile:read",
  "users:read",
];

export interface FakeSlackOptions {
  readonly teamName?: string;
  /** The workspace's subdomain (`<domain>.slack.com` in permalinks); "parley-test" by default. */
  readonly teamDomain?: string;
  /** The bot user's display name; "Parley Bridge" by default. */
  readonly botName?: string;
  /** The bot token's scopes; DEFAULT_BOT_SCOPES by default. */
  readonly scopes?: readonly string[];
  /** Per-method limits (on by default, Slack's tiers); `false` turns counting off. */
  readonly rateLimits?: RateLimitOptions;
  /** Socket Mode: how long an envelope waits for its ack before it is sent again (3000 ms, Slack's). */
  readonly ackTimeoutMs?: number;
  /** Redeliveries of an unacknowledged envelope (3, Slack's). */
  readonly maxRetries?: number;
  /** Socket Mode server pings (10 s). */
  readonly pingIntervalMs?: number;
  /** After `disconnect("refresh_requested")`, the old socket is closed by the fake after this long (10 s). */
  readonly refreshGraceMs?: number;
  /** The app's event subscriptions (`message.channels`, `reaction_added`..., or `message` for every message event); all by default. */
  readonly events?: readonly string[];
  /** "reject" (default): an argument the method does not take is invalid_arguments; "ignore": let through, as Slack does. Either way it is a `violations` line. */
  readonly unknownArguments?: "reject" | "ignore";
  /** Where Slack's Web API description is; `PARLEY_SLACK_OPENAPI`, else the package's vendored copy. */
  readonly openapiPath?: string;
}

export interface SlackPostOptions {
  /** A reply in this message's thread. */
  readonly threadTs?: string;
  /** A reply also sent to the channel (subtype thread_broadcast). */
  readonly broadcast?: boolean;
  /** The message's blocks; a rich_text block made from the text by default; `false` for none. */
  readonly blocks?: unknown[] | false;
  /** Files shared with the message (subtype file_share), each at a url_private needing the bot token. */
  readonly files?: ReadonlyArray<{ name: string; bytes?: Uint8Array; mimetype?: string; title?: string }>;
}

export interface FakeSlack {
  /** Pass as `clientOptions: { slackApiUrl: fake.apiUrl }` (ends with `/api/`). */
  readonly apiUrl: string;
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** The bot token (`xoxb-...`) the Web API accepts. */
  readonly botToken: string;
  /** The app-level token (`xapp-...`) apps.connections.open accepts. */
  readonly appToken: string;
  /** Signs HTTP event deliveries (X-Slack-Signature v0). */
  readonly signingSecret: string;
  /** The legacy verification token put in event payloads (`token`). */
  readonly verificationToken: string;
  readonly teamId: string;
  readonly appId: string;
  readonly botId: string;
  /** The bot user (users.info shape). */
  readonly botUser: SlackUser;

  // --- scenario ---
  createUser(o: NewSlackUser): SlackUser;
  /** Changes name/profile/status and sends user_change. */
  updateUser(id: string, patch: UserPatch): SlackUser;
  /** users.getPresence answers it from now on. The Events API has no presence event (it is RTM-only), so nothing is sent. */
  setPresence(id: string, presence: Presence): void;
  /**
   * The user's Do Not Disturb: a snooze (`snoozeMinutes`, or `snoozeUntil`
   * for a short one), a scheduled window, or `off`. dnd.teamInfo answers it
   * from now on. No event is sent: dnd_updated_user is for user tokens only
   * (the vendored events description), not a bot's subscription.
   */
  setDnd(
    id: string,
    dnd: { snoozeMinutes: number } | { snoozeUntil: Date } | { window: { start: Date; end: Date } } | { off: true },
  ): void;
  /** A channel; the bot is a member unless `bot: false`. */
  createChannel(o: NewSlackChannel): SlackChannel;
  /** The user joins: member_joined_channel (the bot too: `joinChannel(c, fake.botUser.id)`). */
  joinChannel(channel: string, user: string): void;
  leaveChannel(channel: string, user: string): void;
  /** The bot's DM with a user (`D...`): `post(dm.id, user, ...)` is the user writing to the bot. */
  openDm(user: string): SlackChannel;
  /** Creates a usergroup and sends subteam_created. */
  createUsergroup(o: { handle: string; name?: string; users?: readonly string[] }): SlackUsergroup;
  /** Renames a usergroup and sends subteam_updated. */
  updateUsergroup(id: string, patch: { handle?: string; name?: string; description?: string }): SlackUsergroup;
  /** A custom emoji (an image the fake serves, or `alias:<name>`), sending emoji_changed. */
  addEmoji(name: string, value?: string): void;
  /** A user posts: a `message` event (file_share with files, thread replies with thread_ts). */
  post(channel: string, user: string, text: string, o?: SlackPostOptions): SlackMessage;
  /** The author edits: message_changed. */
  edit(channel: string, ts: string, text: string, o?: { blocks?: unknown[] | false }): SlackMessage;
  /** message_deleted. */
  remove(channel: string, ts: string): void;
  /** reaction_added / reaction_removed. */
  react(channel: string, ts: string, user: string, name: string, action?: "add" | "remove"): void;
  /** Delivers an event as given, in an event_callback wrapper (for hostile or unusual payloads). */
  deliverEvent(event: SlackEvent): void;

  // --- delivery ---
  /** Events go as signed POSTs to `url` from now on (Socket Mode stays available). */
  useHttpEvents(o: { url: string; timeoutMs?: number; retryDelayMs?: number; maxRetries?: number }): void;
  /** Events go over Socket Mode again. */
  useSocketMode(): void;
  /** The url_verification handshake with the HTTP URL: true when the app echoed the challenge. */
  verifyRequestUrl(): Promise<boolean>;
  /** An event POSTed signed with another secret, or with the body changed after signing: the app must refuse it. */
  deliverBadlySigned(event: SlackEvent, how: "wrong-secret" | "tampered"): HttpDelivery;

  // --- failures ---
  /** The next `count` (1) calls of `method` ("*": any) fail with `error` (internal_error); "ratelimited" is a 429 with Retry-After. */
  failNext(
    method: string,
    o?: { error?: string; count?: number; retryAfterSeconds?: number; extra?: Record<string, unknown> },
  ): void;
  /** Shorthand for failNext(method, { error: "ratelimited", ... }). */
  rateLimitNext(method: string, o?: { retryAfterSeconds?: number; count?: number }): void;
  /** The bot token answers token_revoked from now on. */
  revokeToken(): void;
  /** Replaces the bot token's scopes. */
  setScopes(scopes: readonly string[]): void;
  /** Sends Socket Mode `disconnect`; link_disabled also refuses new connections until `enableSocketMode()`. */
  disconnect(reason: DisconnectReason): void;
  enableSocketMode(): void;
  /** Cuts every Socket Mode connection without a close frame. */
  dropSockets(): void;
  /**
   * The events that found no Socket Mode connection (the app was away) are
   * given up, as Slack does once the app has been away longer than its
   * retries reach: they are never sent (their envelopes are failed).
   * Returns how many.
   */
  giveUpUndelivered(): number;
  /** The next `n` acks are lost: their envelopes are redelivered with retry_attempt + 1. */
  loseAcks(n: number): void;
  /** The client's Socket Mode pings are answered `ms` late from now on (0: at once, the default). */
  setPongDelay(ms: number): void;
  /**
   * For hostile tests: sends `frame` as it is on the newest Socket Mode
   * connection (a string unchanged, anything else as JSON), outside the
   * fake's envelope bookkeeping (no redelivery; its ack lands in
   * `strayAcks`). False when no connection is open.
   */
  sendRawFrame(frame: unknown): boolean;
  /** The event_callback wrapper Slack would put `event` in, without delivering it (for `sendRawFrame`). */
  eventPayload(event: SlackEvent): Record<string, unknown>;
  /** Acks whose envelope_id matched no envelope the fake sent (raw frames' acks among them), in order. */
  readonly strayAcks: readonly string[];

  // --- what happened ---
  /** The user with this `name` (users.info shape), if any. */
  userNamed(name: string): SlackUser | undefined;
  /** The channel's messages now, oldest first, replies included. */
  messages(channel: string): SlackMessage[];
  message(channel: string, ts: string): SlackMessage | undefined;
  /** What the bot did in the channel, in order: posts (with username, icon_url, thread_ts, blocks, files), updates, deletions, reactions. */
  botActions(channel: string): BotAction[];
  /** botActions of kind "post". */
  botPosts(channel: string): BotAction[];
  /** The bot's posts in its DM with the user (empty when there is no DM). */
  dmPosts(user: string): BotAction[];
  reactionsOn(channel: string, ts: string): Reaction[];
  /** A file with its bytes (uploaded by the bot or shared by a user). */
  file(id: string): StoredFile | undefined;
  /** Every Web API call, in order. */
  readonly requests: ReadonlyArray<SlackRequestRecord>;
  /** Calls Slack would refuse or that use arguments the method does not take, and payload shape problems. */
  readonly violations: ReadonlyArray<string>;
  /** Every Socket Mode envelope, with sends, acks and failures. */
  readonly envelopes: ReadonlyArray<EnvelopeRecord>;
  /** Every HTTP event delivery, with its attempts. */
  readonly httpDeliveries: ReadonlyArray<HttpDelivery>;
  /** Socket Mode connections accepted so far, open now, and pongs sent in answer to the client's pings. */
  readonly connections: { readonly opened: number; readonly open: number; readonly pongs: number };
  waitFor<T>(predicate: () => T | undefined | null | false, o?: { timeoutMs?: number; what?: string }): Promise<T>;
  /** Resolves with the channel's first `n` bot posts. */
  waitForPosts(channel: string, n: number, o?: { timeoutMs?: number }): Promise<BotAction[]>;
  /** Resolves once `n` Socket Mode connections have been opened and one is open. */
  waitForConnection(n?: number, o?: { timeoutMs?: number }): Promise<void>;
  /** Resolves once every envelope sent so far is acknowledged. */
  waitForAcks(o?: { timeoutMs?: number }): Promise<void>;
  on(event: "request", listener: (r: SlackRequestRecord) => void): void;
  on(event: "event", listener: (payload: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

/** Starts a fake Slack on a free port of 127.0.0.1. */
export async function startFakeSlack(o: FakeSlackOptions = {}): Promise<FakeSlack> {
  const check = argCheck(o.openapiPath);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return new RunningFakeSlack(server, port, check, o);
}

class RunningFakeSlack implements FakeSlack {
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret = randomHex(16);
  readonly verificationToken = randomBytes(18).toString("base64url").slice(0, 24);
  readonly requests: SlackRequestRecord[] = [];
  readonly violations: string[] = [];

  private readonly server: Server;
  private readonly ids = new IdSource();
  private readonly ws: Workspace;
  private readonly store: MessageStore;
  private readonly files: FileStore;
  private readonly socket: SocketMode;
  private readonly events = new EventEmitter();
  private readonly waiters: Waiters;
  private readonly failures: ForcedFailure[] = [];
  private readonly subscribed: ReadonlySet<string> | undefined;
  private scopeList: string[];
  private revoked = false;
  private http: HttpEvents | undefined;
  private readonly httpLog: HttpDelivery[] = [];

  constructor(server: Server, port: number, check: ReturnType<typeof argCheck>, o: FakeSlackOptions) {
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.ws = new Workspace({
      ids: this.ids,
      assetsUrl: this.baseUrl,
      teamName: o.teamName ?? "Parley Test",
      teamDomain: o.teamDomain ?? "parley-test",
      botName: o.botName ?? "Parley Bridge",
    });
    this.botToken = `xoxb-${digits(12)}-${digits(13)}-${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 24)}`;
    this.appToken = `xapp-1-${this.ws.appId}-${digits(13)}-${randomHex(32)}`;
    this.scopeList = [...(o.scopes ?? DEFAULT_BOT_SCOPES)];
    this.subscribed = o.events ? new Set(o.events) : undefined;
    this.waiters = new Waiters({
      fake: "fake Slack",
      recentLabel: "last Web API calls",
      recentRequests: () => this.requests.slice(-8).map((r) => `${r.method} -> ${r.ok ? "ok" : r.error}`),
      defaultTimeoutMs: 10_000,
    });
    const emit: Emit = (event, scope) => this.emitEvent(event, scope);
    this.store = new MessageStore({ ids: this.ids, ws: this.ws, emit });
    this.files = new FileStore({
      ids: this.ids,
      baseUrl: this.baseUrl,
      teamId: this.ws.teamId,
      teamDomain: this.ws.teamDomain,
    });
    this.socket = new SocketMode({
      baseUrl: this.baseUrl,
      appId: this.ws.appId,
      changed: () => this.changed(),
      ...(o.ackTimeoutMs !== undefined ? { ackTimeoutMs: o.ackTimeoutMs } : {}),
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
      ...(o.pingIntervalMs !== undefined ? { pingIntervalMs: o.pingIntervalMs } : {}),
      ...(o.refreshGraceMs !== undefined ? { refreshGraceMs: o.refreshGraceMs } : {}),
    });
    const world: SlackWorld = {
      ws: this.ws,
      store: this.store,
      files: this.files,
      ids: this.ids,
      socket: this.socket,
      baseUrl: this.baseUrl,
      hasScope: (s) => this.scopeList.includes(s),
      recordAction: (a) => {
        this.store.recordAction(a);
        this.changed();
      },
      memberJoined: (channel, user) => this.sendMemberJoined(channel, user),
      botFields: () => this.botFields(),
    };
    const pipeline: Pipeline = {
      world,
      methods: { ...DIRECTORY_METHODS, ...CHAT_METHODS, ...FILE_METHODS },
      check,
      responses: responseCheck(check.specPath),
      limiter: new SlackRateLimiter(o.rateLimits),
      failures: this.failures,
      tokens: () => ({ bot: this.botToken, app: this.appToken, revokedBot: this.revoked }),
      scopes: () => this.scopeList,
      unknownArguments: o.unknownArguments ?? "reject",
      record: (r) => {
        this.requests.push(r);
        this.events.emit("request", r);
        this.changed();
      },
      violation: (v) => this.violations.push(v),
    };
    server.on("request", (req, res) => {
      const url = new URL(req.url ?? "/", this.baseUrl);
      const path = url.pathname;
      const fail = (e: unknown) => {
        this.violations.push(`fake Slack failed on ${path}: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ ok: false, error: "internal_error" }));
      };
      try {
        if (path.startsWith("/api/")) {
          handleWebApi(pipeline, req, res, url).catch(fail);
        } else if (path.startsWith("/upload/v1/")) {
          handleUpload(world, path.slice("/upload/v1/".length), req, res)
            .then((v) => {
              if (v) this.violations.push(v);
              this.changed();
            })
            .catch(fail);
        } else if (path.startsWith("/files-pri/")) {
          handlePrivateFile(
            world,
            path.slice("/files-pri/".length),
            req,
            res,
            this.revoked ? undefined : this.botToken,
          );
        } else if (/^\/(avatars|emoji)\//.test(path)) {
          const seed = path.replace(/\.png$/, "");
          const size = Number(/\/(\d+)\.png$/.exec(path)?.[1] ?? 64);
          res.writeHead(200, { "Content-Type": "image/png" });
          res.end(Buffer.from(tinyPng(seed, Math.min(size, 128))));
        } else {
          res.writeHead(404, { "Content-Type": "text/plain" });
          res.end("Not Found");
        }
      } catch (e) {
        fail(e);
      }
    });
    server.on("upgrade", (req, socket, head) => {
      const path = new URL(req.url ?? "/", this.baseUrl).pathname;
      if (path === "/link/" || path === "/link") this.socket.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  get teamId(): string {
    return this.ws.teamId;
  }

  get appId(): string {
    return this.ws.appId;
  }

  get botId(): string {
    return this.ws.botId;
  }

  get botUser(): SlackUser {
    return structuredClone(this.ws.botUser);
  }

  // --- scenario ----------------------------------------------------------

  createUser(o: NewSlackUser): SlackUser {
    const u = this.ws.createUser(o);
    this.emitEvent({ type: "team_join", user: structuredClone(u), event_ts: this.ids.ts() }, {});
    return structuredClone(u);
  }

  updateUser(id: string, patch: UserPatch): SlackUser {
    const u = this.ws.updateUser(id, patch);
    this.emitEvent(
      {
        type: "user_change",
        user: structuredClone(u),
        cache_ts: Math.floor(Date.now() / 1000),
        event_ts: this.ids.ts(),
      },
      {},
    );
    return structuredClone(u);
  }

  setPresence(id: string, presence: Presence): void {
    this.ws.setPresence(id, presence);
    this.changed();
  }

  userNamed(name: string): SlackUser | undefined {
    const u = this.ws.allUsers().find((x) => x.name === name);
    return u && structuredClone(u);
  }

  setDnd(
    id: string,
    dnd: { snoozeMinutes: number } | { snoozeUntil: Date } | { window: { start: Date; end: Date } } | { off: true },
  ): void {
    const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
    if ("off" in dnd) this.ws.setDnd(id, undefined);
    else if ("window" in dnd)
      this.ws.setDnd(id, { window: { start: seconds(dnd.window.start), end: seconds(dnd.window.end) } });
    else {
      const until = "snoozeUntil" in dnd ? dnd.snoozeUntil : new Date(Date.now() + dnd.snoozeMinutes * 60_000);
      this.ws.setDnd(id, { snoozeEnd: seconds(until) });
    }
    this.changed();
  }

  createChannel(o: NewSlackChannel): SlackChannel {
    return structuredClone(this.ws.createChannel(o));
  }

  joinChannel(channel: string, user: string): void {
    if (this.ws.join(channel, user)) this.sendMemberJoined(channel, user);
  }

  leaveChannel(channel: string, user: string): void {
    const c = this.ws.requireChannel(channel);
    const wasBotIn = this.ws.botIsMember(channel);
    if (!this.ws.leave(channel, user)) return;
    const event = {
      type: "member_left_channel",
      user,
      channel,
      channel_type: c.is_private ? "G" : "C",
      team: this.ws.teamId,
      event_ts: this.ids.ts(),
    };
    // The bot hears of its own removal although it is no longer a member.
    if (user === this.ws.botUser.id && wasBotIn) this.emitEvent(event, {});
    else this.emitEvent(event, { channel });
  }

  openDm(user: string): SlackChannel {
    return structuredClone(this.ws.openDm(user));
  }

  createUsergroup(o: { handle: string; name?: string; users?: readonly string[] }): SlackUsergroup {
    const g = this.ws.createUsergroup(o);
    const { users: _users, ...subteam } = structuredClone(g);
    this.emitEvent({ type: "subteam_created", subteam, event_ts: this.ids.ts() }, {});
    return structuredClone(g);
  }

  updateUsergroup(id: string, patch: { handle?: string; name?: string; description?: string }): SlackUsergroup {
    const g = this.ws.updateUsergroup(id, patch);
    this.emitEvent({ type: "subteam_updated", subteam: structuredClone(g), event_ts: this.ids.ts() }, {});
    return structuredClone(g);
  }

  addEmoji(name: string, value?: string): void {
    const v = this.ws.addEmoji(name, value);
    this.emitEvent({ type: "emoji_changed", subtype: "add", name, value: v, event_ts: this.ids.ts() }, {});
  }

  post(channel: string, user: string, text: string, o: SlackPostOptions = {}): SlackMessage {
    this.ws.requireChannel(channel);
    this.ws.requireUser(user);
    if (!this.ws.isMember(channel, user)) {
      throw new SlackScenarioError(`user ${user} is not in channel ${channel} (joinChannel first)`);
    }
    if (o.threadTs !== undefined) this.store.requireMessage(channel, o.threadTs);
    const blocks =
      o.blocks === false ? undefined : (o.blocks ?? (text ? [richTextBlock(text, randomHex(3))] : undefined));
    const files = (o.files ?? []).map((f) =>
      this.files.create({
        user,
        name: f.name,
        ...(f.title !== undefined ? { title: f.title } : {}),
        mimetype: f.mimetype ?? mimetypeOf(f.name),
        bytes: f.bytes ?? tinyPng(f.name),
      }),
    );
    const m = this.store.add(channel, {
      ...(files.length > 0 ? { subtype: "file_share", upload: false, display_as_bot: false } : {}),
      ...(o.broadcast && o.threadTs ? { subtype: "thread_broadcast" } : {}),
      user,
      text,
      ...(blocks ? { blocks } : {}),
      team: this.ws.teamId,
      client_msg_id: randomUUID(),
      ...(o.threadTs !== undefined ? { thread_ts: o.threadTs } : {}),
      ...(files.length > 0 ? { files: files.map((f) => structuredClone(f.file)) } : {}),
    });
    const kind = this.ws.channelType(channel);
    for (const f of files)
      this.files.shareIn(f.file.id, channel, kind === "channel" ? "channels" : kind === "im" ? "ims" : "groups", m.ts);
    return structuredClone(m);
  }

  edit(channel: string, ts: string, text: string, o: { blocks?: unknown[] | false } = {}): SlackMessage {
    const m = this.store.requireMessage(channel, ts);
    const blocks =
      o.blocks === false
        ? undefined
        : (o.blocks ?? (m.blocks && text ? [richTextBlock(text, randomHex(3))] : undefined));
    return structuredClone(this.store.edit(channel, ts, m.user ?? "", { text, ...(blocks ? { blocks } : {}) }));
  }

  remove(channel: string, ts: string): void {
    this.store.requireMessage(channel, ts);
    this.store.remove(channel, ts);
  }

  react(channel: string, ts: string, user: string, name: string, action: "add" | "remove" = "add"): void {
    this.store.requireMessage(channel, ts);
    this.ws.requireUser(user);
    this.store.react(channel, ts, user, name, action);
  }

  deliverEvent(event: SlackEvent): void {
    this.dispatch(event);
  }

  // --- delivery ----------------------------------------------------------

  useHttpEvents(o: { url: string; timeoutMs?: number; retryDelayMs?: number; maxRetries?: number }): void {
    this.http?.stop();
    this.http = new HttpEvents({ ...o, signingSecret: this.signingSecret }, () => this.changed());
  }

  useSocketMode(): void {
    this.http?.stop();
    this.http = undefined;
  }

  verifyRequestUrl(): Promise<boolean> {
    if (!this.http) throw new SlackScenarioError("verifyRequestUrl needs useHttpEvents first");
    return this.http.verifyUrl(this.verificationToken);
  }

  deliverBadlySigned(event: SlackEvent, how: "wrong-secret" | "tampered"): HttpDelivery {
    if (!this.http) throw new SlackScenarioError("deliverBadlySigned needs useHttpEvents first");
    const payload = eventCallback(this.wrapperContext(), { event_ts: this.ids.ts(), ...event }, this.ids.id("Ev"));
    const d = this.http.deliver(payload, how === "tampered" ? { tamper: true } : { signingSecret: randomHex(16) });
    this.httpLog.push(d);
    return d;
  }

  // --- failures ----------------------------------------------------------

  failNext(
    method: string,
    o: { error?: string; count?: number; retryAfterSeconds?: number; extra?: Record<string, unknown> } = {},
  ): void {
    this.failures.push({
      method,
      error: o.error ?? "internal_error",
      left: o.count ?? 1,
      ...(o.retryAfterSeconds !== undefined ? { retryAfterSeconds: o.retryAfterSeconds } : {}),
      ...(o.extra ? { extra: o.extra } : {}),
    });
  }

  rateLimitNext(method: string, o: { retryAfterSeconds?: number; count?: number } = {}): void {
    this.failNext(method, { error: "ratelimited", ...o });
  }

  revokeToken(): void {
    this.revoked = true;
  }

  setScopes(scopes: readonly string[]): void {
    this.scopeList = [...scopes];
  }

  disconnect(reason: DisconnectReason): void {
    this.socket.disconnect(reason);
  }

  enableSocketMode(): void {
    this.socket.setEnabled(true);
  }

  dropSockets(): void {
    this.socket.drop();
  }

  setPongDelay(ms: number): void {
    this.socket.setPongDelay(ms);
  }

  giveUpUndelivered(): number {
    return this.socket.giveUpWaiting();
  }

  loseAcks(n: number): void {
    this.socket.loseAcks(n);
  }

  sendRawFrame(frame: unknown): boolean {
    return this.socket.sendRaw(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  eventPayload(event: SlackEvent): Record<string, unknown> {
    return eventCallback(this.wrapperContext(), { event_ts: this.ids.ts(), ...event }, this.ids.id("Ev"));
  }

  get strayAcks(): readonly string[] {
    return this.socket.strayAcks;
  }

  // --- what happened -----------------------------------------------------

  messages(channel: string): SlackMessage[] {
    this.ws.requireChannel(channel);
    return structuredClone(this.store.list(channel));
  }

  message(channel: string, ts: string): SlackMessage | undefined {
    const m = this.store.get(channel, ts);
    return m ? structuredClone(m) : undefined;
  }

  botActions(channel: string): BotAction[] {
    return structuredClone([...this.store.botActions(channel)]);
  }

  botPosts(channel: string): BotAction[] {
    return this.botActions(channel).filter((a) => a.kind === "post");
  }

  dmPosts(user: string): BotAction[] {
    const dm = this.ws.dmOf(user);
    return dm ? this.botPosts(dm) : [];
  }

  reactionsOn(channel: string, ts: string): Reaction[] {
    return structuredClone(this.store.get(channel, ts)?.reactions ?? []);
  }

  file(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  get envelopes(): ReadonlyArray<EnvelopeRecord> {
    return this.socket.records;
  }

  get httpDeliveries(): ReadonlyArray<HttpDelivery> {
    return this.httpLog;
  }

  get connections(): { readonly opened: number; readonly open: number; readonly pongs: number } {
    return { opened: this.socket.connectionsOpened, open: this.socket.openConnections, pongs: this.socket.pongsSent };
  }

  waitFor<T>(predicate: () => T | undefined | null | false, o: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    return this.waiters.waitFor(predicate, o);
  }

  waitForPosts(channel: string, n: number, o: { timeoutMs?: number } = {}): Promise<BotAction[]> {
    return this.waitFor(
      () => {
        const posts = this.botPosts(channel);
        return posts.length >= n ? posts.slice(0, n) : undefined;
      },
      { ...o, what: `${n} bot posts in ${channel}` },
    );
  }

  async waitForConnection(n = 1, o: { timeoutMs?: number } = {}): Promise<void> {
    await this.waitFor(() => this.socket.connectionsOpened >= n && this.socket.openConnections > 0, {
      ...o,
      what: `Socket Mode connection number ${n}`,
    });
  }

  async waitForAcks(o: { timeoutMs?: number } = {}): Promise<void> {
    await this.waitFor(() => this.socket.records.every((r) => r.acked || r.failed), {
      ...o,
      what: "every envelope acknowledged",
    });
  }

  on(event: "request" | "event", listener: (value: never) => void): void {
    this.events.on(event, listener as (value: unknown) => void);
  }

  async stop(): Promise<void> {
    this.waiters.abortAll("fake Slack stopped while waiting");
    this.http?.stop();
    await this.socket.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- internals ---------------------------------------------------------

  private botFields(): Record<string, unknown> {
    const image = this.ws.botUser.profile.image_72;
    return {
      bot_id: this.ws.botId,
      app_id: this.ws.appId,
      bot_profile: {
        id: this.ws.botId,
        app_id: this.ws.appId,
        name: this.ws.botUser.real_name,
        icons: { image_36: image, image_48: image, image_72: image },
        deleted: false,
        updated: this.ws.botUser.updated,
        team_id: this.ws.teamId,
      },
    };
  }

  private sendMemberJoined(channel: string, user: string): void {
    const c = this.ws.requireChannel(channel);
    this.emitEvent(
      {
        type: "member_joined_channel",
        user,
        channel,
        channel_type: c.is_private ? "G" : "C",
        team: this.ws.teamId,
        event_ts: this.ids.ts(),
      },
      { channel },
    );
  }

  /** Events of a channel reach the app only while its bot is a member, and only subscribed types. */
  private emitEvent(event: SlackEvent, scope: { channel?: string }): void {
    if (scope.channel && !this.ws.botIsMember(scope.channel)) return;
    if (this.subscribed && !this.subscribed.has(event.type) && !this.subscribed.has(subscriptionOf(event))) return;
    this.dispatch(event);
  }

  private dispatch(event: SlackEvent): void {
    const payload = eventCallback(this.wrapperContext(), { event_ts: this.ids.ts(), ...event }, this.ids.id("Ev"));
    for (const issue of wrapperIssues(payload)) this.violations.push(`event ${event.type}: ${issue}`);
    this.events.emit("event", payload);
    if (this.http) this.httpLog.push(this.http.deliver(payload));
    else this.socket.deliver("events_api", payload);
    this.changed();
  }

  private wrapperContext() {
    return {
      verificationToken: this.verificationToken,
      teamId: this.ws.teamId,
      appId: this.ws.appId,
      botUserId: this.ws.botUser.id,
    };
  }

  private changed(): void {
    this.waiters.changed();
  }
}

/** The Events API subscription a message event comes under: message.channels, message.groups, message.im, message.mpim. */
function subscriptionOf(event: SlackEvent): string {
  if (event.type !== "message") return event.type;
  const t = event.channel_type;
  return t === "channel" ? "message.channels" : t === "group" ? "message.groups" : `message.${String(t)}`;
}

function digits(n: number): string {
  let s = "";
  while (s.length < n) s += String(randomBytes(4).readUInt32BE(0));
  return s.slice(0, n);
}
