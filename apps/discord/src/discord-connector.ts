/**
 * The Discord connector, assembled: a discord.js gateway session feeding the
 * engine through `GatewayEvents` (one event at a time, in order), the
 * engine's catch-up asked for after fresh sessions (reading Discord's
 * history through `DiscordHistory`), and the engine's requests as Discord
 * REST calls:
 * webhook posts under XMPP users' names (`WebhookPosts`), reply quotes,
 * reactions and DMs by the bot. Every REST failure goes through
 * `ApiFailures`, which classifies it for the delivery queue and tells the
 * admins what to fix.
 */

import {
  type ChannelLimits,
  type Connector,
  type ConnectorCapabilities,
  type ConnectorHost,
  type DeleteRequest,
  type DirectRequest,
  type DirectTarget,
  type EditRequest,
  type FindDirectRequest,
  type FindPostedRequest,
  type HistoryPage,
  type HistoryRequest,
  type HistoryThread,
  type Logger,
  logFailure,
  OrderedLines,
  type OutgoingAttachment,
  type OutgoingMessage,
  type ReactRequest,
  type RemoteUser,
  setBounded,
  silentLogger,
  TransientError,
  type TypingRequest,
} from "@parley/bridge";
import { type RawFile, REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import { BotDms } from "./bot-dms.ts";
import { BotReactions } from "./bot-reactions.ts";
import { DISCORD_HISTORY, DiscordHistory } from "./catch-up.ts";
import type { DiscordOptions } from "./config.ts";
import { DmChannels } from "./dm-channels.ts";
import { GatewayEvents, RELAYED_EVENTS } from "./gateway-events.ts";
import { GatewaySession } from "./gateway-session.ts";
import { GuildDirectory } from "./guild-directory.ts";
import { remoteUserOf } from "./members.ts";
import { MessageBook } from "./message-book.ts";
import { MessageThreads } from "./message-threads.ts";
import { fetchOutgoingFiles } from "./outgoing-files.ts";
import {
  composeMessage,
  DISCORD_MAX_FILES,
  DISCORD_MESSAGE_LIMIT,
  DISCORD_TEXT_LIMIT,
  directPrefix,
  directTextLength,
  discordTextLength,
  QUOTE_ROOM,
} from "./outgoing-message.ts";
import { ApiFailures } from "./permissions.ts";
import { PostsInFlight } from "./posts-in-flight.ts";
import { PresentMembers } from "./present-members.ts";
import { ReplyQuotes } from "./reply-quotes.ts";
import { isSnowflake } from "./snowflake.ts";
import { WebhookPosts } from "./webhook-posts.ts";
import { webhookUsername } from "./webhook-username.ts";
import { ChannelWebhooks, type WebhookRef } from "./webhooks.ts";

/** Discord shows "typing" for 10 s; one request per channel every 8 s keeps it up. */
const TYPING_EVERY_MS = 8000;
/** Channels whose last typing time is kept; past it the oldest is forgotten (typing is then shown once more). */
const TYPING_CHANNELS = 10_000;
/** How long `stop` waits for events already received to reach the engine. */
const STOP_DRAIN_MS = 10_000;
/**
 * Gateway events reach the engine one at a time, in the order Discord sent
 * them, all in this one line: an edit must not overtake the message it edits,
 * a member's new name must be known before what they say next, and catch-up
 * must finish before newer live messages go out.
 */
const GATEWAY_LINE = "gateway";
/** Text and announcement channels: where a webhook can post. */
const TEXT_CHANNEL_TYPES = new Set([0, 5]);

const TOKEN_NOTICE =
  "Discord refused the bot token: the bridge is cut off from Discord. Put a valid token " +
  "(Developer Portal > your application > Bot > Reset Token) in connectors.discord.token and restart it.";

export interface DiscordConnectorContext {
  /** Used until `start` hands over the engine's logger. */
  readonly logger?: Logger;
  /** Whether XMPP users' files may be downloaded from private addresses (the engine's `media.allowPrivateAddresses`). */
  readonly allowPrivateAddresses?: boolean;
}

/** Everything that exists while the connector runs. */
interface Running {
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly session: GatewaySession;
  readonly rest: REST;
  readonly directory: GuildDirectory;
  readonly failures: ApiFailures;
  readonly webhooks: ChannelWebhooks;
  readonly posts: WebhookPosts;
  readonly quotes: ReplyQuotes;
  readonly reactions: BotReactions;
  readonly dms: BotDms;
  readonly dmChannels: DmChannels;
  readonly book: MessageBook;
  readonly threads: MessageThreads;
  readonly history: DiscordHistory;
  readonly incoming: OrderedLines;
  readonly inFlight: PostsInFlight;
  readonly present: PresentMembers;
}

/** Where a message goes on Discord: through which webhook, in which thread, after which reply quote. */
interface Placed {
  readonly webhook: WebhookRef;
  readonly thread: string | undefined;
  readonly quote?: string;
}

export class DiscordConnector implements Connector {
  readonly network = "discord";
  readonly displayName = "Discord";
  /** Replies, files, threads and presence; the rest is on where a method stands for it (`edit`, `react`...). */
  readonly capabilities: ConnectorCapabilities = { replies: true, attachments: true, threads: true, presence: true };
  /** Catch-up reads Discord's history (`history`); threads are channels of their own. */
  readonly historyOptions = DISCORD_HISTORY;
  readonly options: DiscordOptions;
  private readonly initialLogger: Logger;
  private readonly allowPrivateAddresses: boolean;
  private running: Running | undefined;
  /** Set once `stop` has drained the events received: anything still queued is dropped (no host calls after stop). */
  private stopped = false;
  /** Set as `stop` begins: requests from the engine fail as transient and wait for the next start. */
  private stopping = false;
  /** Channel -> when typing was last shown there: linked channels and DM channels, at most TYPING_CHANNELS. */
  private readonly lastTyping = new Map<string, number>();

  constructor(options: DiscordOptions, context: DiscordConnectorContext = {}) {
    this.options = options;
    this.initialLogger = context.logger ?? silentLogger;
    this.allowPrivateAddresses = context.allowPrivateAddresses === true;
  }

  /** The discord.js client, while running (for tools and tests). */
  get client(): GatewaySession["client"] | undefined {
    return this.running?.session.client;
  }

  /**
   * Entries in the connector's caches and discord.js's, for /metrics: what
   * grows with a guild's members (members, users) and with traffic, if
   * anything does.
   */
  cacheSizes(): Record<string, number> {
    const r = this.running;
    if (!r) return {};
    const client = r.session.client;
    let members = 0;
    let presences = 0;
    let roles = 0;
    let emojis = 0;
    for (const guild of client.guilds.cache.values()) {
      members += guild.members.cache.size;
      presences += guild.presences.cache.size;
      roles += guild.roles.cache.size;
      emojis += guild.emojis.cache.size;
    }
    return {
      "discord.js.guilds": client.guilds.cache.size,
      "discord.js.channels": client.channels.cache.size,
      "discord.js.users": client.users.cache.size,
      "discord.js.members": members,
      "discord.js.presences": presences,
      "discord.js.roles": roles,
      "discord.js.emojis": emojis,
      "discord.channels": r.directory.size,
      "discord.messages": r.book.size,
      "discord.webhooks": r.webhooks.size,
      "discord.dms": r.dmChannels.size,
      "discord.typing": this.lastTyping.size,
      "discord.present": r.present.size,
    };
  }

  /** Resolves once every gateway event received so far has been handed to the engine. */
  idle(): Promise<void> {
    return this.running?.incoming.idle() ?? Promise.resolve();
  }

  async start(host: ConnectorHost): Promise<void> {
    if (this.running) throw new Error("the Discord connector is already started");
    this.stopped = false;
    const logger = host.logger ?? this.initialLogger;
    let markStarted: (ok: boolean) => void = () => undefined;
    const started = new Promise<boolean>((resolve) => {
      markStarted = resolve;
    });
    const r = this.assemble(host, logger, started);
    this.running = r;
    try {
      await r.webhooks.load(host.linkedChannels());
      await r.session.open();
    } catch (e) {
      markStarted(false);
      this.running = undefined;
      await r.session.close();
      throw e;
    }
    markStarted(true);
    logger.info("logged in to Discord", {
      bot: r.session.client.user?.tag,
      guilds: r.session.client.guilds.cache.size,
    });
  }

  /** Builds the parts; gateway events flow from the moment the session opens. */
  private assemble(host: ConnectorHost, logger: Logger, started: Promise<boolean>): Running {
    // Unbounded, as the gateway cannot be made to wait; a task that fails is logged and skipped.
    const incoming = new OrderedLines({
      maxPerKey: Number.POSITIVE_INFINITY,
      onError: (_line, e, what) =>
        logger.warn("a Discord event could not be handled; skipped", {
          event: what,
          error: e instanceof Error ? e.message : String(e),
        }),
    });
    let events: GatewayEvents | undefined;
    let tokenTold = false;
    const session = new GatewaySession({
      token: this.options.token,
      ...(this.options.apiUrl !== undefined && { apiUrl: this.options.apiUrl }),
      ...(this.options.cdnUrl !== undefined && { cdnUrl: this.options.cdnUrl }),
      logger,
      onDispatch: (type, d) => {
        if (RELAYED_EVENTS.has(type))
          incoming.push(GATEWAY_LINE, () => (this.stopped ? undefined : events?.handle(type, d)), type);
      },
      onSession: (kind) => {
        host.connected(true);
        if (kind === "resumed") {
          logger.info("the Discord gateway session resumed; Discord replays what was missed");
          return;
        }
        // Queued behind what the gateway sent before READY, ahead of everything after: older messages go first.
        incoming.push(
          GATEWAY_LINE,
          async () => {
            if ((await started) && !this.stopped) await host.catchUp?.();
          },
          "catch-up",
        );
      },
      onDown: (why, final) => {
        host.connected(false);
        if (final) logger.error("the Discord gateway connection is down for good", { reason: why });
        else logger.warn("the Discord gateway connection dropped; discord.js reconnects", { reason: why });
      },
      onTokenRefused: () => {
        if (tokenTold) return;
        tokenTold = true;
        void host
          .notifyAdmins(TOKEN_NOTICE)
          .catch(logFailure(logger, "could not tell the admins the token was refused"));
      },
    });
    const client = session.client;
    const rest = client.rest;
    const state = host.state;
    const directory = new GuildDirectory(client);
    const failures = new ApiFailures({
      logger,
      notifyAdmins: (text) => host.notifyAdmins(text),
      channelLabel: (id) => directory.channelLabel(id),
    });
    const webhooks = new ChannelWebhooks({
      rest,
      name: this.options.webhookName,
      state,
      failures,
      logger,
      self: () => ({
        ...(client.application?.id !== undefined && { applicationId: client.application.id }),
        ...(client.user?.id !== undefined && { botId: client.user.id }),
      }),
    });
    const dmChannels = new DmChannels({ rest, failures, logger });
    const book = new MessageBook(state);
    const history = new DiscordHistory({
      rest,
      failures,
      logger,
      directory,
      toRemote: (m) => events?.remoteOf(m) ?? Promise.resolve(undefined),
    });
    const present = new PresentMembers();
    events = new GatewayEvents({
      host,
      logger,
      cdn: rest.cdn,
      directory,
      webhooks,
      dms: dmChannels,

      rehostAttachments: this.options.rehostAttachments,
      botId: () => client.user?.id,
      present,
    });
    return {
      host,
      logger,
      session,
      rest,
      directory,
      failures,
      webhooks,
      posts: new WebhookPosts({ rest: this.webhookRest(), failures, webhooks }),
      quotes: new ReplyQuotes({ rest, directory, book }),
      reactions: new BotReactions({ rest, state, directory, book, failures, logger }),
      dmChannels,
      dms: new BotDms({
        rest,
        dms: dmChannels,
        book,
        failures,
        logger,
        botId: () => client.user?.id,
        files: (a) => this.files(logger, a),
      }),
      book,
      threads: new MessageThreads({ rest, directory, failures, logger }),
      history,
      incoming,
      present,
      inFlight: new PostsInFlight({
        state,
        rest,
        failures,
        logger,
        // As long as the engine may send the message again (its catch-up age and retries).
        ...(host.postRecordMs !== undefined && { keepMs: host.postRecordMs }),
        isKnown: async (id, key) => {
          const sent = await book.sent(id);
          return sent !== undefined && sent.key !== key;
        },
      }),
    };
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.stopping = true;
    await r.session.close();
    await r.incoming.idle(STOP_DRAIN_MS);
    this.stopped = true;
    r.host.connected(false);
    this.running = undefined;
    this.stopping = false;
  }

  /**
   * The REST client webhook posts, edits and deletions go through: without
   * discord.js's own retries. A 5xx may come after Discord did the work, and
   * a retry below the delivery queue would post the message again; retried
   * by the queue instead, the engine first asks `findPosted` (`PostsInFlight`).
   * Webhook calls carry their token in the URL, so this client has none.
   */
  private webhookRest(): REST {
    return new REST({
      retries: 0,
      ...(this.options.apiUrl !== undefined && { api: this.options.apiUrl }),
      ...(this.options.cdnUrl !== undefined && { cdn: this.options.cdnUrl }),
    });
  }

  /** The running parts; a request during or after `stop` fails as transient, so the engine keeps it for later. */
  private need(): Running {
    if (!this.running || this.stopping)
      throw new TransientError("the Discord connector is stopped; retried after it starts");
    return this.running;
  }

  // --- XMPP -> Discord -------------------------------------------------------------------

  private async files(
    logger: Logger,
    attachments: readonly OutgoingAttachment[],
  ): Promise<{ files: RawFile[]; links: string[] }> {
    if (attachments.length === 0) return { files: [], links: [] };
    return fetchOutgoingFiles(attachments, {
      allowPrivateAddresses: this.allowPrivateAddresses,
      onLink: (_url, why) => logger.debug("a file goes to Discord as a link", { why }),
    });
  }

  /** A page of a channel's or thread's history, for the engine's catch-up. */
  async history(request: HistoryRequest): Promise<HistoryPage> {
    return this.need().history.page(request);
  }

  /** The active threads of linked channels, for the engine's catch-up. */
  async historyThreads(channels: readonly string[]): Promise<ReadonlyMap<string, readonly HistoryThread[]>> {
    return this.need().history.threads(channels);
  }

  /**
   * A webhook post holds 2,000 characters of markdown: the engine cuts a
   * longer message into parts of at most that (the first leaving room for
   * the reply quote it may start with), with at most 10 files each
   * (Discord's limit on a message).
   */
  limits(): ChannelLimits {
    return {
      maxTextLength: DISCORD_TEXT_LIMIT,
      textLength: discordTextLength,
      firstPartRoom: QUOTE_ROOM,
      maxAttachments: DISCORD_MAX_FILES,
    };
  }

  /**
   * A bot DM holds 2,000 characters under its "**nick** (jid):" mark (every
   * part carries it, and a text of several lines is quoted under it): the
   * engine cuts a longer DM into parts that fit, with at most 10 files each.
   */
  directLimits(o: DirectTarget): ChannelLimits {
    return {
      maxTextLength: DISCORD_MESSAGE_LIMIT,
      textLength: directTextLength(directPrefix(o.sender.nick, o.sender.jid)),
      maxAttachments: DISCORD_MAX_FILES,
    };
  }

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    const r = this.need();
    const place = await this.place(r, m);
    const { files, links } = await this.files(r.logger, m.attachments);
    const composed = composeMessage({
      text: m.text,
      links,
      hasFiles: files.length > 0,
      ...(place.quote !== undefined && { quote: place.quote }),
    });
    // On record before it goes: should its answer be lost, `findPosted` knows what to look for.
    await r.inFlight.sending(m.key, {
      where: place.thread ?? m.channel,
      webhookId: place.webhook.id,
      username: webhookUsername(m.sender.nick),
      content: composed.content,
    });
    const id = await r.posts.post({
      channel: m.channel,
      webhook: place.webhook,
      thread: place.thread,
      sender: m.sender,
      content: composed.content,
      users: composed.users,
      files,
    });
    await this.remember(r, m, place, id);
    return { id };
  }

  /**
   * The webhook post of an earlier attempt whose answer was lost (a crash, a dropped connection, a 5xx after
   * the work), found in the channel by what that attempt recorded.
   */
  async findPosted(q: FindPostedRequest): Promise<{ id: string } | undefined> {
    const r = this.need();
    const id = await r.inFlight.alreadyPosted(q.message.key);
    if (id === undefined) return undefined;
    await this.remember(r, q.message, await this.place(r, q.message), id);
    return { id };
  }

  /**
   * Where a message goes on Discord: its channel's webhook, its thread (the
   * one the engine names, started on its root message when it is none yet;
   * for a later part of a message, the thread of its first part), and the
   * quote a reply starts with.
   */
  private async place(r: Running, m: OutgoingMessage): Promise<Placed> {
    const webhook = await r.webhooks.of(m.channel);
    const thread =
      m.thread !== undefined
        ? await r.threads.of(m.channel, m.thread, m.text)
        : m.partOf !== undefined
          ? (await r.book.sent(m.partOf))?.thread
          : undefined;
    const quote = m.replyTo ? await r.quotes.quote(m.channel, m.replyTo) : undefined;
    return { webhook, thread, ...(quote !== undefined && { quote }) };
  }

  /** Remembers how message `id` was posted, for its edits, deletion and reactions. */
  private async remember(r: Running, m: OutgoingMessage, p: Placed, id: string): Promise<void> {
    await r.book.rememberSent(id, {
      webhookId: p.webhook.id,
      key: m.key,
      ...(p.thread !== undefined && { thread: p.thread }),
      ...(p.quote !== undefined && { quote: p.quote }),
    });
  }

  /** Edits one post (the engine edits each part of a long message). */
  async edit(o: EditRequest): Promise<void> {
    const r = this.need();
    const sent = await r.book.sent(o.id);
    if (r.dms.isDm(o.channel, sent)) {
      await r.dms.edit(o, sent);
      return;
    }
    const webhook = await r.webhooks.of(o.channel);
    const composed = composeMessage({ text: o.text, ...(sent?.quote !== undefined && { quote: sent.quote }) });
    const where = { channel: o.channel, webhook, thread: sent?.thread };
    await r.posts.edit({ ...where, id: o.id, content: composed.content, users: composed.users });
    // A message an earlier version split itself: the engine knows only its first part, and posts what the new
    // text needs after it; the old later parts go.
    const legacy = sent?.parts ?? [];
    for (const extra of legacy) await r.posts.delete({ ...where, id: extra });
    if (sent && legacy.length > 0) await r.book.rememberSent(o.id, { ...sent, parts: [] });
  }

  async delete(o: DeleteRequest): Promise<void> {
    const r = this.need();
    const sent = await r.book.sent(o.id);
    if (r.dms.isDm(o.channel, sent)) {
      await r.dms.delete(o.channel, o.id, sent);
      return;
    }
    if (sent?.webhookId !== undefined || !o.moderator) {
      const webhook = await r.webhooks.of(o.channel);
      // The engine deletes each part of a long message; an earlier version's own parts are in the book.
      for (const id of [o.id, ...(sent?.parts ?? [])]) {
        await r.posts.delete({ channel: o.channel, webhook, thread: sent?.thread, id });
      }
      return;
    }
    // A Discord user's message removed by an XMPP moderator: the bot deletes it (needs Manage Messages),
    // saying in the guild's audit log who did and why.
    const where = (await r.book.threadOf(o.id, o.thread)) ?? o.channel;
    const reason = auditLogReason(o);
    await r.failures
      .run({ action: "deleting a message moderated on XMPP", channel: o.channel, permission: "Manage Messages" }, () =>
        r.rest.delete(Routes.channelMessage(where, o.id), { reason }),
      )
      .catch((e: unknown) => {
        if (ApiFailures.codeOf(e) !== 10008) throw e; // Unknown Message: gone already
      });
  }

  async react(o: ReactRequest): Promise<void> {
    await this.need().reactions.react(o);
  }

  async typing(o: TypingRequest): Promise<void> {
    if (o.state !== "composing") return;
    const r = this.need();
    const now = Date.now();
    const last = this.lastTyping.get(o.channel);
    if (last !== undefined && now - last < TYPING_EVERY_MS) return;
    setBounded(this.lastTyping, o.channel, now, TYPING_CHANNELS);
    await r.failures.run({ action: "showing typing", channel: o.channel, permission: "Send Messages" }, () =>
      r.rest.post(Routes.channelTyping(o.channel)),
    );
  }

  async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    return this.need().dms.send(o);
  }

  /** A DM to the bot that no XMPP user is to get: its author is told, at most once an hour. */
  async unroutedDirect(o: { readonly channel: string; readonly author: RemoteUser }): Promise<void> {
    await this.need().dmChannels.answerUnroutable(o.channel, o.author.id);
  }

  /** A bot DM of an earlier attempt whose answer was lost, found in the DM channel (see `BotDms.findPosted`). */
  async findDirectPosted(q: FindDirectRequest): Promise<{ channel: string; id: string } | undefined> {
    return this.need().dms.findPosted(q.direct, q.since);
  }

  /** A channel linked at runtime: the guild's members who are present and can read it sit in its room. */
  async linked(link: { readonly channel: string }): Promise<void> {
    const r = this.need();
    // A channel created since the gateway told the bridge of its guild is asked of Discord (and cached).
    const guildId = (await r.directory.fetchChannel(link.channel))?.guildId;
    if (guildId === undefined) return;
    for (const { userId, presence } of r.present.in(guildId)) {
      if (r.directory.canView(link.channel, userId) === false) continue;
      const person = r.directory.person(userId, guildId);
      if (!person || person.bot) continue;
      await r.host.memberPresence(link.channel, remoteUserOf(r.rest.cdn, person), presence);
    }
  }

  async channelExists(channel: string): Promise<boolean> {
    const r = this.need();
    if (!isSnowflake(channel)) return false;
    const c = await r.directory.fetchChannel(channel);
    return c !== undefined && TEXT_CHANNEL_TYPES.has(c.type);
  }

  async lookupUser(id: string): Promise<RemoteUser | undefined> {
    const r = this.need();
    if (!isSnowflake(id)) return undefined;
    const p = r.directory.personAnywhere(id) ?? (await r.directory.fetchPerson(id));
    return p ? remoteUserOf(r.rest.cdn, p, p.id === r.session.client.user?.id) : undefined;
  }
}

/** Discord keeps at most 512 characters of an audit-log reason. */
const MAX_AUDIT_LOG_REASON = 512;

/** The audit-log reason of a deletion an XMPP moderator asked for: who, and why when they said. */
export function auditLogReason(o: Pick<DeleteRequest, "sender" | "reason">): string {
  // A moderator the room named comes as its occupant JID (room/nick); otherwise the room's bare JID.
  const who = o.sender.jid.includes("/") && o.sender.nick !== "" ? ` by ${o.sender.nick}` : "";
  const why = o.reason?.trim();
  const text = `moderated on XMPP${who}${why !== undefined && why !== "" ? `: ${why}` : ""}`;
  return Array.from(text).slice(0, MAX_AUDIT_LOG_REASON).join("");
}
