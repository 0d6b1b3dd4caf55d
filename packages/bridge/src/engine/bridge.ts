/**
 * The engine, assembled: one XEP-0114 component session for one connector.
 * Each part is small and takes only what it needs; this file wires them,
 * routes incoming stanzas to the part that owns them, and runs the lifecycle
 * (start, reconnect and rejoin, graceful stop).
 */
import {
  bareJid,
  type Element,
  localFromRemoteId,
  parseJid,
  parseMessage,
  parsePresence,
  parseXml,
  unescapeLocal,
} from "@parley/stanza";
import { AdminActionError, type AdminActions, AdminCommands } from "../admin/index.ts";
import { ComponentSession } from "../component/component-session.ts";
import { DiscoResponder } from "../component/disco-responder.ts";
import { answerForDropped, describeDropped } from "../component/dropped-stanza.ts";
import { IqRouter } from "../component/iq-router.ts";
import type { QueuedItem } from "../component/outbound-queue.ts";
import { type BridgeConfig, publicUrlFor, secretsOf, serverDomainOf } from "../config/index.ts";
import { roomPresenceOptionsOf } from "../config/room-presence-options.ts";
import type { Connector } from "../connector/connector.ts";
import { DeliveryQueue, type DeliveryQueueOptions, logFailure } from "../delivery/index.ts";
import { HttpUploader, MediaStore } from "../media/index.ts";
import type { RunningHttpServer } from "../ops/http-listener.ts";
import { createLogger } from "../ops/logger.ts";
import type { Logger } from "../ops/logger-types.ts";
import { startMediaServer } from "../ops/media-server.ts";
import { BridgeMetrics } from "../ops/metrics.ts";
import { isLoopbackHost, startOpsServer } from "../ops/ops-server.ts";
import { MucOccupancy } from "../puppets/muc-occupancy.ts";
import { connectorStateIn } from "../store/connector-state.ts";
import { type BridgeStore, openStore, StoreRetention } from "../store/index.ts";
import { mediaAvatarHost } from "./avatar-host.ts";
import type { EngineContext } from "./context.ts";
import { DirectChats } from "./direct-chats.ts";
import { EchoGuard } from "./echo-guard.ts";
import { LateBound } from "./late-bound.ts";
import { EngineMediaRelay } from "./media-relay.ts";
import { Permissions } from "./permissions.ts";
import { installPuppetAvatarPep } from "./puppet-avatar-pep.ts";
import { type Puppet, PuppetDirectory } from "./puppet-directory.ts";
import { puppetFeatures } from "./puppet-features.ts";
import { ReflectionTracker } from "./reflection-tracker.ts";
import { RelayOccupant } from "./relay-occupant.ts";
import { catchUpBoundsOf, type RemoteCatchUp, remoteCatchUpFor } from "./remote-catch-up.ts";
import { postRecordMsOf, RemotePosts } from "./remote-posts.ts";
import { RemoteToXmpp } from "./remote-to-xmpp.ts";
import { RoomCatchUp } from "./room-catch-up.ts";
import { RoomLinks } from "./room-links.ts";
import { SenderRate } from "./sender-rate.ts";
import { XmppToRemote } from "./xmpp-to-remote.ts";

export interface BridgeOptions {
  readonly config: BridgeConfig;
  readonly connector: Connector;
  /** Default: JSON lines on stdout at the configured level, with the config's secrets scrubbed. */
  readonly logger?: Logger;
  /** Default: opened from `config.store.url`. A store passed in is not closed by `stop`. */
  readonly store?: BridgeStore;
  /** The clock store retention measures ages by; default `Date.now` (tests inject one). */
  readonly now?: () => number;
  /**
   * The retry policy of the delivery queue (default: the queue's own, 6 tries
   * from 250 ms doubling to 30 s). Tests shorten it so that a run of failures
   * is retried and dead-lettered in milliseconds instead of seconds.
   */
  readonly delivery?: DeliveryRetryPolicy;
  /**
   * How much the bridge holds at once: jobs admitted to the delivery queue
   * (default 10,000) and messages a room's catch-up reads ahead of what it
   * has relayed (default 5,000). Tests make them small to reach them with a
   * few messages.
   */
  readonly bounds?: { readonly maxPending?: number; readonly catchUpHeld?: number };
}

export type DeliveryRetryPolicy = Pick<
  DeliveryQueueOptions,
  "maxAttempts" | "retryForMs" | "baseDelayMs" | "maxDelayMs" | "sleep"
>;

const PUPPET_RESOURCE = "bridge";

export class Bridge {
  readonly config: BridgeConfig;
  readonly connector: Connector;
  readonly logger: Logger;
  readonly metrics = new BridgeMetrics();
  /** Who may use the bridge for what (`permissions`, `admins`, the server's own domain). */
  private readonly permissions: Permissions;
  readonly session: ComponentSession;
  readonly router: IqRouter;
  readonly links: RoomLinks;
  readonly puppets: PuppetDirectory;
  readonly occupancy: MucOccupancy;
  readonly relay: RelayOccupant;
  readonly delivery: DeliveryQueue;
  readonly store: BridgeStore;
  private readonly ownsStore: boolean;
  private readonly reflections: ReflectionTracker;
  private readonly catchUp: RoomCatchUp;
  private readonly host: RemoteToXmpp;
  /** What was said on the network while the bridge was away, for connectors that read history. */
  private readonly remoteCatchUp: RemoteCatchUp | undefined;
  private readonly toRemote: XmppToRemote;
  private readonly direct: DirectChats;
  private readonly mediaStore: MediaStore;
  private readonly retention: StoreRetention;
  private http: RunningHttpServer | undefined;
  private ops: RunningHttpServer | undefined;
  private readonly startedAt = Date.now();
  private stopping = false;
  /** Rejoins scheduled after a room kicked the bridge: one per room at most, removed as each fires. */
  private readonly rejoinTimers = new Set<NodeJS.Timeout>();
  private connectorStarted = false;
  /** Resolved once `connector.start` has; never when it fails (the bridge stops then, and nothing waiting may reach it). */
  private readonly started = Promise.withResolvers<void>();

  /**
   * Opens the store and starts pruning it, starts the media and ops
   * endpoints, connects to XMPP, joins linked rooms and starts the connector.
   */
  static async start(o: BridgeOptions): Promise<Bridge> {
    const store = o.store ?? (await openStore(o.config.store.url));
    const bridge = new Bridge(o, store, o.store === undefined);
    try {
      await bridge.run();
    } catch (e) {
      await bridge
        .stop()
        .catch(logFailure(bridge.logger, "could not stop what had started of a bridge that failed to start"));
      throw e;
    }
    return bridge;
  }

  /**
   * Builds each part after the parts it uses, and hands it those. The
   * engine's genuine cycles go through a LateBound each, bound as soon as the
   * later part exists. The bridge's own methods handed out as callbacks
   * (`onRelayRemoved`, `linkRoom`, `adminActions`, `readiness`...) run on
   * events and requests, once everything is built.
   */
  private constructor(o: BridgeOptions, store: BridgeStore, ownsStore: boolean) {
    const c = o.config;
    this.config = c;
    this.connector = o.connector;
    this.store = store;
    this.ownsStore = ownsStore;
    this.logger = (o.logger ?? createLogger({ level: c.log.level, secrets: secretsOf(c) })).child({
      network: o.connector.network,
    });
    const network = o.connector.network;
    const domain = c.xmpp.domain.toLowerCase();
    this.permissions = new Permissions({
      entries: c.permissions,
      admins: c.admins,
      serverDomain: serverDomainOf(c.xmpp),
    });
    this.session = new ComponentSession({
      host: c.xmpp.host,
      port: c.xmpp.port,
      domain,
      secret: c.xmpp.secret,
      limits: c.xmpp.limits,
    });
    this.router = new IqRouter({
      send: (el) => this.session.send(el),
      logger: this.logger.child({ part: "iq" }),
      onHandlerError: (e) =>
        this.logger.error("an iq handler failed", { error: e instanceof Error ? e.message : String(e) }),
    });
    this.mediaStore = new MediaStore({ dir: c.media.dir, logger: this.logger });
    this.puppets = new PuppetDirectory({
      network,
      domain,
      store,
      avatars: mediaAvatarHost(this.mediaStore, c.media),
      logger: this.logger.child({ part: "puppets" }),
    });
    const disco = new DiscoResponder({
      domain,
      gateway: { type: network, name: o.connector.displayName },
      puppetFeatures: puppetFeatures(o.connector),
      puppetExists: (local) => this.puppets.has(local),
    });
    disco.install(this.router);
    this.puppets.installVcard(this.router);
    installPuppetAvatarPep(this.router, { domain, avatarOf: (local) => this.puppets.avatarOf(local) });
    this.links = new RoomLinks(network, store);
    this.delivery = new DeliveryQueue({
      // A policy given in code (tests) is used as it is; otherwise transient failures are retried for delivery.retrySeconds.
      ...(o.delivery ?? { retryForMs: c.delivery.retrySeconds * 1000 }),
      ...(o.bounds?.maxPending !== undefined && { maxPending: o.bounds.maxPending }),
      ledger: store,
      logger: this.logger.child({ part: "delivery" }),
      onDeadLetter: () => this.metrics.deadLetter(network),
      onAttemptFailed: ({ lane, transient }) =>
        this.metrics.failure(
          network,
          lane.startsWith("remote") ? "to-remote" : "to-xmpp",
          transient ? "transient" : "permanent",
        ),
    });
    this.reflections = new ReflectionTracker({
      logger: this.logger.child({ part: "reflections" }),
      // What awaits its reflection is sent again (after a dropped link, or at the next start) as long as a
      // catch-up would still relay it.
      maxAgeMs: c.xmpp.catchUp.maxAgeHours * 3_600_000,
      onSettled: ({ id, key, how }) => {
        if (how === "confirmed") void this.delivery.confirm(key, id);
        else void this.delivery.abandon(key, { drop: how === "given-up" });
      },
    });
    // The genuine cycles. MucOccupancy tells the relay that a puppet leaves, and the relay asks it which puppets
    // sit where; the catch-up reads the rooms' archives through the relay, and the relay starts a room's catch-up
    // when it reads the room again. The relay and the catch-up call the two directions (occupants and what is
    // caught up go to the remote side, notices to the admins), which are built from the context that holds them.
    const relay = new LateBound<RelayOccupant>("the relay");
    const directions = new LateBound<{ readonly host: RemoteToXmpp; readonly toRemote: XmppToRemote }>(
      "the relay directions",
    );
    this.occupancy = new MucOccupancy({
      domain,
      send: (el) => this.session.send(el),
      caps: disco.puppetCaps,
      resource: PUPPET_RESOURCE,
      onRemoved: (room, local, kind) => this.onPuppetRemoved(room, local, kind),
      onLeave: (room, local) => relay.get().puppetLeaving(room, local),
    });
    this.catchUp = new RoomCatchUp({
      store,
      logger: this.logger.child({ part: "catch-up" }),
      archivedAfter: (room, q) => relay.get().archivePage(room, q),
      maxMessages: c.xmpp.catchUp.maxMessages,
      maxAgeMs: c.xmpp.catchUp.maxAgeHours * 3_600_000,
      ...(o.bounds?.catchUpHeld !== undefined && { maxHeld: o.bounds.catchUpHeld }),
      notice: (text) => directions.get().host.notifyAdmins(text),
      onProgress: (_room, n) => this.metrics.caughtUp(network, "to-remote", n),
    });
    this.relay = new RelayOccupant({
      domain,
      nick: `${o.connector.displayName} bridge`,
      send: (el) => this.session.send(el),
      logger: this.logger.child({ part: "relay" }),
      router: this.router,
      // The bridge has the relay join again (`scheduleRejoin`).
      onRemoved: (room, kind) => this.onRelayRemoved(room, kind),
      // Where a puppet of ours sits, the relay steps aside and that puppet's copy of the room is read.
      puppetsIn: (room) => this.occupancy.localsIn(room),
      puppetJid: (local) => `${local}@${domain}/${PUPPET_RESOURCE}`,
      onOccupant: (room, occupant, kind, departure) =>
        directions.get().toRemote.occupant(room, occupant, kind, departure),
      onReadingAgain: (room, joined) =>
        this.catchUp.begin(room, joined, (m) => directions.get().toRemote.fromArchive(room, m)),
    });
    relay.set(this.relay);
    this.retention = new StoreRetention({
      store,
      policy: c.store.retention,
      // An unconfirmed delivery is pruned only once the next start would no longer send it again.
      unconfirmedReachMs: c.xmpp.catchUp.maxAgeHours * 3_600_000,
      logger: this.logger.child({ part: "retention" }),
      ...(o.now !== undefined && { now: o.now }),
      onPruned: (records, rows) => this.metrics.pruned(records, rows),
    });
    // The public URL is known once the HTTP endpoint listens (port 0 picks a free one), in `run`.
    const publicUrl = () => publicUrlFor(c.http, this.http?.port ?? c.http.port);
    const media = new EngineMediaRelay({
      store: this.mediaStore,
      publicUrl,
      maxBytes: c.media.maxBytes,
      allowPrivateAddresses: c.media.allowPrivateAddresses,
      router: this.router,
      requesterFor: (room) => this.relay.actorJid(room),
      logger: this.logger.child({ part: "media" }),
      ...(c.xmpp.uploadService !== undefined && {
        uploader: new HttpUploader({
          service: c.xmpp.uploadService,
          from: domain,
          request: (r) => this.router.request(r),
        }),
      }),
    });
    // A post's first attempt is remembered for as long as a catch-up may read its message again, retries included.
    const postRecordMs = postRecordMsOf(c.xmpp.catchUp.maxAgeHours, c.delivery.retrySeconds);
    const ctx: EngineContext = {
      network,
      domain,
      connector: o.connector,
      store,
      connectorState: connectorStateIn(store, network, c.store.retention),
      postRecordMs,
      logger: this.logger,
      metrics: this.metrics,
      send: (el, xml) => this.session.send(el, xml),
      router: this.router,
      links: this.links,
      puppets: this.puppets,
      occupancy: this.occupancy,
      relay: this.relay,
      delivery: this.delivery,
      reflections: this.reflections,
      catchUp: this.catchUp,
      echoes: new EchoGuard(),
      media,
      admins: c.admins,
      permissions: this.permissions,
      limits: {
        maxPostsPerMessage: c.xmpp.limits.maxPostsPerMessage,
        senders: new SenderRate({ perMinute: c.xmpp.limits.messagesPerMinute, burst: c.xmpp.limits.burst }),
        // 0 messages a minute: no limit (SenderRate lets everything through).
      },
      roomPresence: roomPresenceOptionsOf(c.connectors[network]),
      puppetResource: PUPPET_RESOURCE,
      linkRoom: (channel, room) => this.linkRoom(channel, room),
      unlinkRoom: (channel, room) => this.unlinkRoom(channel, room),
      connectorStarted: this.started.promise,
    };
    const posts = new RemotePosts({
      network,
      connector: o.connector,
      store,
      logger: this.logger.child({ part: "posts" }),
      keepMs: postRecordMs,
    });
    this.direct = new DirectChats(ctx, posts);
    this.host = new RemoteToXmpp(ctx, this.direct);
    const host = this.host;
    this.remoteCatchUp = remoteCatchUpFor(o.connector, {
      ...catchUpBoundsOf(c.connectors[network], c.xmpp.catchUp),
      state: ctx.connectorState,
      logger: this.logger.child({ part: "remote-catch-up" }),
      hand: host,
      settled: () => host.settled(),
      notice: (text) => host.notifyAdmins(text),
      onHanded: () => this.metrics.caughtUp(network, "to-xmpp", 1),
    });
    if (this.remoteCatchUp) this.host.useHistory(this.remoteCatchUp);
    this.toRemote = new XmppToRemote(ctx, posts);
    directions.set({ host: this.host, toRemote: this.toRemote });
    new AdminCommands({
      domain,
      admins: c.admins,
      isAdmin: (bare) => this.permissions.allows(bare, "admin"),
      actions: this.adminActions(),
      logger: this.logger.child({ part: "admin" }),
    }).install(this.router, disco);
    this.metrics.onScrape(() => this.reportSizes());
  }

  /**
   * parley_puppets, parley_cache_entries and the delivery queue's depth and
   * unconfirmed count: what the engine and the connector hold now, read when
   * scraped (set on every change, the labelled gauges cost more than the rest
   * of a delivery's bookkeeping).
   */
  private reportSizes(): void {
    this.metrics.queueDepth("delivery", this.delivery.depth);
    this.metrics.unconfirmed(this.connector.network, this.delivery.unconfirmed);
    this.metrics.puppets(this.connector.network, this.puppets.size);
    for (const [cache, n] of Object.entries(this.engineCacheSizes())) this.metrics.cacheEntries(`engine.${cache}`, n);
    const connectorSizes = this.connector.cacheSizes?.() ?? {};
    for (const [cache, n] of Object.entries(connectorSizes)) this.metrics.cacheEntries(cache, n);
  }

  /** Entries in the engine's long-lived maps, by part. */
  private engineCacheSizes(): Record<string, number> {
    return {
      puppets: this.puppets.size,
      "room-seats": this.occupancy.seats,
      "direct-chats": this.direct.size,
      "room-presence": this.host.roomPresence.size,
    };
  }

  /** Where the public media endpoint (`http`) listens: /media/<id>. */
  get httpUrl(): string | undefined {
    return this.http?.url;
  }

  /** Where the operator's endpoint (`ops`) listens: /healthz, /readyz, /metrics. */
  get opsUrl(): string | undefined {
    return this.ops?.url;
  }

  /** The host the connector feeds; exposed for tests and tools that inject remote events. */
  get connectorHost(): RemoteToXmpp {
    return this.host;
  }

  private async run(): Promise<void> {
    const c = this.config;
    this.retention.start();
    const http = await startMediaServer({
      host: c.http.host,
      port: c.http.port,
      media: this.mediaStore,
      logger: this.logger.child({ part: "http" }),
    });
    this.http = http;
    const ops = await startOpsServer({
      host: c.ops.host,
      port: c.ops.port,
      metrics: this.metrics,
      readiness: () => this.readiness(),
      ...(c.ops.metricsToken !== undefined && { metricsToken: c.ops.metricsToken }),
      logger: this.logger.child({ part: "ops" }),
    });
    this.ops = ops;
    if (!isLoopbackHost(c.ops.host) && c.ops.metricsToken === undefined) {
      const why = "the ops endpoint listens beyond this machine and serves /metrics to anyone";
      this.logger.warn(`${why}; set ops.metricsToken, or ops.host to 127.0.0.1`, { ops: ops.url });
    }
    await this.links.load(
      c.links.filter((l) => l.network === this.connector.network).map((l) => ({ channel: l.channel, room: l.room })),
    );
    this.session.on("stanza", (el) => this.dispatch(el));
    this.session.on("dropped", ({ skeleton, reason }) => {
      this.metrics.badInput("xmpp");
      this.logger.warn("a stanza over xmpp.limits was dropped; the link stays up", {
        reason,
        ...describeDropped(skeleton),
      });
      const answer = answerForDropped(skeleton);
      if (answer)
        void this.session.send(answer).catch((e: unknown) =>
          this.logger.warn("could not answer a dropped stanza", {
            error: e instanceof Error ? e.message : String(e),
          }),
        );
    });
    this.session.on("online", () => {
      this.metrics.xmppConnected(true);
      if (this.session.connections > 1) void this.afterReconnect();
    });
    this.session.on("offline", (why) => {
      this.metrics.xmppConnected(false);
      this.metrics.xmppLinkDropped();
      if (!this.stopping) this.logger.warn("the link to the XMPP server dropped; reconnecting", { reason: why });
    });
    this.session.on("warning", (msg) => this.logger.warn(msg));
    await this.session.start();
    this.logger.info("connected to the XMPP server as a component", { domain: c.xmpp.domain });
    await Promise.all(
      this.links.allRooms().map((room) =>
        this.relay.join(room).catch((e: unknown) =>
          this.logger.error("could not join a linked room", {
            room,
            error: e instanceof Error ? e.message : String(e),
          }),
        ),
      ),
    );
    // What the last run sent and never saw confirmed goes first: found in the rooms' archives, or sent again.
    await this.reconcileUnconfirmed();
    await this.connector.start(this.host);
    this.connectorStarted = true;
    this.started.resolve();
    this.logger.info("bridge started", { links: this.links.list().length, http: http.url, ops: ops.url });
  }

  readiness(): { ready: boolean; checks: Record<string, boolean> } {
    const checks = {
      xmpp: this.session.state === "online",
      connector: this.connectorStarted && this.host.isConnected,
    };
    return { ready: checks.xmpp && checks.connector && !this.stopping, checks };
  }

  /** Routes one stanza from the server to the part that owns it; never throws. */
  private dispatch(el: Element): void {
    try {
      if (this.router.dispatch(el)) return;
      if (this.direct.dispatch(el)) return; // XEP-0356: the server's grant, and users' presence it forwards
      if (this.relay.dispatch(el)) return;
      if (this.occupancy.dispatch(el)) return;
      if (this.toRemote.dispatch(el)) return;
      // Another puppet's copy of room traffic (the relay's or the reader's copy is read): a room sends one to
      // every puppet seated in it, so it is dropped before anything is made of it.
      if (el.name === "message" && el.attrs.type === "groupchat") return;
      void this.toPuppet(el).catch((e: unknown) => {
        this.metrics.badInput("xmpp");
        this.logger.warn("a stanza for a puppet could not be handled", {
          error: e instanceof Error ? e.message : String(e),
        });
      });
    } catch (e) {
      this.metrics.badInput("xmpp");
      this.logger.warn("a stanza could not be handled", { error: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * The sender of a private message through a linked room (XEP-0045 §7.5,
   * from `room/nick`) to puppet `local` seated there, with the real JID the
   * room tells of them (undefined when it does not: judged by `*`); undefined
   * for anything else.
   */
  private roomOccupantWriting(from: string | undefined, local: string): { realJid?: string } | undefined {
    const slash = from?.indexOf("/") ?? -1;
    if (from === undefined || slash < 0) return undefined;
    const room = from.slice(0, slash).toLowerCase();
    if (this.links.channelsOf(room).length === 0 || this.occupancy.nickIn(room, local) === undefined) return undefined;
    const realJid = this.relay.occupant(room, from.slice(slash + 1))?.jid;
    return realJid !== undefined ? { realJid } : {};
  }

  /** Stanzas addressed to a puppet: direct chats, subscriptions, and errors from rooms. */
  private async toPuppet(el: Element): Promise<void> {
    await this.started.promise; // answering may ask the connector (who is this user?), which must have started
    const to = parseJid(el.attrs.to ?? "");
    if (!to.ok || to.value.local === undefined) return;
    const local = to.value.local;
    // Writing to remote users (and subscribing to them) is for those `permissions` let: a stranger makes the
    // bridge look up no remote id and store no puppet.
    // A private message through a linked room to a puppet seated there needs no more than speaking in the room.
    const viaRoom = this.roomOccupantWriting(el.attrs.from, local);
    const mayWrite = viaRoom
      ? this.permissions.allows(viaRoom.realJid, "relay")
      : this.permissions.allows(el.attrs.from, "dm");
    if (el.name === "presence") {
      const p = parsePresence(el);
      if (!p.ok || !mayWrite) return;
      const puppet = await this.puppets.byLocal(local);
      if (puppet) await this.direct.handlePresence(p.value, puppet);
      return;
    }
    if (el.name !== "message") return;
    const parsed = parseMessage(el);
    if (!parsed.ok) {
      this.metrics.badInput("xmpp");
      return;
    }
    const m = parsed.value;
    if (m.type === "error") {
      // A room refused a message of ours that awaits its reflection: most likely the room no longer counts the
      // puppet as an occupant (it restarted, or was destroyed and made again). Everything up to the tracker call
      // runs as the refusal arrives, before any await, so that refusals are acted on in their order.
      const room = bareJid(m.from ?? "");
      const id = el.attrs.id;
      if (room === undefined || id === undefined || !this.reflections.isPending(id)) return;
      // After a dropped link the room's recovery sends it again itself.
      if (this.reflections.isRecovering(room)) return;
      this.logger.info("a room refused a puppet's message; the puppet joins again and sends it again", {
        room,
        condition: m.error?.condition,
      });
      // The engine believes the puppet is in: the room forgot it without a word. Forgetting it here sends the
      // engine's next message for it through `relay.join`, which waits for the hold below, so nothing new
      // overtakes what is sent again; and nobody else joins it meanwhile, so it joins directly (`join` would
      // wait for its own hold). Otherwise the engine knew it left and its next message joins it again: join
      // along with that (`ensureJoined` shares a join in flight).
      const forgotten =
        this.occupancy.nickIn(room, local) !== undefined && this.reflections.needsRejoin(id, local)
          ? this.occupancy
              .leave(local, room)
              .catch(
                logFailure(
                  this.logger,
                  "a puppet the room forgot could not be taken out before it joins again",
                  "debug",
                ),
              )
          : undefined;
      const act = () =>
        this.reflections.refused(id, local, async () => {
          const puppet = await this.puppets.byLocal(local);
          if (!puppet) throw new Error(`no puppet ${local}`);
          if (!forgotten) {
            await this.host.ensureJoined(puppet, room);
            return;
          }
          await forgotten;
          await this.relay.enter(room);
          await this.occupancy.join(this.puppets.identity(puppet), room);
        });
      await (forgotten ? this.relay.holdWhile(room, act) : act());
      return;
    }
    if (!mayWrite) {
      this.logger.debug("a direct message from someone permissions do not let write to remote users", {
        from: el.attrs.from,
      });
      await this.direct.bounce(el, "forbidden", "this bridge does not take direct messages from you (permissions)");
      return;
    }
    const puppet = (await this.puppets.byLocal(local)) ?? (await this.lookupPuppet(local));
    if (!puppet) {
      await this.direct.bounce(el, "item-not-found", "no such user on the bridged network");
      return;
    }
    await this.direct.fromXmpp(m, el, puppet);
  }

  /**
   * The link is back after dropping: what the old link carried may be lost.
   * This runs from the session's "online" event, ahead of the stanzas held
   * while the link was down, and its synchronous part takes stock before
   * anything new is sent: the messages awaiting their reflection, and the
   * occupancies (the rooms may have dropped the puppets, or restarted). Each
   * room is then held while the relay and its puppets join again and the
   * room's recovery sends again, in order, what its archive does not have;
   * only then do the engine's senders, waiting in `relay.join`, go on.
   */
  private async afterReconnect(): Promise<void> {
    this.logger.info("reconnected to the XMPP server; joining rooms again");
    const recovery = this.reflections.beginRecovery();
    this.holdBackUnconfirmed();
    this.relay.markAllLeft();
    const held = this.occupancy.forgetAll();
    await Promise.all(
      this.relay.roomList.map((room) =>
        this.relay
          .holdWhile(room, () =>
            this.recoverRoom(
              room,
              recovery,
              held.filter((h) => h.room === room).map((h) => h.local),
            ),
          )
          .catch((e: unknown) => {
            this.logger.error("could not join a linked room again after reconnecting", {
              room,
              error: e instanceof Error ? e.message : String(e),
            });
            this.scheduleRejoin(room, 0);
          }),
      ),
    );
    this.reflections.endRecovery(recovery);
  }

  /**
   * Room messages queued while the link was down would be the first thing
   * written on the new link, ahead of older ones the old link lost, which the
   * recovery sends again only later: they would overtake them. They are taken
   * out of the session's queue (their senders are told they were written) and
   * left to the recovery, which has them as unconfirmed and sends them in
   * their place. Everything else queued stays, in order.
   */
  private holdBackUnconfirmed(): void {
    const queue = this.session.queue;
    const kept: QueuedItem[] = [];
    for (let item = queue.shift(); item; item = queue.shift()) {
      const el = item.data.startsWith("<message") ? parseXml(item.data) : undefined;
      const id = el?.ok ? el.value.attrs.id : undefined;
      if (el?.ok && el.value.attrs.type === "groupchat" && id !== undefined && this.reflections.isPending(id)) {
        item.resolve();
      } else {
        kept.push(item);
      }
    }
    for (const item of kept) queue.push(item.data).then(item.resolve, item.reject);
  }

  /** One room after a reconnect: the relay, then its puppets, join again; then what was lost is sent again. */
  private async recoverRoom(room: string, recovery: number, held: readonly string[]): Promise<void> {
    try {
      await this.relay.enter(room);
      // Senders of unconfirmed messages join too, even when the room had already dropped them (a shutdown
      // notice before the link went down empties `held`): what is sent again goes out under their names.
      const senders = new Set(held);
      for (const local of await this.sendersAwaitingReflection(room)) senders.add(local);
      await Promise.all(
        [...senders].map(async (local) => {
          const puppet = await this.puppets.byLocal(local);
          if (!puppet) return;
          await this.occupancy.join(this.puppets.identity(puppet), room).catch((e: unknown) =>
            this.logger.warn("a puppet could not join a room again after reconnecting", {
              room,
              puppet: local,
              error: e instanceof Error ? e.message : String(e),
            }),
          );
        }),
      );
    } finally {
      // Runs even when the relay could not join: what is pending is then sent again (and refused and retried)
      // rather than left to wait for the next reconnect. After the room's catch-up has read what the room said
      // meanwhile: sent first, it could push that out of a bounded archive.
      await this.catchUp.archiveRead(room);
      const network = this.connector.network;
      const r = await this.reflections.recover(room, recovery, {
        archived: (since, ids) => this.relay.archivedIds(room, since, ids),
        onArchived: (id, stanzaId) => this.store.setStanzaId(network, room, id, stanzaId),
      });
      if (r.arrived + r.resent + r.dropped > 0) {
        this.logger.info("recovered what the link may have lost", { room, ...r });
      }
    }
  }

  /**
   * At start, before the connector hands over anything new: what the last
   * run sent to rooms and never saw confirmed (it crashed, or its stop timed
   * out). Each is looked up in its room's archive by origin-id: found, it is
   * confirmed (and its stanza-id mapped); absent, it is sent again, in the
   * original order, with the original ids, and awaited like anything sent.
   * The rooms' recoveries after a dropped link do exactly this, so this
   * takes the same path.
   */
  private async reconcileUnconfirmed(): Promise<void> {
    const network = this.connector.network;
    const rows = await this.store.unconfirmed(network);
    if (rows.length === 0) return;
    const rooms = new Set<string>();
    const directs: Array<{ key: string; id: string; user: string; el: Element }> = [];
    let confirmedBefore = 0;
    for (const u of rows) {
      // Confirmed, then the process died before its unconfirmed record went.
      if ((await this.store.deliveredResult(u.key)) !== undefined) {
        await this.store.dropUnconfirmed(u.key);
        confirmedBefore++;
        continue;
      }
      const parsed = parseXml(u.data);
      if (!parsed.ok) {
        this.logger.error("an unconfirmed delivery of the last run is unreadable and is given up", { key: u.key });
        await this.store.dropUnconfirmed(u.key);
        continue;
      }
      if (parsed.value.attrs.type === "chat") {
        directs.push({ key: u.key, id: u.id, user: u.target, el: parsed.value });
        continue;
      }
      if (this.links.channelsOf(u.target).length === 0) {
        this.logger.warn("an unconfirmed delivery of the last run is for a room no longer linked; given up", {
          key: u.key,
          room: u.target,
        });
        await this.store.dropUnconfirmed(u.key);
        continue;
      }
      const el = parsed.value;
      this.reflections.track(u.id, u.target, () => this.session.send(el), { key: u.key, sender: u.sender, at: u.at });
      this.delivery.expectConfirmation(u.key, u.id);
      rooms.add(u.target.toLowerCase());
    }
    this.logger.info("reconciling what the last run sent and never saw confirmed", {
      unconfirmed: rows.length - confirmedBefore,
      rooms: rooms.size,
    });
    const recovery = this.reflections.beginRecovery();
    let joins = 0;
    await Promise.all(
      [...rooms].map((room) =>
        this.relay
          .holdWhile(room, () => this.recoverRoom(room, recovery, []))
          .catch((e: unknown) => {
            joins++;
            this.logger.error("could not reconcile a room's unconfirmed deliveries", {
              room,
              error: e instanceof Error ? e.message : String(e),
            });
          }),
      ),
    );
    this.reflections.endRecovery(recovery);
    if (joins > 0) this.logger.warn("some rooms could not be reconciled; they are tried again at the next start");
    await this.resendDirect(directs);
  }

  /**
   * Direct messages the last run sent and never saw the user's server
   * confirm: no archive of the user's is the bridge's to look in, so each
   * goes again with its own ids, in order, confirmed like a new one (see
   * DirectChats). One that cannot go stays on record for the next start.
   */
  private async resendDirect(
    rows: ReadonlyArray<{ key: string; id: string; user: string; el: Element }>,
  ): Promise<void> {
    for (const d of rows) {
      this.delivery.expectConfirmation(d.key, d.id);
      try {
        await this.direct.sendConfirmed(d.key, d.id, d.user, d.el);
      } catch (e) {
        await this.delivery.abandon(d.key);
        this.logger.warn("a direct message of the last run could not be sent again; it is tried at the next start", {
          key: d.key,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  /** Puppets (by localpart) whose messages to `room` await their reflection, from the message map. */
  private async sendersAwaitingReflection(room: string): Promise<string[]> {
    const out: string[] = [...this.reflections.sendersIn(room)];
    for (const id of this.reflections.unconfirmedIn(room)) {
      const r = await this.store
        .byXmppId(this.connector.network, room, id)
        .catch(logFailure(this.logger, "could not look up an unconfirmed message's sender", "warn", { room }));
      if (r?.direction === "to-xmpp") out.push(localFromRemoteId(r.sender));
    }
    return out;
  }

  private onRelayRemoved(room: string, kind: string): void {
    if (this.stopping || !this.links.channelsOf(room).length) return;
    this.logger.warn("the bridge was removed from a linked room; joining again", { room, why: kind });
    this.scheduleRejoin(room, 0);
  }

  /**
   * Joins `room` again after a delay, backing off on failure (0.5 s doubling
   * to 30 s). Gives up once the bridge stops or the room is no longer linked;
   * a join meanwhile (by a sender, or after a reconnect) makes it a no-op.
   */
  private scheduleRejoin(room: string, attempt: number): void {
    if (this.stopping) return;
    const delay = Math.min(30_000, 500 * 2 ** attempt);
    const t = setTimeout(() => {
      this.rejoinTimers.delete(t);
      if (this.stopping || !this.links.channelsOf(room).length || this.relay.isJoined(room)) return;
      this.relay.join(room).catch((e: unknown) => {
        this.logger.warn("could not join a linked room again; trying later", {
          room,
          attempt: attempt + 1,
          error: e instanceof Error ? e.message : String(e),
        });
        this.scheduleRejoin(room, attempt + 1);
      });
    }, delay);
    this.rejoinTimers.add(t);
  }

  private onPuppetRemoved(room: string, local: string, kind: string): void {
    this.logger.info("a puppet left a room", { room, puppet: local, why: kind });
  }

  private adminActions(): AdminActions {
    return {
      networks: [this.connector.network],
      status: async () => ({
        xmpp: this.session.state,
        [this.connector.network]: this.host.isConnected ? "connected" : "disconnected",
        puppets: String(this.puppets.size),
        links: String(this.links.list().length),
        "queued deliveries": String(this.delivery.depth),
        uptime: formatUptime(Date.now() - this.startedAt),
      }),
      listLinks: async () => this.links.list(),
      link: async ({ network, channel, room }) => {
        if (network !== this.connector.network) throw new AdminActionError(`unknown network "${network}"`);
        const jid = parseJid(room);
        if (!jid.ok || jid.value.local === undefined || jid.value.resource !== undefined) {
          throw new AdminActionError(`"${room}" is not a room address (room@conference.example.org)`);
        }
        if (this.connector.channelExists && !(await this.connector.channelExists(channel))) {
          throw new AdminActionError(`channel "${channel}" does not exist or the bridge cannot post there`);
        }
        await this.linkRoom(channel, room).catch((e: unknown) => {
          throw new AdminActionError(e instanceof Error ? e.message : String(e));
        });
      },
      unlink: async ({ network, channel, room }) => {
        if (network !== this.connector.network) return false;
        return this.unlinkRoom(channel, room);
      },
    };
  }

  /**
   * A puppet nobody on the network has shown us yet (an XMPP user writes to
   * the JID of a remote user first): asks the connector whether that user
   * exists. Only plain escaped localparts name an id; hashed ones map back
   * through the store alone.
   */
  private async lookupPuppet(local: string): Promise<Puppet | undefined> {
    if (!this.connector.lookupUser) return undefined;
    const id = unescapeLocal(local);
    if (localFromRemoteId(id) !== local) return undefined;
    const user = await this.connector.lookupUser(id).catch((e: unknown) => {
      this.logger.debug("user lookup failed", { error: e instanceof Error ? e.message : String(e) });
      return undefined;
    });
    if (!user || user.isBridge) return undefined;
    return (await this.puppets.ensure(user)).puppet;
  }

  private async linkRoom(channel: string, room: string): Promise<void> {
    await this.links.add(channel, room, "admin");
    await this.relay.join(room.toLowerCase());
    if (this.connector.linked) {
      await this.connector.linked({ channel, room: room.toLowerCase() }).catch((e: unknown) =>
        this.logger.warn("the connector could not complete a new link", {
          channel,
          room,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    }
  }

  private async unlinkRoom(channel: string, room: string): Promise<boolean> {
    const removed = await this.links.remove(channel, room);
    const r = room.toLowerCase();
    if (removed && this.links.channelsOf(r).length === 0) {
      // Nothing relays into the room any more: its puppets go too, not only the relay (forgotten first, so
      // that the last puppet leaving does not call the relay back in).
      await this.relay.leave(r);
      for (const local of this.occupancy.localsIn(r)) await this.occupancy.leave(local, r, "unlinked");
      await this.catchUp.forget(r);
    }
    return removed;
  }

  /**
   * Stops the connector, drains the deliveries (up to `flushTimeoutMs`,
   * default `delivery.drainSeconds`: what is queued goes out and what was
   * sent is confirmed), leaves the rooms and closes everything. Safe to call
   * twice.
   */
  async stop(flushTimeoutMs = this.config.delivery.drainSeconds * 1000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.catchUp.close(); // what is left of a catch-up under way is caught up at the next start
    this.remoteCatchUp?.close(); // the same, the other way
    for (const t of this.rejoinTimers) clearTimeout(t);
    // What is queued goes out while the connector can still send it, and what was sent is confirmed by the
    // other side (the room's reflection, the network's answer); then the connector stops, and what it handed
    // over while stopping is drained too. What is still unconfirmed then stays on record for the next start.
    const deadline = Date.now() + flushTimeoutMs;
    await this.delivery.drain(flushTimeoutMs);
    if (this.connectorStarted)
      await this.connector.stop().catch(logFailure(this.logger, "the connector failed to stop"));
    // The cursors moved by what the connector handed over until it stopped.
    await this.remoteCatchUp?.flush();
    const drained = await this.delivery.drain(Math.max(0, deadline - Date.now()));
    if (!drained) {
      this.logger.warn("stopping with deliveries not confirmed yet; they are reconciled at the next start", {
        queued: this.delivery.depth,
        unconfirmed: this.delivery.unconfirmed,
        drainSeconds: flushTimeoutMs / 1000,
      });
    }
    this.delivery.close();
    // The relay leaves, and the puppets too: while the bridge is down, nobody on the network is there to read
    // the room, and the room must not show them present (they join again as they speak or show up). The relay
    // goes first, so that the last puppet leaving does not call it back in. The presences are queued, not
    // awaited: stopping the session sends what it can and drops the rest when the server is gone.
    const leaving = [
      // A leave the stopping session cannot send any more goes down with it, as said above: nothing to do about it.
      ...this.relay.roomList.map((room) => this.relay.leave(room).catch(() => undefined)),
      this.occupancy.leaveAll(`${this.connector.displayName} bridge stopped`),
    ];
    await this.session.stop().catch(logFailure(this.logger, "the XMPP session failed to stop cleanly", "info"));
    await Promise.all(leaving);
    await this.catchUp.flush();
    this.router.close();
    await Promise.all([this.http?.close(), this.ops?.close()]);
    await this.retention.stop();
    if (this.ownsStore) await this.store.close().catch(logFailure(this.logger, "the store failed to close"));
    this.logger.info("bridge stopped");
  }
}

function formatUptime(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
