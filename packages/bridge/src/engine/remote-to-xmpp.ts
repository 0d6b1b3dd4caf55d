/**
 * Remote -> XMPP: the `ConnectorHost` a connector feeds. Each remote event
 * becomes stanzas from the author's puppet into every room linked to the
 * channel (or a 1:1 chat for a direct message), through the delivery queue so
 * that each room sees them in order, retried, and never twice.
 */
import { createHash } from "node:crypto";
import {
  buildLegacyModerationRequest,
  buildMessage,
  buildModerationRequest,
  buildPresence,
  buildReplyBody,
  buildRetraction,
  type Element,
  type Fallback,
  localFromRemoteId,
  type MessageInput,
  type PresenceShow,
} from "@parley/stanza";
import type {
  ConnectorHost,
  ConnectorState,
  MembershipDetails,
  MembershipKind,
  RemoteDelete,
  RemoteEdit,
  RemoteMessage,
  RemotePresence,
  RemoteReaction,
  RemoteRead,
  RemoteTyping,
  RemoteUser,
} from "../connector/connector.ts";
import { describeFailure, PermanentError, TransientError } from "../delivery/index.ts";
import { toPlainText, toStyling } from "../format/index.ts";
import { MucJoinError } from "../puppets/muc-occupancy.ts";
import type { MessageRecord } from "../store/index.ts";
import type { EngineContext } from "./context.ts";
import type { DirectChats } from "./direct-chats.ts";
import { isEmptyText, mapMentions } from "./mentions.ts";
import {
  boundedForXmpp,
  idFits,
  MAX_ATTACHMENTS,
  MAX_ID_BYTES,
  MAX_REACTION_CODE_POINTS,
  reactionFits,
} from "./message-bounds.ts";
import type { Puppet } from "./puppet-directory.ts";
import type { RemoteCatchUp } from "./remote-catch-up.ts";
import { RoomPresence } from "./room-presence.ts";
import { stanzaIdFor } from "./stanza-ids.ts";
import { ThreadMap } from "./thread-map.ts";

/** Errors by which a room says it does not speak the current moderation form (so the legacy one is worth a try). */
const LEGACY_FALLBACK: ReadonlySet<string> = new Set(["service-unavailable", "feature-not-implemented", "bad-request"]);

/** How long a read marker waits for the room to reflect the message it names (and give its stanza-id). */
const REFLECTION_WAIT_MS = 5000;
/** How many message-map writes may wait for one commit before a new message waits for its own. */
const MAX_WRITES_IN_FLIGHT = 128;

/** How long the count of reaction changes on a message is kept: long after anyone reacts to it any more. */
const REACTION_COUNT_TTL_MS = 90 * 24 * 3_600_000;

/** Messages older than this are relayed with their original time (XEP-0203). */
const DELAY_THRESHOLD_MS = 5_000;

const DAY_MS = 86_400_000;

/** What a message without attachments adds to its text: nothing (shared, never written to). */
const NO_PARTS: ReadonlyArray<{ url: string } | { notice: string }> = [];

const SHOW: Record<RemotePresence["status"], PresenceShow | undefined> = {
  online: undefined,
  idle: "away",
  dnd: "dnd",
  offline: undefined,
};

export class RemoteToXmpp implements ConnectorHost {
  readonly network: string;
  readonly logger: ConnectorHost["logger"];
  private readonly ctx: EngineContext;
  private readonly direct: DirectChats;
  private readonly joins = new Map<string, Promise<string>>();
  private inFlightWrites = 0;
  /** Writes asked for and not settled yet (`settled` waits for them). */
  private readonly writes = new Set<Promise<void>>();
  /** Orders the unconfirmed records of one millisecond (`UnconfirmedDelivery.seq`). */
  private seq = 0;
  private connectedValue = false;
  readonly state: ConnectorState;
  readonly postRecordMs: number;
  /** Who of each channel's present members sits in its rooms. */
  readonly roomPresence: RoomPresence;
  /** Each channel's threads as the rooms'. */
  private readonly threads: ThreadMap;

  constructor(ctx: EngineContext, direct: DirectChats) {
    this.ctx = ctx;
    this.direct = direct;
    this.threads = new ThreadMap(ctx.network, ctx.store);
    this.network = ctx.network;
    this.logger = ctx.logger.child({ part: "connector", network: ctx.network });
    this.state = ctx.connectorState;
    this.postRecordMs = ctx.postRecordMs;
    this.roomPresence = new RoomPresence({
      maxOccupants: ctx.roomPresence.maxOccupants,
      logger: this.logger.child({ part: "room-presence" }),
      seating: {
        seated: (room) => ctx.occupancy.localsIn(room),
        seatCount: (room) => ctx.occupancy.countIn(room),
        join: async (puppet, room) => {
          await this.ensureJoined(puppet, room);
        },
        leave: (local, room) => ctx.occupancy.leave(local, room),
        announce: async (puppet, room) => {
          const nick = ctx.occupancy.nickIn(room, puppet.local);
          if (nick !== undefined) await ctx.send(this.presenceStanza(puppet, `${room}/${nick}`, puppet.presence));
        },
        puppet: (local) => ctx.puppets.peek(local),
      },
    });
  }

  /** Catching up on the network's history (connectors with `history`): told of every event handed over. */
  private history: RemoteCatchUp | undefined;

  /** Set by the engine when the connector reads history. */
  useHistory(history: RemoteCatchUp): void {
    this.history = history;
  }

  catchUp(channels?: readonly string[]): Promise<void> {
    return this.history?.catchUp(channels ?? this.linkedChannels()) ?? Promise.resolve();
  }

  linkedChannels(): readonly string[] {
    return this.ctx.links.channels();
  }

  roomsOf(channel: string): readonly string[] {
    return this.ctx.links.roomsOf(channel);
  }

  link(channel: string, room: string): Promise<void> {
    return this.ctx.linkRoom(channel, room);
  }

  unlink(channel: string, room: string): Promise<boolean> {
    return this.ctx.unlinkRoom(channel, room);
  }

  get isConnected(): boolean {
    return this.connectedValue;
  }

  private puppetJid(p: Puppet): string {
    return this.puppetJidOf(p.local);
  }

  private puppetJidOf(local: string): string {
    return `${local}@${this.ctx.domain}/${this.ctx.puppetResource}`;
  }

  /** Joins the relay and the puppet to `room` once; later calls share the result. */
  async ensureJoined(p: Puppet, room: string): Promise<string> {
    const nick = this.ctx.occupancy.nickIn(room, p.local);
    if (nick !== undefined) return nick;
    const key = `${room.toLowerCase()} ${p.local}`;
    let pending = this.joins.get(key);
    if (!pending) {
      pending = (async () => {
        await this.ctx.relay.join(room);
        try {
          return await this.ctx.occupancy.join(this.ctx.puppets.identity(p), room);
        } catch (e) {
          // A room that did not answer (or said "wait") may take the puppet later: let delivery retry.
          if (e instanceof MucJoinError && e.transient) throw new TransientError(e.message, { cause: e });
          throw e;
        }
      })().finally(() => this.joins.delete(key));
      this.joins.set(key, pending);
    }
    return pending;
  }

  /**
   * Joins the puppet to `room` for something it sends there, and waits while
   * the room's refusals of its earlier messages are acted on: what the room
   * refused goes again first, and nothing newer overtakes it (the engine may
   * hear that the room dropped the puppet before it hears of the refusal).
   * Also waits while a catch-up reads what the room said while the bridge was
   * away from its archive: written first, this could push that out of a
   * bounded archive (the join itself may start such a catch-up).
   */
  private readyToSend(p: Puppet, room: string): Promise<void> | undefined {
    // The usual case, nothing to wait for: settled at once, without a promise.
    if (this.waitBeforeSending(p, room) !== undefined) return this.waitUntilReady(p, room);
    const seated = this.roomPresence.spoke(room, p);
    if (seated === undefined) return undefined;
    return seated.then(() =>
      this.ctx.reflections.resending(room, p.local) === undefined ? undefined : this.waitUntilReady(p, room),
    );
  }

  /**
   * What `p` waits for before it sends in `room`, the first of: the room's refusals of its earlier messages
   * being acted on, its join (shared by every caller while it runs), a catch-up reading the room's archive.
   */
  private waitBeforeSending(p: Puppet, room: string): Promise<unknown> | undefined {
    return (
      this.ctx.reflections.resending(room, p.local) ??
      (this.ctx.occupancy.nickIn(room, p.local) === undefined ? this.ensureJoined(p, room) : undefined) ??
      this.ctx.catchUp.archiveRead(room)
    );
  }

  /** `readyToSend` when something is to be waited for. */
  private async waitUntilReady(p: Puppet, room: string): Promise<void> {
    for (;;) {
      const before = this.waitBeforeSending(p, room);
      if (before !== undefined) {
        await before;
        continue;
      }
      await this.roomPresence.spoke(room, p);
      if (this.ctx.reflections.resending(room, p.local) === undefined) return;
    }
  }

  private resolveMentions(m: RemoteMessage["text"]): RemoteMessage["text"] {
    return mapMentions(m, (target, name) => {
      if (target.remoteId === undefined || target.kind === "role" || target.kind === "channel") return undefined;
      return { target: { ...target, jid: `${localFromRemoteId(target.remoteId)}@${this.ctx.domain}` }, name };
    });
  }

  async message(m: RemoteMessage): Promise<void> {
    await this.relayMessage(m);
    // Catch-up resumes after it (and looks for changes to it) next time.
    if (m.direct !== true && this.isLinked(m.channel)) this.history?.messageHanded(m);
  }

  private isLinked(channel: string): boolean {
    return this.history !== undefined && this.ctx.links.roomsOf(channel).length > 0;
  }

  private async relayMessage(m: RemoteMessage): Promise<void> {
    const received = Date.now();
    if (!this.withinBounds("message", [m.id, m.channel, m.author.id, m.replyTo, m.thread])) return;
    if (m.author.isBridge) return;
    const known = await this.records(m.id);
    // The network's echo of something the bridge posted.
    if (known.some((r) => r.direction === "to-remote")) return;
    // Said within the day and never handed over before (the message map keeps a day at the very least): its
    // deliveries cannot be on record, and the queue need not look them up.
    const firstTime = known.length === 0 && m.timestamp !== undefined && Math.abs(received - m.timestamp) < DAY_MS;
    if (!this.withinRate(m.author)) return;
    // A direct message is routed before anything is made of it: one nobody is to get costs no puppet or download.
    const directTo = m.direct ? await this.direct.recipientOf(m) : undefined;
    if (m.direct && directTo === undefined) return this.direct.unrouted(m);
    const { puppet } = await this.ctx.puppets.ensure(m.author);
    const text = this.resolveMentions(m.text);
    const parts = m.attachments !== undefined && m.attachments.length > 0 ? await this.attachmentParts(m) : NO_PARTS;
    if (directTo !== undefined) {
      await this.direct.toXmpp(m, directTo, puppet, text, parts);
      return;
    }
    const rooms = this.ctx.links.roomsOf(m.channel);
    if (rooms.length === 0) {
      this.logger.debug("message in a channel linked to no room", { channel: m.channel });
      return;
    }
    if (rooms.length === 1) await this.postToRoom(m, puppet, text, parts, rooms[0] as string, received, firstTime);
    else await Promise.all(rooms.map((room) => this.postToRoom(m, puppet, text, parts, room, received, firstTime)));
  }

  private async attachmentParts(m: RemoteMessage): Promise<Array<{ url: string } | { notice: string }>> {
    const out: Array<{ url: string } | { notice: string }> = [];
    const all = m.attachments ?? [];
    for (const a of all.slice(0, MAX_ATTACHMENTS)) out.push(await this.ctx.media.toXmpp(a));
    if (all.length > MAX_ATTACHMENTS) {
      this.ctx.metrics.badInput(this.network);
      out.push({ notice: `[${all.length - MAX_ATTACHMENTS} more files of this message were not relayed]` });
    }
    return out;
  }

  private async postToRoom(
    m: RemoteMessage,
    puppet: Puppet,
    text: RemoteMessage["text"],
    parts: ReadonlyArray<{ url: string } | { notice: string }>,
    room: string,
    received: number,
    firstTime: boolean,
  ): Promise<void> {
    const lane = `xmpp:${room}`;
    const stanzas: Array<{ remoteId: string; input: MessageInput }> = [];
    const delay =
      m.timestamp !== undefined && received - m.timestamp > DELAY_THRESHOLD_MS
        ? { delay: { stamp: new Date(m.timestamp), from: this.ctx.domain } }
        : {};
    // The network's thread under the XMPP thread id it continues, if it does (else its own id).
    // A message that is its own thread (a Matrix message, any of which may become a root) was never posted by the
    // bridge, so no XMPP thread continues in it: not looked up, nor remembered.
    const xmppThread =
      m.thread === undefined || m.thread === m.id ? m.thread : await this.threads.toXmpp(room, m.channel, m.thread);
    const thread = xmppThread !== undefined ? { thread: { id: xmppThread } } : {};
    const bodyParts =
      parts.length === 0 ? [] : parts.filter((p): p is { notice: string } => "notice" in p).map((p) => p.notice);
    const files = parts.length === 0 ? [] : parts.filter((p): p is { url: string } => "url" in p);
    let mainText = text;
    if (bodyParts.length > 0) {
      mainText = {
        blocks: [
          ...text.blocks,
          ...bodyParts.map((n) => ({ type: "paragraph" as const, children: [{ type: "text" as const, text: n }] })),
        ],
      };
    }
    if (!isEmptyText(mainText) || files.length === 0) {
      const styled = boundedForXmpp(toStyling(mainText));
      let body = styled.body;
      let references = styled.references;
      const extra: Partial<MessageInput> = {};
      if (m.replyTo !== undefined) {
        const target = await this.recordIn(m.replyTo, room);
        if (target) {
          const targetNick = await this.nickOfAuthor(target, room);
          const replyTo = target.stanzaId ?? target.originId;
          if (replyTo !== undefined) {
            Object.assign(extra, { reply: { id: replyTo, ...(targetNick && { to: `${room}/${targetNick}` }) } });
            const quoted = m.replyQuote;
            if (quoted) {
              const fb = buildReplyBody({ quotedNick: quoted.authorName, quotedText: quoted.text, text: body });
              const shift = Array.from(fb.body).length - Array.from(body).length;
              body = fb.body;
              references = references.map((r) => ({
                ...r,
                ...(r.begin !== undefined && { begin: r.begin + shift }),
                ...(r.end !== undefined && { end: r.end + shift }),
              }));
              Object.assign(extra, { fallbacks: [fb.fallback as Fallback] });
            }
          }
        }
      }
      stanzas.push({
        remoteId: m.id,
        input: { type: "groupchat", body, ...(references.length > 0 && { references }), ...extra, ...thread, ...delay },
      });
    }
    files.forEach((f, i) => {
      stanzas.push({
        remoteId: stanzas.length === 0 && i === 0 ? m.id : `${m.id}#${i + 1}`,
        input: { type: "groupchat", body: f.url, oob: [{ url: f.url }], ...thread, ...delay },
      });
    });
    for (const s of stanzas) {
      const key = this.messageKey(s.remoteId, room);
      const id = stanzaIdFor(key, this.ctx.domain);
      const el = buildMessage({ ...s.input, id, originId: id, from: this.puppetJid(puppet), to: room });
      // Mapped before it is sent: the write is asked for now and committed with the others of
      // this turn (a connector handing over a burst one message at a time does not wait a
      // commit per message); the stanza leaves only once it is committed, and the store makes
      // a lookup by an edit, reaction or deletion that follows at once wait for it.
      const recorded = this.ctx.store.recordMessage({
        network: this.network,
        channel: m.channel,
        remoteId: s.remoteId,
        room,
        originId: id,
        sender: m.author.id,
        direction: "to-xmpp",
        createdAt: m.timestamp ?? received,
        ...(m.thread !== undefined && { thread: m.thread }),
        ...(xmppThread !== undefined && { xmppThread }),
      });
      this.writing(recorded);
      // Kept until the room confirms it, with the stanza: what a crash or a stop leaves unconfirmed is looked
      // up in the room's archive at the next start and sent again only when the room does not have it.
      // Serialised once: the same text is kept with the unconfirmed delivery and sent.
      const xml = el.toString();
      const unconfirmed = this.recordUnconfirmed(key, room, puppet, id, el, received, xml);
      // A connector handing over a backlog at once would otherwise queue it all behind one
      // huge commit: past a few dozen writes in flight, wait for this one.
      if (this.inFlightWrites > MAX_WRITES_IN_FLIGHT) await unconfirmed.catch(() => undefined);
      // Not awaited: the lane keeps the order, and the connector goes on with its next event.
      // Producers still slow down when the queue is full.
      if (!this.ctx.delivery.hasRoom) await this.ctx.delivery.waitForRoom();
      const outcome = this.ctx.delivery.enqueue({
        key,
        lane,
        describe: `message ${s.remoteId} to ${room}`,
        awaitsConfirmation: true,
        ...(firstTime && { firstTime }),
        run: async () => {
          await recorded;
          await unconfirmed;
          const ready = this.readyToSend(puppet, room);
          if (ready !== undefined) await ready;
          await this.sendTracked(key, id, room, el, puppet, xml);
          return id;
        },
      });
      // One handler for both ends (`queued` says a refusal): a message's outcome is not followed twice.
      outcome.then(
        (o) => {
          if (o.status === "sent") this.ctx.metrics.relayed(this.network, "to-xmpp", Date.now() - received);
        },
        (e: unknown) => this.notQueued(key, e),
      );
    }
  }

  /** The delivery key of a remote message (or one part of it) going to a room. */
  private messageKey(remoteId: string, room: string): string {
    return `to-xmpp ${this.network} ${remoteId} ${room}`;
  }

  /**
   * Sends a groupchat stanza and keeps it until the room reflects it, to send
   * it again after a dropped link; the reflection confirms delivery `key`.
   */
  private sendTracked(key: string, id: string, room: string, el: Element, puppet: Puppet, xml?: string): Promise<void> {
    this.ctx.reflections.track(id, room, () => this.ctx.send(el, xml), { key, sender: puppet.local });
    return this.ctx.send(el, xml);
  }

  /**
   * Records delivery `key` of stanza `el` as unconfirmed (unless it was
   * confirmed already: a message handed over again), to be reconciled at the
   * next start if the room never confirms it.
   */
  private recordUnconfirmed(
    key: string,
    room: string,
    puppet: Puppet,
    id: string,
    el: Element,
    at: number,
    xml?: string,
  ): Promise<void> {
    return this.recordUnconfirmedFrom(key, room, puppet.local, id, el, at, xml);
  }

  /** `recordUnconfirmed` for a sender known by its localpart. */
  private recordUnconfirmedFrom(
    key: string,
    room: string,
    local: string,
    id: string,
    el: Element,
    at: number,
    xml = el.toString(),
  ): Promise<void> {
    const write = this.ctx.store.recordUnconfirmed({
      key,
      network: this.network,
      target: room,
      sender: local,
      id,
      data: xml,
      at,
      seq: this.seq++,
    });
    this.writing(write);
    return write;
  }

  /** Counts a store write in flight (the store makes later lookups of the message map wait for it). */
  private writing(write: Promise<void>): void {
    this.inFlightWrites++;
    this.writes.add(write);
    const done = () => {
      this.inFlightWrites--;
      this.writes.delete(write);
    };
    write.then(done, done); // the delivery that awaits the write reports the failure
  }

  /**
   * Resolves once every store write asked for so far has settled: what was
   * handed over is on record, so that a connector may move its own cursor
   * past it (a crash then loses nothing the engine was handed).
   */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.writes]);
  }

  /** Every room the remote message went to (the store waits for writes of it still in flight). */
  private records(remoteId: string): Promise<MessageRecord[]> {
    return this.ctx.store.byRemoteId(this.network, remoteId);
  }

  private async recordIn(remoteId: string, room: string): Promise<MessageRecord | undefined> {
    const all = await this.records(remoteId);
    return all.find((r) => r.room === room.toLowerCase() || r.room === room);
  }

  private async nickOfAuthor(r: MessageRecord, room: string): Promise<string | undefined> {
    if (r.direction === "to-remote") {
      const slash = r.sender.indexOf("/");
      return slash >= 0 && r.sender.slice(0, slash).toLowerCase() === room.toLowerCase()
        ? r.sender.slice(slash + 1)
        : undefined;
    }
    const local = localFromRemoteId(r.sender);
    return this.ctx.occupancy.nickIn(room, local);
  }

  /** Whether every id of an event fits MAX_ID_BYTES; an event with one that does not is dropped, and said. */
  private withinBounds(what: string, ids: ReadonlyArray<string | undefined>): boolean {
    if (ids.every(idFits)) return true;
    this.ctx.metrics.badInput(this.network);
    this.logger.warn(`a ${what} with an id over ${MAX_ID_BYTES} bytes was not relayed`);
    return false;
  }

  /** Whether `user` is within their rate (xmpp.limits); the first message over it is logged, the rest only counted. */
  private withinRate(user: RemoteUser): boolean {
    if (user.isBridge) return true;
    const verdict = this.ctx.limits.senders.take(`remote ${this.network} ${user.id}`);
    if (verdict === "ok") return true;
    this.ctx.metrics.badInput(this.network);
    if (verdict === "first-drop") {
      this.logger.warn("a remote user is over xmpp.limits.messagesPerMinute; their messages are dropped for now", {
        user: user.id,
      });
    }
    return false;
  }

  async edit(e: RemoteEdit): Promise<void> {
    // An edit older than one relayed already (delivered late, after a catch-up) would put older text back.
    const noted = this.history !== undefined && this.isLinked(e.channel) ? this.history : undefined;
    if (noted && !(await noted.editIsCurrent(e))) return;
    await this.relayEdit(e);
    noted?.edited(e);
  }

  private async relayEdit(e: RemoteEdit): Promise<void> {
    const received = Date.now();
    if (!this.withinBounds("edit", [e.id, e.channel, e.author.id])) return;
    if (e.author.isBridge || this.ctx.echoes.consume("edit", e.id)) return;
    if (!this.withinRate(e.author)) return;
    const mapped = (await this.records(e.id)).filter((r) => r.direction === "to-xmpp");
    // Only the author corrects a message: an edit by anyone else (a network that lets it through, a forged event)
    // would put words in the author's mouth on XMPP.
    const records = mapped.filter((r) => r.sender === e.author.id);
    if (records.length < mapped.length) {
      this.ctx.metrics.badInput(this.network);
      this.logger.warn("an edit of a message by someone else was dropped", {
        channel: e.channel,
        id: e.id,
        editor: e.author.id,
      });
    }
    if (records.length === 0) return;
    const { puppet } = await this.ctx.puppets.ensure(e.author);
    const styled = boundedForXmpp(toStyling(this.resolveMentions(e.text)));
    for (const r of records) {
      if (r.originId === undefined) continue;
      const original = r.originId;
      // Keyed by what the edit says and when it was made: the same edit handed over again is the same key.
      const key = `to-xmpp edit ${this.network} ${e.id} ${r.room} ${e.timestamp ?? "untimed"} ${hash(toPlainText(e.text))}`;
      const id = stanzaIdFor(key, this.ctx.domain);
      if (r.channel !== "" && this.direct.isDirectRecord(r)) {
        await this.direct.sendEdit(r, puppet, styled.body, original, id);
        continue;
      }
      const el = buildMessage({
        type: "groupchat",
        id,
        originId: id,
        from: this.puppetJid(puppet),
        to: r.room,
        body: styled.body,
        ...(styled.references.length > 0 && { references: styled.references }),
        replace: { id: original },
      });
      // On record (`settled` waits for the write) and queued behind the message it corrects; not awaited, so that
      // a room that does not take it holds up nothing but its own lane.
      const unconfirmed = this.recordUnconfirmed(key, r.room, puppet, id, el, received);
      await this.ctx.delivery.waitForRoom();
      this.queued(
        key,
        this.ctx.delivery.enqueue({
          key,
          lane: `xmpp:${r.room}`,
          describe: `edit of ${e.id} in ${r.room}`,
          awaitsConfirmation: true,
          run: async () => {
            await unconfirmed;
            await this.readyToSend(puppet, r.room);
            await this.sendTracked(key, id, r.room, el, puppet);
          },
        }),
      );
    }
  }

  /**
   * A delivery queued and not awaited: its failures are the queue's to report;
   * only a queue that refused it (closing) is said here. What was on record
   * stays there for the next start.
   */
  private queued(key: string, outcome: Promise<unknown>): void {
    outcome.catch((e: unknown) => this.notQueued(key, e));
  }

  private notQueued(key: string, e: unknown): void {
    this.logger.warn("a delivery was not queued; what is on record of it goes at the next start", {
      key,
      error: describeFailure(e),
    });
  }

  async delete(d: RemoteDelete): Promise<void> {
    await this.relayDelete(d);
    if (this.isLinked(d.channel)) this.history?.deleted(d.channel, d.id);
  }

  private async relayDelete(d: RemoteDelete): Promise<void> {
    const received = Date.now();
    if (!this.withinBounds("deletion", [d.id, d.channel, d.by?.id])) return;
    if (this.ctx.echoes.consume("delete", d.id)) return;
    const records = await this.records(d.id);
    const parts: MessageRecord[] = [...records];
    for (let i = 1; i < 64; i++) {
      const more = await this.records(`${d.id}#${i}`);
      if (more.length === 0) break;
      parts.push(...more);
    }
    for (const r of parts) {
      const key = `to-xmpp delete ${this.network} ${r.remoteId} ${r.room}`;
      const id = stanzaIdFor(key, this.ctx.domain);
      const known = r.stanzaId ?? r.originId;
      if (known === undefined) continue;
      if (r.direction === "to-xmpp" && !this.direct.isDirectRecord(r)) {
        // A puppet takes back its own message: counted once the room reflects the retraction, like a message.
        const local = localFromRemoteId(r.sender);
        await this.sendConfirmedToRoom({
          key,
          id,
          room: r.room,
          local,
          describe: `deletion of ${r.remoteId} in ${r.room}`,
          target: known,
          freshTarget: async () => {
            const fresh = (await this.recordIn(r.remoteId, r.room)) ?? r;
            return fresh.stanzaId ?? fresh.originId;
          },
          build: (target) =>
            buildRetraction({ type: "groupchat", id, from: this.puppetJidOf(local), to: r.room, retractId: target }),
          received,
        });
        continue;
      }
      // Nothing to keep on record for it: `settled` waits for it instead, and the connector does not.
      await this.ctx.delivery.waitForRoom();
      this.handedOver(
        key,
        this.ctx.delivery.enqueue({
          key,
          lane: `xmpp:${r.room}`,
          describe: `deletion of ${r.remoteId} in ${r.room}`,
          run: async () => {
            const fresh = (await this.recordIn(r.remoteId, r.room)) ?? r;
            const target = fresh.stanzaId ?? fresh.originId;
            if (target === undefined) return;
            if (this.direct.isDirectRecord(r)) {
              await this.direct.sendRetraction(r, id);
              return;
            }
            // An XMPP user's message removed on the remote side by a moderator: ask the room to moderate it.
            await this.moderate(r.room, {
              id: target,
              reason: moderationReason(this.network, d),
            });
          },
        }),
      );
    }
  }

  /** A delivery with nothing on record until it is done: `settled` waits for it. */
  private handedOver(key: string, outcome: Promise<unknown>): void {
    this.queued(key, outcome);
    const done = outcome.then(
      () => undefined,
      () => undefined,
    );
    this.writes.add(done);
    void done.then(() => this.writes.delete(done));
  }

  /**
   * Queues a stanza from puppet `local` to `room` that counts once the room
   * reflects it (or its archive has it), like a message: kept unconfirmed on
   * record with its stanza until then, so that a crash or a stop leaves it to
   * the next start's reconcile. `build` makes the stanza for the id of the
   * message it is about; that id is read again at delivery time (the room
   * has usually told its stanza-id by then), and a stanza that changed with
   * it is recorded again before it goes.
   */
  private async sendConfirmedToRoom(o: {
    readonly key: string;
    readonly id: string;
    readonly room: string;
    readonly local: string;
    readonly describe: string;
    readonly target: string;
    readonly freshTarget: () => Promise<string | undefined>;
    readonly build: (target: string) => Element;
    readonly received: number;
    /** Runs once the delivery is on record, before it is queued. */
    readonly onRecorded?: () => Promise<void>;
  }): Promise<void> {
    const first = o.build(o.target);
    await this.recordUnconfirmedFrom(o.key, o.room, o.local, o.id, first, o.received);
    await o.onRecorded?.();
    // On record: queued, not awaited (a room that does not take it holds up nothing but its own lane).
    await this.ctx.delivery.waitForRoom();
    this.queued(
      o.key,
      this.ctx.delivery.enqueue({
        key: o.key,
        lane: `xmpp:${o.room}`,
        describe: o.describe,
        awaitsConfirmation: true,
        run: async () => {
          const puppet = await this.ctx.puppets.byLocal(o.local);
          if (!puppet) throw new PermanentError(`the puppet ${o.local} is no longer known`);
          const target = (await o.freshTarget()) ?? o.target;
          let el = first;
          if (target !== o.target) {
            el = o.build(target);
            await this.recordUnconfirmedFrom(o.key, o.room, o.local, o.id, el, o.received);
          }
          await this.readyToSend(puppet, o.room);
          await this.sendTracked(o.key, o.id, o.room, el, puppet);
          return o.id;
        },
      }),
    );
  }

  /**
   * Asks the room to moderate (retract) a message: the current XEP-0425 form
   * first, then, when the room says it does not know that form, the fastened
   * v0.2 form Prosody's mod_muc_moderation speaks. From the relay, in the room
   * or not: the rights to moderate are given to the bridge's domain. A refusal
   * is logged, never thrown: the remote deletion stands either way.
   */
  private async moderate(room: string, request: { id: string; reason?: string }): Promise<void> {
    const ask = (payload: Element) =>
      this.ctx.router.request({ type: "set", to: room, from: this.ctx.relay.jid, payload });
    // The room's broadcast of this moderation comes back to the engine: it must not delete remotely again.
    const echo = `${room.toLowerCase()} ${request.id}`;
    this.ctx.echoes.expect("moderated", echo);
    let answer: Awaited<ReturnType<typeof ask>>;
    try {
      answer = await ask(buildModerationRequest(request));
      if (answer.type !== "result" && LEGACY_FALLBACK.has(answer.error?.condition ?? "")) {
        answer = await ask(buildLegacyModerationRequest(request));
      }
    } catch (e) {
      this.ctx.echoes.consume("moderated", echo);
      throw e;
    }
    if (answer.type !== "result") {
      this.ctx.echoes.consume("moderated", echo);
      this.logger.warn(
        "the room refused to moderate a message deleted on the remote side; give the bridge moderator rights there",
        { room, condition: answer.error?.condition },
      );
    }
  }

  async reaction(x: RemoteReaction): Promise<void> {
    await this.relayReaction(x);
    if (this.isLinked(x.channel)) this.history?.reacted(x.channel, x.id, x.emoji, x.user, x.action);
  }

  private async relayReaction(x: RemoteReaction): Promise<void> {
    const received = Date.now();
    if (!this.withinBounds("reaction", [x.id, x.channel, x.user.id])) return;
    if (!reactionFits(x.emoji)) {
      this.ctx.metrics.badInput(this.network);
      this.logger.warn(`a reaction over ${MAX_REACTION_CODE_POINTS} characters was not relayed`, { id: x.id });
      return;
    }
    if (x.user.isBridge) return;
    if (!this.withinRate(x.user)) return;
    const records = await this.records(x.id);
    if (records.length === 0) return;
    const { puppet } = await this.ctx.puppets.ensure(x.user);
    for (const r of records) {
      // Keyed by the remote id: the room's stanza-id may not be known yet.
      const setKey = `${r.room} remote:${x.id}`;
      const current = await this.ctx.store.getReactions(this.network, setKey, x.user.id);
      const next =
        x.action === "add"
          ? current.includes(x.emoji)
            ? current
            : [...current, x.emoji]
          : current.filter((e) => e !== x.emoji);
      if (next.length === current.length && next.every((e, i) => e === current[i])) continue;
      // The how-manyth change of this user's set on this message: with the set, a key no retry or replay changes,
      // and that a set coming back to an earlier value does not share.
      const changes = await this.reactionChange(setKey, x.user.id);
      const saveSet = () => this.ctx.store.setReactions(this.network, setKey, x.user.id, next);
      // A custom emoji has no Unicode form: XMPP gets its `:name:` shortcode as it is.
      const emojis = next;
      if (this.direct.isDirectRecord(r)) {
        await saveSet();
        if (r.originId !== undefined) await this.direct.sendReactions(r, puppet, r.originId, emojis);
        continue;
      }
      const key = `to-xmpp reaction ${this.network} ${x.id} ${r.room} ${x.user.id} ${next.join(",")} #${changes}`;
      const id = stanzaIdFor(key, this.ctx.domain);
      const known = r.stanzaId ?? r.originId;
      if (known === undefined) continue;
      // Counted once the room reflects it; what is left unconfirmed is reconciled at the next start (a reaction
      // is the full set, so one sent again is the same state).
      await this.sendConfirmedToRoom({
        key,
        id,
        room: r.room,
        local: puppet.local,
        describe: `reactions on ${x.id} in ${r.room}`,
        target: known,
        // XEP-0444 wants the room's stanza-id in groupchat: by delivery time the room has usually told it.
        freshTarget: async () => {
          const fresh = (await this.recordIn(x.id, r.room)) ?? r;
          return fresh.stanzaId ?? fresh.originId;
        },
        build: (target) =>
          buildMessage({
            type: "groupchat",
            id,
            originId: id,
            from: this.puppetJid(puppet),
            to: r.room,
            reactions: { id: target, emojis },
            hints: ["store"],
          }),
        received,
        // The set is saved once its delivery is on record: a crash between loses neither.
        onRecorded: saveSet,
      });
    }
  }

  /** Counts one more change of `user`'s reactions on `setKey` (kept as long as the message map keeps messages). */
  private async reactionChange(setKey: string, user: string): Promise<number> {
    const key = `reaction-changes ${this.network} ${setKey} ${user}`;
    const before = Number((await this.ctx.store.getState("engine", key)) ?? "0");
    const n = (Number.isSafeInteger(before) ? before : 0) + 1;
    await this.ctx.store.setState("engine", key, String(n), { ttlMs: REACTION_COUNT_TTL_MS });
    return n;
  }

  async typing(t: RemoteTyping): Promise<void> {
    if (t.user.isBridge) return;
    const { puppet } = await this.ctx.puppets.ensure(t.user);
    for (const room of this.ctx.links.roomsOf(t.channel)) {
      if (this.ctx.occupancy.nickIn(room, puppet.local) === undefined) continue;
      await this.ctx.send(
        buildMessage({
          type: "groupchat",
          from: this.puppetJid(puppet),
          to: room,
          chatState: t.state,
          hints: ["no-store"],
        }),
      );
    }
  }

  async presence(user: RemoteUser, presence: RemotePresence): Promise<void> {
    if (user.isBridge) return;
    const { puppet } = await this.ctx.puppets.ensure(user);
    puppet.presence = presence;
    // The rooms of the channels the member belongs to, and any other room the puppet sits in (it spoke there).
    const linked = this.roomPresence.roomsOf(puppet.local).filter((room) => this.ctx.links.channelsOf(room).length > 0);
    const rooms = new Set([...linked, ...this.ctx.occupancy.roomsOf(puppet.local)]);
    for (const room of rooms) this.seatLater(room, puppet, presence);
    await this.direct.broadcastPresence(puppet);
  }

  async memberPresence(channel: string, user: RemoteUser, presence: RemotePresence): Promise<void> {
    if (user.isBridge) return;
    const { puppet } = await this.ctx.puppets.ensure(user);
    const before = puppet.presence;
    puppet.presence = presence;
    for (const room of this.ctx.links.roomsOf(channel)) this.seatLater(room, puppet, presence);
    if (before?.status !== presence.status || before?.message !== presence.message) {
      await this.direct.broadcastPresence(puppet);
    }
  }

  /**
   * Queues the seating change on the room's presence lane and returns: the
   * connector's event line goes on at once (a guild of 1,000 present members
   * in 100 channels is 100,000 joins, which must not stand between it and its
   * next message). The lane keeps each room's changes in order, and a message
   * from the puppet joins it by itself if its seat is not ready yet.
   */
  private seatLater(room: string, puppet: Puppet, presence: RemotePresence): void {
    this.roomPresence.report(room, puppet, presence).catch(this.roomChangeFailed("presence", room, puppet));
  }

  /** Logs a queued change of a member's presence in a room that failed (nobody awaits it). */
  private roomChangeFailed(what: "presence" | "departure", room: string, puppet: Puppet): (e: unknown) => void {
    return (e) =>
      this.logger.warn(`a member's ${what} could not be shown in the room`, {
        room,
        puppet: puppet.local,
        error: e instanceof Error ? e.message : String(e),
      });
  }

  /** A seated puppet's presence in a room (an offline puppet leaves instead: see `presence`). */
  presenceStanza(p: Puppet, to: string, presence: RemotePresence | undefined): Element {
    const status = presence?.status ?? "online";
    const show = SHOW[status];
    return buildPresence({
      from: this.puppetJid(p),
      to,
      ...(show !== undefined && { show }),
      ...(presence?.message !== undefined && { status: presence.message }),
      nick: p.displayName,
      vcardUpdate: { photo: p.avatarHash ?? "" },
    });
  }

  async profile(user: RemoteUser): Promise<void> {
    if (user.isBridge) return;
    const { puppet, changed } = await this.ctx.puppets.ensure(user);
    if (!changed) return;
    for (const room of this.ctx.occupancy.roomsOf(puppet.local)) {
      const nick = await this.ctx.occupancy.changeNick(this.ctx.puppets.identity(puppet), room);
      await this.ctx.send(this.presenceStanza(puppet, `${room}/${nick}`, puppet.presence));
    }
    await this.direct.broadcastPresence(puppet);
  }

  async membership(
    channel: string,
    user: RemoteUser,
    kind: MembershipKind,
    details: MembershipDetails = {},
  ): Promise<void> {
    if (user.isBridge) return;
    const { puppet } = await this.ctx.puppets.ensure(user);
    const status = departureStatus(kind, details);
    for (const room of this.ctx.links.roomsOf(channel)) {
      if (kind === "join" && details.listed === true) {
        // Already in the channel: seated like any member, while their reported presence (unknown: present) is not offline.
        this.seatLater(room, puppet, puppet.presence ?? { status: "online" });
      } else if (kind === "join") {
        // Just joined: evidently there, seated (within the room's cap) whatever their last reported presence.
        this.roomPresence.joined(room, puppet).catch(this.roomChangeFailed("presence", room, puppet));
      } else {
        this.roomPresence.forget(room, puppet.local);
        // After any seating of this member still queued for the room (a join just before, say).
        this.roomPresence
          .queue(room, () => this.ctx.occupancy.leave(puppet.local, room, status))
          .catch(this.roomChangeFailed("departure", room, puppet));
      }
    }
  }

  async read(r: RemoteRead): Promise<void> {
    if (r.user.isBridge) return;
    const records = await this.records(r.id);
    if (records.length === 0) return;
    const { puppet } = await this.ctx.puppets.ensure(r.user);
    for (const room of this.ctx.links.roomsOf(r.channel)) {
      // A read marker is no reason to join a room: only a puppet already there sends one.
      if (this.ctx.occupancy.nickIn(room, puppet.local) === undefined) continue;
      let record = records.find((x) => x.room === room);
      // Read as soon as it was posted: it may not even be sent to the room yet, or not reflected by it, and
      // the stanza-id comes with the reflection.
      if (record?.stanzaId === undefined && record?.originId !== undefined) {
        await this.ctx.delivery.pending(this.messageKey(r.id, room));
        await this.ctx.reflections.reflected(record.originId, REFLECTION_WAIT_MS);
        record = await this.recordIn(r.id, room);
      }
      // In a room, markers name the room's stanza-id (XEP-0333 §6); without one there is nothing to name.
      const id = record?.stanzaId;
      if (id === undefined) continue;
      await this.ctx.send(
        buildMessage({
          type: "groupchat",
          from: this.puppetJid(puppet),
          to: room,
          marker: { type: "displayed", id },
          hints: ["store"],
        }),
      );
    }
  }

  connected(up: boolean): void {
    this.connectedValue = up;
    this.logger.info(up ? "connected to the network" : "disconnected from the network");
  }

  async notifyAdmins(text: string): Promise<void> {
    this.logger.warn("admin notice", { notice: text });
    for (const admin of this.ctx.admins) {
      await this.ctx.send(buildMessage({ type: "chat", from: this.ctx.domain, to: admin, body: text }));
    }
  }
}

/** The `<status/>` of a puppet's departure: why it left, when it was made to. */
function departureStatus(kind: MembershipKind, d: MembershipDetails): string | undefined {
  if (kind !== "kick" && kind !== "ban") return undefined;
  const verb = kind === "kick" ? "Kicked" : "Banned";
  const by = d.by !== undefined ? ` by ${d.by.displayName}` : "";
  return d.reason !== undefined && d.reason !== "" ? `${verb}${by}: ${d.reason}` : `${verb}${by}`;
}

function hash(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 12);
}

/** The reason a room's moderation of a message deleted remotely gives: where, by whom, and why when they said. */
function moderationReason(network: string, d: RemoteDelete): string | undefined {
  const why = d.reason?.trim();
  if (!d.by) return why !== undefined && why !== "" ? why : undefined;
  const base = `deleted on ${network} by ${d.by.displayName}`;
  return why !== undefined && why !== "" ? `${base}: ${why}` : base;
}
