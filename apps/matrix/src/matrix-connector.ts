/**
 * The Matrix connector: an application service on one homeserver. The
 * homeserver pushes room events to the connector's HTTP endpoint (no /sync);
 * they go to the engine through events-in.ts. What XMPP users do is sent back
 * as their ghosts through events-out.ts. This file only assembles the parts
 * and runs the lifecycle.
 */
import { createHmac, randomUUID } from "node:crypto";
import type {
  ChannelLimits,
  Connector,
  ConnectorCapabilities,
  ConnectorHost,
  DeleteRequest,
  DirectRequest,
  EditRequest,
  Logger,
  OutgoingMessage,
  ReactRequest,
  ReadRequest,
  RemoteUser,
  TypingRequest,
  XmppOccupantEvent,
} from "@parley/bridge";
import { Method } from "matrix-js-sdk";
import { type AppserviceServer, startAppserviceServer } from "./appservice-server.ts";
import { appserviceUrlOf, type MatrixOptions, parseMatrixOptions } from "./config.ts";
import { EventsIn } from "./events-in.ts";
import { EventsOut } from "./events-out.ts";
import { Ghosts } from "./ghosts.ts";
import { HomeserverClients } from "./homeserver-clients.ts";
import { describeMatrixError, errcodeOf } from "./matrix-errors.ts";
import { botUserId, isOwnUser, jidOfGhost, type MatrixNames } from "./matrix-ids.ts";
import { senderOfEvent } from "./matrix-rest.ts";
import { MatrixUsers } from "./matrix-users.ts";
import { MediaProxy } from "./media.ts";
import { MissedEvents, type TimelinePage } from "./missed-events.ts";
import { Portals } from "./portals.ts";
import { type AppserviceRegistration, buildRegistration } from "./registration.ts";
import { Transactions } from "./transactions.ts";

export interface MatrixConnectorOptions {
  /** The `connectors.matrix` section, validated by `parseMatrixOptions` (raw input is validated here). */
  readonly options: MatrixOptions | Record<string, unknown>;
  /** Default: the host's logger. */
  readonly logger?: Logger;
  /** From the bridge config's media section: limits for files and avatars uploaded to Matrix. */
  readonly media?: { readonly maxBytes: number; readonly allowPrivateAddresses: boolean };
  /**
   * How long the application service keeps an idle connection of the homeserver open (default 75 s);
   * the homeserver's first request after a longer gap has the rooms read back. Tests shorten it.
   */
  readonly idleCloseMs?: number;
}

/** Everything that exists while the connector runs. */
interface Running {
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly clients: HomeserverClients;
  readonly server: AppserviceServer;
  readonly transactions: Transactions;
  readonly portals: Portals;
  readonly users: MatrixUsers;
  readonly out: EventsOut;
  readonly ghosts: Ghosts;
}

export class MatrixConnector implements Connector {
  readonly network = "matrix";
  readonly displayName = "Matrix";
  /** Replies, files, threads and presence; the rest is on where a method stands for it (`edit`, `react`...). */
  readonly capabilities: ConnectorCapabilities = { replies: true, attachments: true, threads: true, presence: true };
  readonly options: MatrixOptions;
  private readonly o: MatrixConnectorOptions;
  private running: Running | undefined;
  private stopped = false;
  /** The work after start (joining rooms, members, ping), awaited by stop so no host call comes after it. */
  private settling: Promise<void> = Promise.resolve();

  constructor(o: MatrixConnectorOptions) {
    this.o = o;
    this.options = parseMatrixOptions(o.options);
  }

  private get names(): MatrixNames {
    return this.options;
  }

  /** Entries in the connector's caches, for /metrics: ghost clients and records (matrix-js-sdk's stores live in the clients). */
  cacheSizes(): Record<string, number> {
    const r = this.running;
    if (!r) return {};
    return { "matrix.ghost-clients": r.clients.size, "matrix.ghosts": r.ghosts.size };
  }

  /** Where the application service listens (once started). */
  get appserviceUrl(): string | undefined {
    return this.running ? appserviceUrlOf(this.options, this.running.server.port) : undefined;
  }

  /** The registration for the homeserver, with the port actually bound once started. */
  registration(): AppserviceRegistration {
    return buildRegistration(this.options, this.running?.server.port);
  }

  private get r(): Running {
    if (!this.running) throw new Error("the Matrix connector is not started");
    return this.running;
  }

  async start(host: ConnectorHost): Promise<void> {
    const o = this.options;
    const logger = (this.o.logger ?? host.logger).child({ part: "matrix" });
    const media = this.o.media ?? { maxBytes: 26_214_400, allowPrivateAddresses: false };
    const clients = new HomeserverClients(
      { homeserverUrl: o.homeserverUrl, asToken: o.asToken },
      botUserId(this.names),
      logger,
    );
    await this.checkToken(clients);
    const proxy = new MediaProxy({
      key: createHmac("sha256", o.hsToken).update("parley media proxy").digest("hex"),
      homeserverUrl: o.homeserverUrl,
      asToken: o.asToken,
      logger,
      maxBytes: media.maxBytes,
    });
    const shared = { names: this.names, clients, logger };
    const ghosts = new Ghosts({ ...shared, state: host.state, media });
    const portals = new Portals(shared);
    portals.attach(host);
    const users = new MatrixUsers({
      names: this.names,
      bot: clients.bot,
      avatarUrl: (mxc) => proxy.urlFor(mxc),
      logger,
    });
    const eventsIn = new EventsIn(host, {
      names: this.names,
      users,
      ghosts,
      portals,
      logger,
      homeserverUrl: o.homeserverUrl,
      asToken: o.asToken,
      mediaUrl: (mxc) => proxy.urlFor(mxc),
      senderOf: (roomId, eventId) => senderOfEvent(clients.bot, roomId, eventId),
    });
    const settled = host.settled?.bind(host);
    const missed = new MissedEvents({
      page: (roomId, from, limit) =>
        clients.bot.http.authedRequest<TimelinePage>(
          Method.Get,
          `/rooms/${encodeURIComponent(roomId)}/messages`,
          { dir: "b", limit: String(limit), ...(from !== undefined && { from }) },
          undefined,
          { priority: "auto" },
        ),
      rooms: () => host.linkedChannels(),
      handle: (raw) => eventsIn.event(raw),
      logger,
    });
    const transactions = new Transactions({
      state: host.state,
      handlers: eventsIn,
      logger,
      missed,
      ...(settled && { settled }),
    });
    const out = new EventsOut({ ...shared, ghosts, portals, media, host: () => host });
    const server = await startAppserviceServer({
      host: o.listen.host,
      port: o.listen.port,
      hsToken: o.hsToken,
      logger,
      ...(this.o.idleCloseMs !== undefined && { idleCloseMs: this.o.idleCloseMs }),
      homeserverGone: (reason) => {
        if (!this.stopped) transactions.homeserverGone(reason);
      },
      handlers: {
        transaction: (txnId, body) => transactions.receive(txnId, body),
        queryUser: (userId) => this.queryUser(userId, ghosts),
        queryAlias: (alias) => portals.queryAlias(alias),
        other: (req, res, url) => proxy.handle(req, res, url),
      },
    });
    proxy.setBaseUrl(appserviceUrlOf(o, server.port));
    this.running = { host, logger, clients, server, transactions, portals, users, out, ghosts };
    this.stopped = false;
    host.connected(true);
    logger.info("the Matrix application service listens", { url: server.url });
    // Not awaited: joining rooms and the ping must not hold up the bridge's start.
    this.settling = this.afterStart().catch((e: unknown) =>
      logger.warn("starting up on Matrix did not finish", { error: e instanceof Error ? e.message : String(e) }),
    );
  }

  /** Fails the start with a message naming the setting when the as_token or the URL is wrong. */
  private async checkToken(clients: HomeserverClients): Promise<void> {
    try {
      await clients.bot.whoami();
    } catch (e) {
      const code = errcodeOf(e);
      if (code === "M_UNKNOWN_TOKEN" || code === "M_MISSING_TOKEN") {
        throw new Error(
          "config field `connectors.matrix.asToken`: the homeserver does not know this as_token; write the as_token of the registration the homeserver loaded (see `parley-matrix register`)",
        );
      }
      throw new Error(
        `config field \`connectors.matrix.homeserverUrl\`: the homeserver could not be reached (${describeMatrixError(e)}); write the URL of its client API, e.g. http://127.0.0.1:8008`,
      );
    }
  }

  private async afterStart(): Promise<void> {
    const r = this.r;
    // Asks the homeserver to call us back: proves it has the right hs_token and URL, and makes it send at once
    // the transactions it held while the bridge was down, instead of at its next retry (up to minutes later).
    try {
      await r.clients.bot.http.authedRequest(
        Method.Post,
        `/appservice/${encodeURIComponent(this.options.appserviceId)}/ping`,
        undefined,
        { transaction_id: `parley-${randomUUID()}` },
        { prefix: "/_matrix/client/v1", priority: "auto" },
      );
    } catch (e) {
      r.logger.warn(
        "the homeserver could not reach the application service; check the registration's url and hs_token",
        { error: describeMatrixError(e) },
      );
    }
    for (const roomId of await r.portals.joinLinkedRooms()) {
      if (this.stopped) return;
      await this.catchUpMembers(roomId);
    }
  }

  /**
   * The Matrix users already in a linked room when the bridge starts are
   * brought into the MUC room (joins the bridge missed while it was down
   * included), listed as members: seated by their presence (none heard yet
   * counts as present), not kept through an "offline" as a member seen
   * joining is.
   */
  private async catchUpMembers(roomId: string): Promise<void> {
    const r = this.r;
    try {
      for (const m of await r.portals.joinedMembers(roomId)) {
        if (this.stopped) return;
        if (isOwnUser(m.userId, this.names)) continue;
        const content = { displayname: m.displayName, avatar_url: m.avatarUrl };
        r.users.rememberMember(roomId, m.userId, content);
        await r.host.membership(roomId, r.users.fromContent(m.userId, content), "join", { listed: true });
      }
    } catch (e) {
      r.logger.warn("the members of a linked Matrix room could not be brought to XMPP", {
        room: roomId,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  private async queryUser(userId: string, ghosts: Ghosts): Promise<boolean> {
    const jid = jidOfGhost(userId, this.names);
    if (jid === undefined) return false;
    await ghosts.ensure({ jid, nick: jid });
    return true;
  }

  /**
   * Stops taking transactions (the homeserver keeps what comes next and sends
   * it again later) and waits for those in progress. Outgoing calls keep
   * working: the engine flushes its delivery queue after stopping the
   * connector, and those messages must still reach Matrix.
   */
  async stop(): Promise<void> {
    const r = this.running;
    if (!r || this.stopped) return;
    this.stopped = true;
    await this.settling;
    await r.server.close();
    await r.transactions.close();
    r.host.connected(false);
  }

  /** Resolves when every transaction received so far is handled. */
  idle(): Promise<void> {
    return this.running?.transactions.idle() ?? Promise.resolve();
  }

  /** One event is a text of at most MATRIX_TEXT_BYTES or one file: the engine splits the rest. */
  limits(): ChannelLimits {
    return this.r.out.limits();
  }

  send(m: OutgoingMessage): Promise<{ readonly id: string }> {
    return this.r.out.send(m);
  }

  edit(o: EditRequest): Promise<void> {
    return this.r.out.edit(o);
  }

  delete(o: DeleteRequest): Promise<void> {
    return this.r.out.delete(o);
  }

  react(o: ReactRequest): Promise<void> {
    return this.r.out.react(o);
  }

  typing(o: TypingRequest): Promise<void> {
    return this.r.out.typing(o);
  }

  /** A direct message is cut as a room message is: one event is a text or a file. */
  directLimits(): ChannelLimits {
    return this.r.out.limits();
  }

  sendDirect(o: DirectRequest): Promise<{ readonly channel: string; readonly id: string }> {
    return this.r.out.sendDirect(o);
  }

  occupant(o: XmppOccupantEvent): Promise<void> {
    return this.r.out.occupant(o);
  }

  read(o: ReadRequest): Promise<void> {
    return this.r.out.read(o);
  }

  /**
   * A room linked at runtime: its Matrix members are brought into the MUC
   * room as at start, in the background (a big room should not hold up the
   * admin command), and before `stop` resolves.
   */
  async linked(link: { readonly channel: string }): Promise<void> {
    if (!this.running || this.stopped) return;
    const members = this.catchUpMembers(link.channel);
    this.settling = Promise.all([this.settling, members]).then(() => undefined);
  }

  /** A room the bot can join (public, or it was invited) can be linked. */
  async channelExists(channel: string): Promise<boolean> {
    if (!/^![^\s/]+$/.test(channel)) return false;
    return this.r.portals.ensureBotIn(channel);
  }

  async lookupUser(id: string): Promise<RemoteUser | undefined> {
    if (!/^@[^:]+:.+$/.test(id)) return undefined;
    return this.r.users.remoteUser(id);
  }
}
