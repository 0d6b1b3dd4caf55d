/**
 * The Slack connector, assembled: a Bolt app (Socket Mode by default, the
 * HTTP Events API with signature verification as the option) whose events
 * are queued in order and handed to the engine by `IncomingEvents`; the
 * engine's catch-up asked for at start and after every reconnection
 * (reading Slack's history through `SlackHistory`);
 * members' presence polled within Slack's rate limits; the engine's
 * requests as Web API calls (`SlackPosts`). Every Web API failure goes
 * through `SlackFailures`, which classifies it for the delivery queue and
 * tells the admins what to fix.
 *
 * Slack has no typing indicator for bots in the Events API (only the
 * legacy RTM API had one), so `typing` is off.
 */
import type { AddressInfo } from "node:net";
import {
  type ChannelLimits,
  type Connector,
  type ConnectorCapabilities,
  type ConnectorHost,
  type DeleteRequest,
  type DirectRequest,
  type DirectTarget,
  describeFailure,
  type EditRequest,
  type FindDirectRequest,
  type FindPostedRequest,
  type HistoryPage,
  type HistoryRequest,
  type Logger,
  OrderedLines,
  type OutgoingMessage,
  type ReactRequest,
  type RemoteUser,
  silentLogger,
  TransientError,
} from "@parley/bridge";
import { App, HTTPReceiver, SocketModeReceiver, type webApi } from "@slack/bolt";
import { ActiveThreads } from "./active-threads.ts";
import { boltLogger } from "./bolt-logger.ts";
import { SLACK_HISTORY, SlackHistory } from "./catch-up.ts";
import type { SlackOptions } from "./config.ts";
import { SlackDirectory } from "./directory.ts";
import { DmChannels } from "./dm-channels.ts";
import { HandledOnce } from "./handled-once.ts";
import { IncomingEvents } from "./incoming-events.ts";
import { MemberPresence } from "./member-presence.ts";
import { SLACK_LIMITS, SlackPosts, slackDirectLimits } from "./outgoing-posts.ts";
import { SlackFailures, slackErrorCode } from "./slack-failures.ts";
import { type FrameEmitter, guardSocketFrames } from "./socket-frame-guard.ts";

/** How long `stop` waits for events already received to reach the engine. */
const STOP_DRAIN_MS = 10_000;
/**
 * Bolt runs each event's listeners as the event arrives, concurrently; the
 * engine needs them in the order Slack sent them, so they go through this one
 * line (catch-up included, ahead of the events after a connection).
 */
const EVENTS_LINE = "events";
/** How long handled envelopes and messages are remembered (redeliveries come within minutes, catch-up within a day). */
const HANDLED_TTL_MS = 3 * 24 * 3_600_000;

const TOKEN_CODES = new Set(["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"]);

export interface SlackConnectorContext {
  /** Used until `start` hands over the engine's logger. */
  readonly logger?: Logger;
  /** Whether XMPP users' files may be downloaded from private addresses (the engine's `media.allowPrivateAddresses`). */
  readonly allowPrivateAddresses?: boolean;
}

/**
 * The WebClient's options: no retries and no waiting out rate limits
 * inside the client. A retry there would post a message twice when Slack
 * did the work but the answer was lost, and would hold the room's lane
 * blind; the engine's delivery queue retries instead, after Retry-After.
 */
export function webClientOptions(o: Pick<SlackOptions, "apiUrl">): webApi.WebClientOptions {
  return {
    ...(o.apiUrl !== undefined && { slackApiUrl: o.apiUrl }),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
  };
}

/** Everything that exists while the connector runs. */
interface Running {
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly app: App;
  readonly client: webApi.WebClient;
  readonly directory: SlackDirectory;
  readonly queue: OrderedLines;
  readonly once: HandledOnce;
  readonly events: IncomingEvents;
  readonly posts: SlackPosts;
  readonly dms: DmChannels;
  readonly threads: ActiveThreads;
  readonly history: SlackHistory;
  readonly presence: MemberPresence | undefined;
  readonly receiver: SocketModeReceiver | HTTPReceiver;
}

export class SlackConnector implements Connector {
  readonly network = "slack";
  readonly displayName = "Slack";
  /** Replies, files, threads and presence; the rest is on where a method stands for it (`edit`, `react`...). */
  readonly capabilities: ConnectorCapabilities = {
    replies: true,
    attachments: true,
    threads: true,
    // A Slack answer is a thread reply: the engine puts XMPP replies in the answered message's thread.
    repliesInThreads: true,
    presence: true,
  };
  /** Catch-up reads Slack's history (`history`); a thread's replies come in its channel's. */
  readonly historyOptions = SLACK_HISTORY;
  readonly options: SlackOptions;
  private readonly initialLogger: Logger;
  private readonly allowPrivateAddresses: boolean;
  private running: Running | undefined;
  private stopping = false;
  private stopped = false;
  /** The address the HTTP Events listener is bound to (HTTP mode), for tools and tests. */
  httpAddress: AddressInfo | undefined;

  constructor(options: SlackOptions, context: SlackConnectorContext = {}) {
    this.options = options;
    this.initialLogger = context.logger ?? silentLogger;
    this.allowPrivateAddresses = context.allowPrivateAddresses === true;
  }

  cacheSizes(): Record<string, number> {
    const r = this.running;
    if (!r) return {};
    return {
      "slack.directory": r.directory.size,
      "slack.dms": r.dms.size,
      "slack.handled": r.once.size,
      "slack.presence": r.presence?.size ?? 0,
      "slack.dndTimers": r.presence?.dndTimerCount ?? 0,
      "slack.queued": r.queue.size,
    };
  }

  /** Resolves once every event received so far has been handed to the engine. */
  idle(): Promise<void> {
    return this.running?.queue.idle() ?? Promise.resolve();
  }

  async start(host: ConnectorHost): Promise<void> {
    if (this.running) throw new Error("the Slack connector is already started");
    this.stopped = false;
    const logger = host.logger ?? this.initialLogger;
    const r = this.assemble(host, logger);
    try {
      await r.app.init();
      const auth = await r.client.auth.test().catch((e: unknown) => {
        throw this.startError(e);
      });
      if (typeof auth.user_id !== "string") throw new Error("Slack's auth.test named no bot user");
      r.directory.bot = { userId: auth.user_id, ...(typeof auth.bot_id === "string" && { botId: auth.bot_id }) };
      await r.directory.readUsergroups();
      this.running = r;
      if (this.options.mode === "http") {
        const server = await (r.receiver as HTTPReceiver).start({ port: this.options.port, host: this.options.host });
        this.httpAddress = server.address() as AddressInfo;
        host.connected(true);
        this.afterConnect(r, "start");
      } else {
        await (r.receiver as SocketModeReceiver).start();
      }
    } catch (e) {
      this.running = undefined;
      // The start's own failure is what is thrown; Bolt failing to stop what never started adds nothing.
      await r.app.stop().catch(() => undefined);
      throw e;
    }
    logger.info("connected to Slack", { mode: this.options.mode, team: undefined, bot: r.directory.bot?.userId });
    if (r.presence) {
      const presence = r.presence;
      void presence.start(host.linkedChannels()).catch((e: unknown) => {
        logger.warn("members' presence could not be read", { error: String(e) });
      });
    }
  }

  /** A bad token at start names the setting to fix. */
  private startError(e: unknown): Error {
    const code = slackErrorCode(e);
    if (code !== undefined && TOKEN_CODES.has(code))
      return new Error(
        `Slack refused connectors.slack.botToken (${code}): put the Bot User OAuth Token (xoxb-...) of the installed app there`,
        { cause: e },
      );
    return new Error(`Slack could not be reached at start: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }

  private assemble(host: ConnectorHost, logger: Logger): Running {
    const o = this.options;
    const boltLog = boltLogger(logger);
    const clientOptions = webClientOptions(o);
    const receiver =
      o.mode === "http"
        ? new HTTPReceiver({
            signingSecret: o.signingSecret ?? "",
            endpoints: o.path,
            logger: boltLog,
            // Slack's retries of an unacknowledged request come back with the same event_id: HandledOnce drops them.
            unhandledRequestTimeoutMillis: 3000,
          })
        : new SocketModeReceiver({
            appToken: o.appToken ?? "",
            logger: boltLog,
            installerOptions: { clientOptions },
            // See DEFAULT_CLIENT_PING_TIMEOUT_SECONDS: the library's 5 s reconnects in storms under load.
            clientPingTimeout: o.clientPingTimeoutSeconds * 1000,
            serverPingTimeout: o.serverPingTimeoutSeconds * 1000,
          });
    const app = new App({
      token: o.botToken,
      receiver,
      logger: boltLog,
      clientOptions,
      deferInitialization: true,
      ignoreSelf: true,
      // The bridge keeps no per-conversation state in Bolt; its default store looked each event's conversation up
      // and, finding none, built an Error (with its stack) per event.
      convoStore: false,
    });
    const client = app.client;
    const directory = new SlackDirectory(client, logger);
    const failures = new SlackFailures({
      logger,
      notifyAdmins: (text) => host.notifyAdmins(text),
      channelLabel: (id) => directory.channelLabel(id),
    });
    // Unbounded: each Bolt listener waits for its event's turn; a failure is logged and the line goes on.
    const queue = new OrderedLines({
      maxPerKey: Number.POSITIVE_INFINITY,
      onError: (_line, e, what) =>
        logger.error("a Slack event could not be handed to the engine", {
          event: what,
          error: e instanceof Error ? e.message : String(e),
        }),
    });
    const once = new HandledOnce(host.state, HANDLED_TTL_MS, logger);
    const dms = new DmChannels({ state: host.state, client, failures });
    const threads = new ActiveThreads(host.state, logger);
    const posts = new SlackPosts({
      client,
      state: host.state,
      failures,
      dms,
      logger,
      allowPrivateAddresses: this.allowPrivateAddresses,
    });
    const presence = o.presence
      ? new MemberPresence({ client, host, logger, directory, failures, intervalMs: o.presenceIntervalSeconds * 1000 })
      : undefined;
    const events = new IncomingEvents({
      host,
      logger,
      directory,
      once,
      botToken: o.botToken,
      ...(o.apiUrl !== undefined && { apiUrl: o.apiUrl }),
      handed: (channel, ts, thread) => rememberReply(channel, ts, thread),
      // Queued: asking a joiner's presence waits for a users.getPresence slot, which the events behind must not.
      membershipChanged: (channel, user, kind) => {
        if (kind === "leave") presence?.left(channel, user);
        else presence?.joined(channel, user);
      },
      accountChanged: (user, kind) => {
        if (kind === "deactivated") presence?.deactivated(user);
        else presence?.reactivated(user);
      },
    });
    // A reply's thread: where the next catch-up looks for replies (where XMPP answers go is the engine's).
    const rememberReply = (channel: string, _ts: string, thread: string | undefined) => {
      if (thread !== undefined) threads.noted(channel, thread);
    };
    const history = new SlackHistory({
      client,
      failures,
      logger,
      threads,
      toRemote: async (m) => {
        const remote = await events.remoteOf(m);
        if (remote !== undefined) rememberReply(m.channel, remote.id, remote.thread);
        return remote;
      },
      user: (id) => directory.user(id),
      botUser: () => directory.bot?.userId,
    });
    const r: Running = {
      host,
      logger,
      app,
      client,
      directory,
      queue,
      once,
      events,
      posts,
      dms,
      threads,
      history,
      presence,
      receiver,
    };

    app.event(/.*/, async ({ event, body }) => {
      const envelope = body as { event_id?: unknown };
      const eventId = typeof envelope.event_id === "string" ? envelope.event_id : undefined;
      await queue.run(
        EVENTS_LINE,
        () => (this.stopped ? undefined : events.handle(event as unknown as Record<string, unknown>, eventId)),
        String(event.type),
      );
    });
    app.error(async (e) => {
      logger.warn("Bolt reported an error", { error: e instanceof Error ? e.message : String(e) });
    });
    if (receiver instanceof SocketModeReceiver) {
      guardSocketFrames(receiver.client as unknown as FrameEmitter, logger);
      receiver.client.on("connected", () => {
        host.connected(true);
        this.afterConnect(r, "socket");
      });
      receiver.client.on("disconnected", () => host.connected(false));
      receiver.client.on("reconnecting", () => {
        host.connected(false);
        logger.warn("the Slack Socket Mode connection dropped; reconnecting");
      });
    }
    return r;
  }

  /**
   * Once connected (at start, and again after a dropped socket), what was
   * said meanwhile is caught up, queued ahead of the events that come
   * after the connection.
   */
  private afterConnect(r: Running, why: string): void {
    r.queue.push(
      EVENTS_LINE,
      async () => {
        if (this.stopped || this.stopping) return;
        await r.host.catchUp?.();
      },
      `catch-up (${why})`,
    );
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.stopping = true;
    r.presence?.stop();
    await r.app.stop().catch((e: unknown) => r.logger.warn("Bolt did not stop cleanly", { error: String(e) }));
    await r.queue.idle(STOP_DRAIN_MS);
    this.stopped = true;
    // What was handed over is on record before the connector says it stopped.
    await r.once.flush();
    await r.threads.flush();
    r.host.connected(false);
    this.running = undefined;
    this.stopping = false;
  }

  /** The running parts; a request during or after `stop` fails as transient, so the engine keeps it for later. */
  private need(): Running {
    if (!this.running || this.stopping)
      throw new TransientError("the Slack connector is stopped; retried after it starts");
    return this.running;
  }

  /** 40,000 characters of mrkdwn a post (`SLACK_LIMITS`): the engine cuts a longer message into parts. */
  limits(): ChannelLimits {
    return SLACK_LIMITS;
  }

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    return this.need().posts.send(m);
  }

  /** A post whose answer was lost, found by the delivery key in its metadata. */
  async findPosted(q: FindPostedRequest): Promise<{ id: string } | undefined> {
    return this.need().posts.findPosted(q);
  }

  /** A direct message whose answer was lost, found in the bot's DM by the delivery key in its metadata. */
  async findDirectPosted(q: FindDirectRequest): Promise<{ channel: string; id: string } | undefined> {
    return this.need().posts.findDirectPosted(q);
  }

  async edit(o: EditRequest): Promise<void> {
    await this.need().posts.edit(o);
  }

  async delete(o: DeleteRequest): Promise<void> {
    await this.need().posts.delete(o);
  }

  async react(o: ReactRequest): Promise<void> {
    await this.need().posts.react(o);
  }

  /** As `limits`, less the sender's mark each part of a direct message starts with. */
  directLimits(o: DirectTarget): ChannelLimits {
    return slackDirectLimits(o);
  }

  async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    return this.need().posts.sendDirect(o);
  }

  /** A channel linked at runtime: its cursor starts now, and its present members sit in its room. */
  async linked(link: { readonly channel: string }): Promise<void> {
    const r = this.need();
    await r.queue.run(EVENTS_LINE, () => r.host.catchUp?.([link.channel]), "linked");
    await r.presence?.channel(link.channel);
  }

  /** A page of a channel's history, for the engine's catch-up. */
  async history(request: HistoryRequest): Promise<HistoryPage> {
    return this.need().history.page(request);
  }

  async channelExists(channel: string): Promise<boolean> {
    const r = this.need();
    if (!/^[CG][A-Z0-9]+$/.test(channel)) return false;
    try {
      const info = await r.client.conversations.info({ channel });
      return info.channel !== undefined;
    } catch (e) {
      r.logger.warn("a Slack channel could not be looked up; it is taken as absent", {
        channel,
        error: describeFailure(e),
      });
      return false;
    }
  }

  async lookupUser(id: string): Promise<RemoteUser | undefined> {
    const r = this.need();
    if (!/^[UW][A-Z0-9]+$/.test(id)) return undefined;
    try {
      const info = await r.client.users.info({ user: id });
      return info.user ? r.directory.remember(info.user) : undefined;
    } catch (e) {
      r.logger.debug("a Slack user could not be looked up", { user: id, error: describeFailure(e) });
      return undefined;
    }
  }
}
