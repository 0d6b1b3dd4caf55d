/**
 * Direct messages: an XMPP user adds a puppet JID to their roster (the puppet
 * answers the subscription and sends its presence from then on) and chats with
 * it 1:1; the connector carries the conversation to the remote user's DMs, and
 * the remote user's answers come back from the puppet.
 *
 * A user who writes to a puppet first gets it as a contact: put into their
 * roster by the bridge where their server grants it the roster privilege
 * (XEP-0356, see roster-privilege.ts), else asked to accept a subscription
 * request from the puppet. Either way the puppet's presence follows the remote
 * user's from then on.
 *
 * Message-map rows of a DM use the XMPP user's bare JID as `room` and the DM
 * channel behind the `dm:` prefix as `channel`, so edits, retractions and
 * reactions resolve through the same map as room messages. A DM too big for
 * one message of the network (`Connector.directLimits`) goes in parts, each
 * mapped (direct-parts.ts).
 *
 * When a DM to an XMPP user counts as delivered: there is no room to reflect
 * it, the user's client may be offline (or not offer XEP-0184 receipts), and a
 * component stream (XEP-0114) has no stream management. What the bridge can
 * know is that the user's server has it: after the message it pings the
 * user's domain on the same stream, and since a stream is read in order, the
 * answer (a result or an error, either way) comes only once the server has
 * dealt with the message: stored it offline or in the user's archive, or
 * passed it on. Until then the message is kept unconfirmed, with its stanza;
 * what a crash or a stop leaves unconfirmed is sent again at the next start,
 * before anything newer. The server's archive of a user is not the bridge's
 * to read, so a message the server had just before a crash goes twice, with
 * the same id and origin-id (clients that dedupe by them show it once): a DM
 * is delivered at least once, never lost silently. Corrections, retractions
 * and reactions in DMs are still sent once, without this confirmation.
 *
 * The other way, a DM from an XMPP user, the bridge cannot make safe: the
 * server hands it over a stream without acknowledgements, so a bridge killed
 * before the network took it loses it, and the user's archive is not the
 * bridge's to read it from again. What the sender can have is the truth: a
 * DM asking for an XEP-0184 receipt is answered from the puppet (to the
 * sender's full JID, with the message's id) only once its delivery job ended
 * delivered, every part sent; not while it is retried, never when it is
 * dead-lettered (the sender gets an error then). One answer per stanza that
 * asks: retries and parts do not multiply it, and a message come again with
 * an id already delivered (a client sending it again) is answered again. A
 * correction asking for one is answered once every part's edit went through;
 * a correction is not retried, so a refused one is answered by neither a
 * receipt nor an error. Retractions and reactions are not answered. Puppets
 * advertise the feature only where the network carries DMs
 * (`puppetFeatures`); groupchat never comes here (XEP-0184 §5.2).
 */

import {
  bareJid,
  buildMessage,
  buildPresence,
  buildRetraction,
  type Element,
  element,
  localFromRemoteId,
  type Message,
  NS,
  type Presence,
  stripFallback,
} from "@parley/stanza";
import { setBounded } from "../connector/bounded-map.ts";
import type { RemoteMessage, XmppSender } from "../connector/connector.ts";
import { supports } from "../connector/supports.ts";
import { TransientError } from "../delivery/index.ts";
import { fromStyling, type RichText, toStyling } from "../format/index.ts";
import type { MessageRecord } from "../store/index.ts";
import type { EngineContext } from "./context.ts";
import { DirectParts } from "./direct-parts.ts";
import { isEmptyText } from "./mentions.ts";
import type { Puppet } from "./puppet-directory.ts";
import type { RemotePosts } from "./remote-posts.ts";
import { RosterPrivilege } from "./roster-privilege.ts";
import { stanzaIdFor } from "./stanza-ids.ts";

export const DM_CHANNEL_PREFIX = "dm:";

/** Puppets whose presence subscribers are kept in memory (the least recently used beyond are read again from the store). */
export const SUBSCRIBERS_KEPT = 10_000;

/** Remote users whose route (the XMPP user their direct messages go to) is kept in memory. */
const ROUTES_KEPT = 10_000;

/** How long a count of reaction changes on one DM message is kept (reactions on older messages start again at 1). */
const REACTION_COUNT_TTL_MS = 30 * 24 * 3600_000;

/** How long the user's server has to answer the ping that follows a direct message. */
const SERVER_ANSWER_MS = 15_000;

/** The domain of a JID (`user@domain/resource`). */
function domainOf(jid: string): string {
  const at = jid.indexOf("@");
  const rest = at < 0 ? jid : jid.slice(at + 1);
  const slash = rest.indexOf("/");
  return slash < 0 ? rest : rest.slice(0, slash);
}

export class DirectChats {
  private readonly ctx: EngineContext;
  /**
   * Puppet -> the XMPP users subscribed to its presence, a cache of the store
   * (asked on every presence change of every puppet): at most
   * SUBSCRIBERS_KEPT puppets, the least recently used dropped.
   */
  private readonly subscribers = new Map<string, Set<string>>();
  /**
   * Remote user -> the XMPP user who wrote to them last, whom their direct
   * messages go to (`recipientOf`): a cache in front of the store, at most
   * ROUTES_KEPT, the least recently written dropped.
   */
  private readonly routes = new Map<string, string>();
  /** Orders the unconfirmed records of one millisecond (`UnconfirmedDelivery.seq`). */
  private seq = 0;
  /** What the XMPP servers granted the bridge (XEP-0356): contacts go into rosters where they let it. */
  readonly privilege: RosterPrivilege;
  /** Contacts being offered now ("puppet user"): a user's next message does not offer again meanwhile. */
  private readonly offering = new Set<string>();
  /** The last count of messages without an id (`idForUnnamed`), which the next waits for. */
  private unnamedCounting: Promise<void> = Promise.resolve();

  /** Sends, edits and deletes direct messages part by part (`Connector.directLimits`). */
  private readonly parts: DirectParts;

  constructor(ctx: EngineContext, posts: RemotePosts) {
    this.ctx = ctx;
    this.parts = new DirectParts(ctx, posts);
    this.privilege = new RosterPrivilege({
      domain: ctx.domain,
      router: ctx.router,
      logger: ctx.logger,
      onUserAvailable: (user) => this.onUserAvailable(user),
    });
  }

  /** Takes the stanzas of the roster privilege (its advertisement, users' forwarded presence); false for others. */
  dispatch(el: Element): boolean {
    return this.privilege.dispatch(el);
  }

  /** `user` writes to remote user `remoteId`: the remote user's direct messages go to them from now on. */
  private async rememberRoute(remoteId: string, user: string): Promise<void> {
    if (this.routes.get(remoteId) === user) return;
    setBounded(this.routes, remoteId, user, ROUTES_KEPT);
    await this.ctx.store.setState("dm-route", `${this.ctx.network} ${remoteId}`, user);
  }

  private async routeOf(remoteId: string): Promise<string | undefined> {
    return this.routes.get(remoteId) ?? (await this.ctx.store.getState("dm-route", `${this.ctx.network} ${remoteId}`));
  }

  isDirectRecord(r: MessageRecord): boolean {
    return r.channel.startsWith(DM_CHANNEL_PREFIX);
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.subscribers.size + this.routes.size;
  }

  private puppetJid(p: Puppet): string {
    return `${p.local}@${this.ctx.domain}/${this.ctx.puppetResource}`;
  }

  private async subscribersOf(local: string): Promise<Set<string>> {
    let set = this.subscribers.get(local);
    if (!set) {
      const saved = await this.ctx.store.getState("subscribers", `${this.ctx.network} ${local}`);
      set = this.subscribers.get(local) ?? new Set(saved ? (JSON.parse(saved) as string[]) : []);
    }
    // Most recently used last; the set in use is the one saved, so dropping it from here loses nothing.
    setBounded(this.subscribers, local, set, SUBSCRIBERS_KEPT);
    return set;
  }

  private async saveSubscribers(local: string, set: Set<string>): Promise<void> {
    await this.ctx.store.setState("subscribers", `${this.ctx.network} ${local}`, JSON.stringify([...set]));
  }

  /** A remote DM for an XMPP user: sent from the puppet as a 1:1 chat. */
  /**
   * The XMPP user a remote user's direct message is for: the one the
   * connector names (`directTo`, for networks whose DM is with one XMPP user
   * only); else, for an answer (a reply, or a message in a thread) to a
   * message of this DM, the XMPP user of that message; else the XMPP user who
   * wrote last to its author. Undefined when no XMPP user has written
   * there: see `unrouted`.
   */
  async recipientOf(m: RemoteMessage): Promise<string | undefined> {
    if (m.directTo !== undefined) return m.directTo;
    const channel = DM_CHANNEL_PREFIX + m.channel;
    for (const answered of [m.thread, m.replyTo]) {
      if (answered === undefined) continue;
      const records = await this.ctx.store.byRemoteId(this.ctx.network, answered);
      const mapped = records.find((r) => r.channel === channel);
      if (mapped !== undefined) return mapped.room;
    }
    return (
      (await this.routeOf(m.author.id)) ??
      // Written by versions before 0.2, per DM channel.
      (await this.ctx.store.getState("dm-user", `${this.ctx.network} ${m.channel}`))
    );
  }

  /**
   * A direct message no XMPP user is to get (nobody on XMPP wrote to its
   * author through the bridge): not relayed, logged, and the connector may
   * tell its author (`unroutedDirect`).
   */
  async unrouted(m: RemoteMessage): Promise<void> {
    this.ctx.logger.info("a direct message from a user no XMPP user wrote to was not relayed", {
      channel: m.channel,
      author: m.author.id,
    });
    const connector = this.ctx.connector;
    if (!connector.unroutedDirect) return;
    try {
      await connector.unroutedDirect({ channel: m.channel, author: m.author });
    } catch (e) {
      this.ctx.logger.warn("the connector could not answer an unrouted direct message", {
        channel: m.channel,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  async toXmpp(
    m: RemoteMessage,
    user: string,
    puppet: Puppet,
    text: RichText,
    parts: ReadonlyArray<{ url: string } | { notice: string }>,
  ): Promise<void> {
    const notices = parts.filter((p): p is { notice: string } => "notice" in p).map((p) => p.notice);
    const files = parts.filter((p): p is { url: string } => "url" in p);
    const styled = toStyling(text);
    const bodies: Array<{ remoteId: string; body: string; oob?: string; references?: typeof styled.references }> = [];
    const body = [styled.body, ...notices].filter((b) => b !== "").join("\n");
    if (body !== "" || files.length === 0) bodies.push({ remoteId: m.id, body, references: styled.references });
    files.forEach((f, i) => {
      bodies.push({ remoteId: bodies.length === 0 && i === 0 ? m.id : `${m.id}#${i + 1}`, body: f.url, oob: f.url });
    });
    for (const b of bodies) {
      const key = `to-xmpp dm ${this.ctx.network} ${b.remoteId} ${user}`;
      const id = stanzaIdFor(key, this.ctx.domain);
      const el = buildMessage({
        type: "chat",
        id,
        originId: id,
        from: this.puppetJid(puppet),
        to: user,
        body: b.body,
        ...(b.references && b.references.length > 0 && { references: b.references }),
        ...(b.oob !== undefined && { oob: [{ url: b.oob }] }),
        markable: true,
      });
      // On record before it is queued: a crash or a stop before the user's server has it leaves it to the next start.
      await this.ctx.store.recordUnconfirmed({
        key,
        network: this.ctx.network,
        target: user,
        sender: puppet.local,
        id,
        data: el.toString(),
        at: Date.now(),
        seq: this.seq++,
      });
      // Not awaited (the lane keeps the order, and the outcome waits for the server): producers still slow down
      // when the queue is full.
      await this.ctx.delivery.waitForRoom();
      const queued = this.ctx.delivery.enqueue({
        key,
        lane: `xmpp-dm:${user}`,
        describe: `direct message ${b.remoteId} to an XMPP user`,
        awaitsConfirmation: true,
        run: async () => {
          await this.ctx.store.recordMessage({
            network: this.ctx.network,
            channel: DM_CHANNEL_PREFIX + m.channel,
            remoteId: b.remoteId,
            room: user,
            originId: id,
            sender: m.author.id,
            direction: "to-xmpp",
            createdAt: m.timestamp ?? Date.now(),
          });
          await this.sendConfirmed(key, id, user, el);
          return id;
        },
      });
      queued.catch((e: unknown) =>
        this.ctx.logger.warn("a direct message could not be queued; it is sent at the next start", {
          key,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    }
  }

  /**
   * Sends a 1:1 stanza and confirms delivery `key` once the user's server
   * has it (see the top of this file). Throws a TransientError when the
   * server does not answer; the delivery then stays unconfirmed.
   */
  async sendConfirmed(key: string, id: string, user: string, el: Element): Promise<void> {
    await this.ctx.send(el);
    await this.serverHasRead(user);
    await this.ctx.delivery.confirm(key, id);
  }

  /**
   * Resolves once the server of `user` has dealt with everything the bridge
   * wrote before this call: it answered a ping (XEP-0199) sent after it on
   * the same stream. An error answer is an answer too; none within
   * SERVER_ANSWER_MS, or the link closing first, is not.
   */
  private async serverHasRead(user: string): Promise<void> {
    const domain = domainOf(user);
    let answer: Awaited<ReturnType<EngineContext["router"]["request"]>>;
    try {
      answer = await this.ctx.router.request(
        { type: "get", to: domain, from: this.ctx.domain, payload: element("ping", { xmlns: NS.ping }) },
        SERVER_ANSWER_MS,
      );
    } catch (e) {
      throw new TransientError(`${domain} did not confirm a direct message`, { cause: e });
    }
    // The router answers its own pending requests so when the link closes: that is no word from the server.
    if (answer.type === "error" && answer.error?.condition === "remote-server-timeout") {
      throw new TransientError(`${domain} did not confirm a direct message (remote-server-timeout)`);
    }
  }

  async sendEdit(r: MessageRecord, puppet: Puppet, body: string, original: string, id: string): Promise<void> {
    await this.ctx.send(
      buildMessage({ type: "chat", id, from: this.puppetJid(puppet), to: r.room, body, replace: { id: original } }),
    );
  }

  async sendRetraction(r: MessageRecord, id: string): Promise<void> {
    if (r.originId === undefined) return;
    const puppet = await this.ctx.puppets.byLocal(localFromRemoteId(r.sender));
    const from = puppet ? this.puppetJid(puppet) : undefined;
    if (!from) return;
    await this.ctx.send(buildRetraction({ type: "chat", id, from, to: r.room, retractId: r.originId }));
  }

  async sendReactions(r: MessageRecord, puppet: Puppet, target: string, emojis: readonly string[]): Promise<void> {
    // The id comes from the message, the sender, the set and how many times this sender's set on it changed: the
    // same for the same change, and a set coming back to an earlier value is a new change with a new id.
    const counter = `dm-reaction-changes ${this.ctx.network} ${r.room} ${target} ${puppet.local}`;
    const before = Number((await this.ctx.store.getState("engine", counter)) ?? "0");
    const change = (Number.isSafeInteger(before) ? before : 0) + 1;
    await this.ctx.store.setState("engine", counter, String(change), { ttlMs: REACTION_COUNT_TTL_MS });
    const key = `to-xmpp dm reactions ${this.ctx.network} ${r.room} ${target} ${puppet.local} ${emojis.join(",")} #${change}`;
    await this.ctx.send(
      buildMessage({
        type: "chat",
        id: stanzaIdFor(key, this.ctx.domain),
        from: this.puppetJid(puppet),
        to: r.room,
        reactions: { id: target, emojis },
        hints: ["store"],
      }),
    );
  }

  /** Sends a puppet's presence to every XMPP user subscribed to it. */
  async broadcastPresence(puppet: Puppet, only?: string): Promise<void> {
    const subs = only !== undefined ? [only] : [...(await this.subscribersOf(puppet.local))];
    for (const user of subs) {
      const status = puppet.presence?.status ?? "online";
      await this.ctx.send(
        status === "offline"
          ? buildPresence({ type: "unavailable", from: this.puppetJid(puppet), to: user })
          : buildPresence({
              from: this.puppetJid(puppet),
              to: user,
              ...(status === "idle" && { show: "away" as const }),
              ...(status === "dnd" && { show: "dnd" as const }),
              ...(puppet.presence?.message !== undefined && { status: puppet.presence.message }),
              nick: puppet.displayName,
              vcardUpdate: { photo: puppet.avatarHash ?? "" },
            }),
      );
    }
  }

  /**
   * An XMPP user who writes to a puppet gets it as a contact, once: put into
   * their roster by the bridge where their server grants it (XEP-0356), with
   * the puppet's presence at once; else asked by the puppet for a
   * subscription (RFC 6121 §3.1), and a user who accepts and subscribes back
   * (clients offer to) gets the puppet's presence from then on. Not awaited
   * by the message that prompted it: the message does not wait for the
   * user's server, and the next one does not overtake it.
   */
  private offerContact(puppet: Puppet, user: string): void {
    const key = `${this.ctx.network} ${puppet.local} ${user}`;
    if (this.offering.has(key)) return;
    this.offering.add(key);
    this.makeContact(puppet, user, key)
      .catch((e: unknown) =>
        this.ctx.logger.warn("could not offer a remote user as a contact; the next message offers again", {
          puppet: puppet.local,
          error: e instanceof Error ? e.message : String(e),
        }),
      )
      .finally(() => this.offering.delete(key));
  }

  private async makeContact(puppet: Puppet, user: string, key: string): Promise<void> {
    const subs = await this.subscribersOf(puppet.local);
    if (subs.has(user)) return;
    if ((await this.ctx.store.getState("contact-offered", key)) !== undefined) return;
    const bare = `${puppet.local}@${this.ctx.domain}`;
    if (this.privilege.maySetRoster(domainOf(user))) {
      const refused = await this.privilege.addContact(user, {
        jid: bare,
        name: puppet.displayName,
        group: this.ctx.connector.displayName,
      });
      if (refused === undefined) {
        subs.add(user);
        await this.saveSubscribers(puppet.local, subs);
        await this.rememberContact(user, puppet.local);
        await this.ctx.store.setState("contact-offered", key, "roster");
        await this.broadcastPresence(puppet, user);
        return;
      }
      this.ctx.logger.info("the user's server did not take the puppet into the roster; asking the user instead", {
        puppet: puppet.local,
        condition: refused,
      });
    }
    await this.ctx.store.setState("contact-offered", key, "subscription");
    await this.ctx.send(buildPresence({ type: "subscribe", from: bare, to: user, nick: puppet.displayName }));
  }

  /**
   * The puppets the bridge put into a user's roster, for sending them their
   * contacts' presence when they come online (a server that keeps the item
   * at subscription `none`, ignoring the `both` asked for, does not probe it).
   */
  private async rememberContact(user: string, local: string): Promise<void> {
    const key = `${this.ctx.network} ${user}`;
    const saved = await this.ctx.store.getState("contacts", key);
    const locals = new Set(saved ? (JSON.parse(saved) as string[]) : []);
    if (locals.has(local)) return;
    locals.add(local);
    await this.ctx.store.setState("contacts", key, JSON.stringify([...locals]));
  }

  /** A user of a server granting presence came online: their puppet contacts' presence goes to that session. */
  private onUserAvailable(fullJid: string): void {
    const user = bareJid(fullJid);
    if (user === undefined) return;
    void (async () => {
      const saved = await this.ctx.store.getState("contacts", `${this.ctx.network} ${user}`);
      if (saved === undefined) return;
      for (const local of JSON.parse(saved) as string[]) {
        const puppet = await this.ctx.puppets.byLocal(local);
        if (puppet && (await this.subscribersOf(local)).has(user)) await this.broadcastPresence(puppet, fullJid);
      }
    })().catch((e: unknown) =>
      this.ctx.logger.warn("could not send a user their contacts' presence", {
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  }

  /** A presence addressed to a puppet's bare JID: subscription management and probes. */
  async handlePresence(p: Presence, puppet: Puppet): Promise<void> {
    const user = bareJid(p.from ?? "");
    if (user === undefined) return;
    const bare = `${puppet.local}@${this.ctx.domain}`;
    const subs = await this.subscribersOf(puppet.local);
    switch (p.type) {
      case "subscribe":
        subs.add(user);
        await this.saveSubscribers(puppet.local, subs);
        await this.ctx.send(buildPresence({ type: "subscribed", from: bare, to: user }));
        await this.broadcastPresence(puppet, user);
        return;
      case "unsubscribe":
        subs.delete(user);
        await this.saveSubscribers(puppet.local, subs);
        await this.ctx.send(buildPresence({ type: "unsubscribed", from: bare, to: user }));
        return;
      case "probe":
        if (subs.has(user)) await this.broadcastPresence(puppet, user);
        else await this.ctx.send(buildPresence({ type: "unsubscribed", from: bare, to: user }));
        return;
      default:
        return;
    }
  }

  /**
   * The occupant behind a private message sent through a linked room
   * (XEP-0045 §7.5: `room@muc/Nick` to the puppet's occupant JID, which the
   * room hands on from the sender's occupant JID): the conversation is with
   * that occupant, and answers go back through the room.
   */
  private roomOccupant(from: string): { readonly jid: string; readonly nick: string } | undefined {
    const slash = from.indexOf("/");
    if (slash < 0) return undefined;
    const room = bareJid(from);
    const nick = from.slice(slash + 1);
    if (room === undefined || nick === "" || this.ctx.links.channelsOf(room).length === 0) return undefined;
    return { jid: `${room}/${nick}`, nick };
  }

  /** A 1:1 message from an XMPP user to a puppet, or a private message from an occupant of a linked room. */
  async fromXmpp(m: Message, el: Element, puppet: Puppet): Promise<void> {
    const from = m.from ?? "";
    const occupant = this.roomOccupant(from);
    // Who the conversation is with: the user's bare JID, or the occupant JID of a private message in a room.
    const user = occupant?.jid ?? bareJid(from);
    if (user === undefined) return;
    const connector = this.ctx.connector;
    if (!supports(connector, "directMessages")) {
      await this.bounce(el, "feature-not-implemented", `${connector.displayName} direct messages are not bridged`);
      return;
    }
    const sender: XmppSender = occupant ?? { jid: user, nick: user.split("@")[0] ?? user };
    const lane = `remote-dm:${user}`;
    const find = (id: string) => this.ctx.store.byXmppId(this.ctx.network, user, id);
    // What the connector may derive a transaction id from: this stanza's own id, when it has one.
    const ownId = m.originId ?? m.id;
    const keyFor = (what: string) =>
      ownId !== undefined ? { key: `to-remote dm ${what} ${this.ctx.network} ${user} ${ownId}` } : {};
    const partsOf = (r: MessageRecord, id: string) =>
      this.ctx.store.partsByXmppId(this.ctx.network, user, id, r.channel);
    if (m.replace) {
      const r = await find(m.replace.id);
      if (r?.direction !== "to-remote" || !supports(connector, "edits")) return;
      const edited = await this.parts.edit({
        userId: puppet.remoteId,
        sender,
        parts: await partsOf(r, m.replace.id),
        user,
        xmppId: m.replace.id,
        text: fromStyling(m.body ?? "", m.references),
        ...keyFor("edit"),
      });
      if (edited) await this.acknowledge(m, puppet);
      return;
    }
    if (m.retract) {
      const r = await find(m.retract.id);
      if (r?.direction !== "to-remote" || !supports(connector, "deletes")) return;
      await this.parts.delete({ parts: await partsOf(r, m.retract.id), sender, ...keyFor("delete") });
      return;
    }
    if (m.reactions) {
      const r = await find(m.reactions.id);
      if (!r || !supports(connector, "reactions")) return;
      const setKey = `${user} ${m.reactions.id}`;
      const before = await this.ctx.store.getReactions(this.ctx.network, setKey, user);
      await this.ctx.store.setReactions(this.ctx.network, setKey, user, m.reactions.emojis);
      const channel = r.channel.slice(DM_CHANNEL_PREFIX.length);
      for (const e of m.reactions.emojis)
        if (!before.includes(e))
          await connector.react({ channel, id: r.remoteId, sender, emoji: e, action: "add", ...keyFor(`add ${e}`) });
      for (const e of before)
        if (!m.reactions.emojis.includes(e))
          await connector.react({
            channel,
            id: r.remoteId,
            sender,
            emoji: e,
            action: "remove",
            ...keyFor(`remove ${e}`),
          });
      return;
    }
    if (m.body === undefined) return;
    if (!occupant) this.offerContact(puppet, user);
    const body = stripFallback(m.body, m.fallbacks, NS.reply);
    const oobUrls = (m.oob ?? []).map((o) => o.url);
    const text = oobUrls.includes(body.trim()) ? { blocks: [] } : fromStyling(body, m.references);
    const attachments = await Promise.all(oobUrls.map((u) => this.ctx.media.toRemote(u)));
    if (isEmptyText(text) && attachments.length === 0) return;
    const xmppId = m.originId ?? m.id ?? (await this.idForUnnamed(user, puppet, body));
    const key = `to-remote dm ${this.ctx.network} ${user} ${xmppId}`;
    const outcome = await this.ctx.delivery.enqueue({
      key,
      lane,
      describe: `direct message from an XMPP user to ${puppet.local}`,
      run: async () => {
        // Before it is sent: the answer may come back before the post's does.
        await this.rememberRoute(puppet.remoteId, user);
        // Each part once: a retry, or the same message come again after a restart, sends only what is missing.
        return this.parts.send({ userId: puppet.remoteId, sender, text, attachments, key, user, xmppId });
      },
    });
    if (outcome.status === "dead") {
      await this.bounce(el, "recipient-unavailable", `could not deliver to ${connector.displayName}`);
      return;
    }
    // Delivered now, every part; or delivered before, the same message come again (its sender asks again).
    await this.acknowledge(m, puppet);
  }

  /**
   * The XEP-0184 receipt `m` asked for, from the puppet to the sender's full
   * JID: only once the network has the message (see the top of this file).
   * Not for a message without an id (the receipt names it), and never in
   * groupchat (XEP-0184 §5.2), which does not come here.
   */
  private async acknowledge(m: Message, puppet: Puppet): Promise<void> {
    if (!m.receiptRequest || m.id === undefined || m.from === undefined) return;
    if (m.type !== "chat" && m.type !== "normal") return;
    await this.ctx.send(
      buildMessage({
        type: m.type,
        id: stanzaIdFor(`receipt ${this.ctx.network} ${m.from} ${m.id}`, this.ctx.domain),
        from: this.puppetJid(puppet),
        to: m.from,
        receipt: { id: m.id },
        // Kept for a sender who went offline meanwhile (a delivery may be retried for minutes).
        hints: ["store"],
      }),
    );
  }

  /**
   * An id for a message that came without one: from its text and its place
   * among this user's messages without an id (counted in the store), so that
   * two alike are two messages, and a restart does not take a new one for one
   * already delivered.
   */
  private idForUnnamed(user: string, puppet: Puppet, body: string): Promise<string> {
    // One count at a time: two such messages handled at once must not read the same count.
    const id = this.unnamedCounting.then(() => this.countUnnamed(user, puppet, body));
    // The chain goes on after a failed count; the failure itself reaches the caller through `id`.
    this.unnamedCounting = id.then(
      () => undefined,
      () => undefined,
    );
    return id;
  }

  private async countUnnamed(user: string, puppet: Puppet, body: string): Promise<string> {
    const counter = `dm-unnamed ${this.ctx.network} ${user}`;
    const before = Number((await this.ctx.store.getState("engine", counter)) ?? "0");
    const n = (Number.isSafeInteger(before) ? before : 0) + 1;
    await this.ctx.store.setState("engine", counter, String(n));
    return stanzaIdFor(`from-xmpp dm unnamed ${user} ${puppet.local} #${n} ${body}`, this.ctx.domain);
  }

  /** Answers a message that cannot be carried with an error, so the XMPP user knows. */
  async bounce(el: Element, condition: string, text: string): Promise<void> {
    const { from, to, id } = el.attrs;
    if (!from || el.attrs.type === "error") return;
    await this.ctx.send(
      buildMessage({
        type: "error",
        from: to,
        to: from,
        ...(id !== undefined && { id }),
        error: { type: "cancel", condition: condition as "feature-not-implemented", text },
      }),
    );
  }
}
