/**
 * XMPP -> remote: groupchat messages as the relay occupant sees them in linked
 * rooms. The bridge's own puppets' messages come back here too (the room
 * reflects them): those confirm delivery and give the room's stanza-id to the
 * message map, and are never relayed (the loop rule). Everything else an
 * occupant says goes to the linked channels under the occupant's nick and
 * avatar: new messages, corrections, retractions, moderation, replies,
 * reactions, attachments and typing.
 */
import {
  buildMessage,
  type Element,
  type Message,
  moderationOf,
  NS,
  parseMessage,
  type Retraction,
  stanzaIdBy,
  stripFallback,
} from "@parley/stanza";
import type { RemoteStatus, XmppSender } from "../connector/connector.ts";
import { OrderedLines } from "../connector/ordered-lines.ts";
import { supports } from "../connector/supports.ts";
import { describeFailure, logFailure } from "../delivery/index.ts";
import { fromStyling, type MentionTarget, type RichText } from "../format/index.ts";
import type { MessageRecord } from "../store/index.ts";
import { KeyedChains } from "../store/keyed-chains.ts";
import type { EngineContext } from "./context.ts";
import { isEmptyText, mapMentions } from "./mentions.ts";
import { boundedBody, boundedName, boundedReactions, MAX_ID_BYTES, oversizedIdOf } from "./message-bounds.ts";
import { mentionNicks, type NickCandidate } from "./nick-mentions.ts";
import { OccupantIdentities } from "./occupant-identity.ts";
import type { Occupant } from "./occupant-roster.ts";
import { RemoteParts } from "./remote-parts.ts";
import type { RemotePosts } from "./remote-posts.ts";
import type { ArchivedMessage } from "./room-archive.ts";
import { isOwnStanzaId } from "./stanza-ids.ts";
import { type RemoteThreadPlace, ThreadMap } from "./thread-map.ts";

/** What is known of a message read back from the room's archive rather than live. */
interface Archived {
  /** When it was said. */
  readonly at?: number | undefined;
}

/**
 * Where a message was read: live, with who the room said was at its nick when
 * it arrived (nobody known: undefined), or back from the room's archive.
 */
type Source = { readonly live: Occupant | undefined } | { readonly archived: Archived };

/** The room (lower-case) a groupchat message came from, and the occupant's nick (none: the room itself). */
function speakerOf(m: Message): { room: string; nick: string | undefined } {
  const from = m.from ?? "";
  const slash = from.indexOf("/");
  return {
    room: (slash < 0 ? from : from.slice(0, slash)).toLowerCase(),
    nick: slash < 0 ? undefined : from.slice(slash + 1),
  };
}

/**
 * Who wrote it, as the message map keeps it: occupant-id where the room has
 * them, else the real JID, else the occupant JID under the nick they first had.
 */
function authorKeyOf(room: string, o: Occupant): string {
  return o.occupantId !== undefined ? `occupant:${o.occupantId}` : (o.jid ?? `${room}/${o.firstNick ?? o.nick}`);
}

/** What relaying something has started: `done` settles once it is delivered, or given up. */
interface Handed {
  readonly done: Promise<unknown>;
}

/** Nothing to relay, or nothing left to wait for. */
const NOTHING: Handed = { done: Promise.resolve() };

/** XMPP `<show/>` as a remote status (RFC 6121: away and xa are both "not at the keyboard"). */
const STATUS_OF_SHOW: Readonly<Record<string, RemoteStatus>> = { away: "idle", xa: "idle", dnd: "dnd", chat: "online" };

export class XmppToRemote {
  private readonly ctx: EngineContext;
  /**
   * New messages being relayed, by room and each id they can be named by
   * (stanza-id, origin-id, id), from the moment they arrive until they are
   * mapped: a correction, retraction, reaction, reply or read marker naming
   * one waits for that instead of finding nothing (a client may correct or
   * retract at once, and the remote API may be slow or retried).
   */
  private readonly relaying = new KeyedChains();
  /** Reaction updates in flight, per message and reacting user (each waits for the one before). */
  private readonly reactionUpdates = new KeyedChains();
  /** Who an occupant without a disclosed JID is, by occupant-id, so a nick change keeps their puppet or ghost. */
  private readonly identities: OccupantIdentities;
  /** What each room says, taken up in the order it was said (rooms in parallel). */
  private readonly pipeline: OrderedLines;

  /** Posts to the channels, once across retries and restarts, in as many parts as the channel's limits need. */
  private readonly parts: RemoteParts;
  /** The room's threads as each channel's. */
  private readonly threads: ThreadMap;

  constructor(ctx: EngineContext, posts: RemotePosts) {
    this.ctx = ctx;
    this.parts = new RemoteParts(ctx, posts);
    this.threads = new ThreadMap(ctx.network, ctx.store, {
      repliesInThreads: ctx.connector.capabilities.repliesInThreads === true,
    });
    this.identities = new OccupantIdentities(ctx.store);
    this.pipeline = new OrderedLines({
      onError: (room, e) => this.relayFailed(room, e),
      onOverflow: (room) => {
        this.ctx.metrics.badInput("xmpp");
        this.ctx.logger.error("a room's pipeline is full (its relaying is stuck); a message from it was not relayed", {
          room,
        });
      },
    });
  }

  /**
   * Takes the copy of room traffic the engine reads (the relay's, or the
   * reader puppet's where a puppet reads the room in the relay's place), and
   * drops the relay's leftover copies of a room a puppet reads; returns false
   * for anything else (other puppets' copies, errors to puppets).
   */
  dispatch(el: Element): boolean {
    if (el.name !== "message") return false;
    const read = this.ctx.relay.isReadCopy(el);
    if (read === undefined) return false;
    if (!read) return true;
    const parsed = parseMessage(el);
    if (!parsed.ok) {
      this.ctx.metrics.badInput("xmpp");
      return true;
    }
    const m = parsed.value;
    if (m.type === "error") return true;
    const { room, nick } = speakerOf(m);
    const channels = this.ctx.links.channelsOf(room);
    if (channels.length === 0) return true;
    const stanzaId = stanzaIdBy(m, room) ?? stanzaIdBy(m, (m.from ?? "").split("/")[0] ?? "");
    // Our own messages reflected by the room: confirmed at once (they go to no network, so they wait for nothing).
    const ownId = m.originId ?? m.id;
    if (ownId !== undefined && (this.ctx.reflections.confirm(ownId, stanzaId) || this.isOwnNick(room, nick))) {
      if (stanzaId !== undefined) {
        this.ctx.catchUp.read(room, stanzaId);
        void this.ctx.store.setStanzaId(this.ctx.network, room, ownId, stanzaId).catch((e: unknown) => {
          this.ctx.logger.warn("the stanza-id of a message the bridge sent could not be recorded", {
            room,
            error: describeFailure(e),
          });
        });
      }
      return true;
    }
    if (this.isBridgeNick(room, nick)) return true;
    if (m.delay || m.mamResult) return true; // history, not live conversation
    // What the room said while the bridge was away goes first (told now: the catch-up skips what arrived live).
    const catchingUp = this.ctx.catchUp.live(room, stanzaId);
    // Who said it is who the room said was at that nick when it arrived: by the time the pipeline gets to it,
    // they may have left (or left and come back), and their correction would pass for someone else's.
    const speaker = nick !== undefined ? this.ctx.relay.occupant(room, nick) : undefined;
    // What the room says is taken up in its order: a speaker whose avatar is being fetched is not overtaken.
    this.pipeline.push(room, () => this.live(room, nick, channels, m, stanzaId, catchingUp, speaker));
    return true;
  }

  /** One live message of `room`, in the room's order: handed to delivery (or to the network), not awaited. */
  private async live(
    room: string,
    nick: string | undefined,
    channels: readonly string[],
    m: Message,
    stanzaId: string | undefined,
    catchingUp: Promise<void> | undefined,
    speaker: Occupant | undefined,
  ): Promise<void> {
    if (catchingUp) await catchingUp;
    let done: Promise<unknown>;
    try {
      ({ done } = await this.fromRoom(room, nick, channels, m, stanzaId, { live: speaker }));
    } catch (e) {
      if (stanzaId !== undefined) this.ctx.catchUp.read(room, stanzaId);
      throw e;
    }
    if (m.body !== undefined && !m.replace && !m.retract && !m.reactions) {
      this.trackRelaying(room, [stanzaId, m.originId, m.id], done);
    }
    void done
      .catch((e: unknown) => this.relayFailed(room, e))
      .finally(() => {
        if (stanzaId !== undefined) this.ctx.catchUp.read(room, stanzaId);
      });
  }

  private relayFailed(room: string, e: unknown): void {
    this.ctx.metrics.badInput("xmpp");
    this.ctx.logger.warn("a message from a room could not be relayed", { room, error: describeFailure(e) });
  }

  /**
   * A message read back from `room`'s archive, said while the bridge read no
   * copy of the room: relayed as if read live (the bridge's own and its
   * puppets' are not), with the time it was said.
   */
  async fromArchive(room: string, a: ArchivedMessage): Promise<boolean> {
    const m = a.message;
    const { nick } = speakerOf(m);
    const channels = this.ctx.links.channelsOf(room);
    if (channels.length === 0) return false;
    if (this.isBridgeNick(room, nick)) return false;
    // Ours, from a puppet that has left the room since (corrections, reactions and retractions included).
    const id = m.originId ?? m.id;
    if (id !== undefined && isOwnStanzaId(id, this.ctx.domain)) return false;
    // Typing and read markers are of the moment; what is said, changed, taken back or reacted to is not.
    if (m.body === undefined && !m.retract && !m.reactions && moderationOf(m) === undefined) return false;
    // The catch-up moves its mark past a message once it is delivered: awaited to the end.
    const { done } = await this.fromRoom(room, nick, channels, m, a.stanzaId, {
      archived: { at: a.stamp?.getTime() },
    });
    await done;
    return true;
  }

  /**
   * What the room itself (moderation) or one of its occupants said, to the
   * linked channels. Resolves once it is handed to delivery, with what settles
   * when it is delivered (or given up).
   */
  private async fromRoom(
    room: string,
    nick: string | undefined,
    channels: readonly string[],
    m: Message,
    stanzaId: string | undefined,
    source: Source,
  ): Promise<Handed> {
    // An id too long to record would be lost to the message map and the ledger: the message is not relayed.
    const oversized = oversizedIdOf(m);
    if (oversized !== undefined) {
      this.ctx.metrics.badInput("xmpp");
      this.ctx.logger.warn(`a message whose ${oversized} is over ${MAX_ID_BYTES} bytes was not relayed`, {
        room,
        nick,
      });
      return NOTHING;
    }
    if (nick !== undefined) return this.relayFrom(room, nick, channels, m, stanzaId, source);
    // From the room itself: moderation (XEP-0425) is the only thing to carry,
    // in the current form or the fastened v0.2 one Prosody's mod_muc_moderation sends.
    const moderation = moderationOf(m);
    return moderation ? this.moderated(room, moderation, channels, "archived" in source) : NOTHING;
  }

  /** Marks a new message as on its way, under each id it can be named by, until `relayed` settles. */
  private trackRelaying(room: string, ids: ReadonlyArray<string | undefined>, relayed: Promise<unknown>): void {
    for (const id of new Set(ids))
      if (id !== undefined && id !== "") this.relaying.add(this.relayKey(room, id), relayed);
  }

  private relayKey(room: string, id: string): string {
    return `${room.toLowerCase()} ${id}`;
  }

  /**
   * The message mapped in `room` under `id`, once a new message of that id
   * still being relayed is mapped. Never from inside a delivery job: a job
   * waiting for another job's outcome could wait for one behind it in its own
   * lane (see `mapped`).
   */
  private async lookup(room: string, id: string): Promise<MessageRecord | undefined> {
    await this.relaying.settled(this.relayKey(room, id));
    return this.mapped(room, id);
  }

  /**
   * The message mapped in `room` under `id` now. From inside a delivery job
   * of a channel's lane: whatever the room said before it in that channel was
   * sent (and mapped) by the jobs ahead of it.
   */
  private mapped(room: string, id: string, channel?: string): Promise<MessageRecord | undefined> {
    return this.ctx.store.byXmppId(this.ctx.network, room, id, channel);
  }

  /**
   * What an occupant (not a puppet, not history) said in a linked room, to
   * the linked channels: handed to delivery in the room's order; resolves
   * with what settles once it is delivered.
   */
  private async relayFrom(
    room: string,
    nick: string,
    channels: readonly string[],
    m: Message,
    stanzaId: string | undefined,
    source: Source,
  ): Promise<Handed> {
    await this.ctx.connectorStarted;
    const archived = "archived" in source ? source.archived : undefined;
    // What a catch-up relays goes past the delivery queue's bounds (see DeliveryJob.pastBounds).
    const pastBounds = archived !== undefined;
    const author = this.authorOf(room, nick, m, source);
    // An occupant whose real JID the room does not tell is judged by `*`.
    if (!this.ctx.permissions.allows(author.jid, "relay")) {
      this.ctx.logger.debug("a message from someone permissions leave out was not relayed", { room, nick });
      return NOTHING;
    }
    // Each sender's rate, for what is said now (a catch-up relays what was said at its own pace back then).
    if (archived === undefined && (m.body !== undefined || m.replace || m.retract || m.reactions)) {
      const verdict = this.ctx.limits.senders.take(`xmpp ${room} ${authorKeyOf(room, author)}`);
      if (verdict !== "ok") return { done: this.tooFast(room, nick, verdict === "first-drop") };
    }
    // Within the room's order, with a bounded wait (the avatar look-up gives up after a few seconds).
    const sender = await this.senderFor(room, author);
    const authorKey = authorKeyOf(room, author);
    const connector = this.ctx.connector;

    if (m.replace) {
      if (!supports(connector, "edits")) return NOTHING;
      const target = m.replace.id;
      const text = this.textOf(m, room);
      // Keyed by the correction's own id: the same correction read again is the same request.
      const editId = stanzaId ?? m.originId ?? m.id;
      if (editId === undefined) {
        this.ctx.logger.debug("a correction without any id was not relayed", { room, nick });
        return NOTHING;
      }
      // Queued in each channel's lane behind the message it corrects, and looked up there once that is sent.
      return {
        done: this.inEachChannel(room, channels, `to-remote edit ${this.ctx.network} ${room} ${editId}`, pastBounds, {
          describe: `edit of ${target}`,
          run: async (channel, key, attempt) => {
            const parts = await this.ctx.store.partsByXmppId(this.ctx.network, room, target, channel);
            const r = parts[0];
            if (r?.direction !== "to-remote" || r.channel !== channel) return;
            if (r.sender !== authorKey) return this.notTheAuthor(room, "correction", nick, target);
            await this.parts.edit({
              room,
              channel,
              parts,
              xmppId: target,
              sender,
              text,
              key,
              attempt,
              replay: archived !== undefined,
            });
          },
        }),
      };
    }
    if (m.retract) {
      if (!supports(connector, "deletes")) return NOTHING;
      const target = m.retract.id;
      return {
        done: this.deleteInEachChannel(room, channels, target, pastBounds, async (channel) => {
          const parts = await this.ctx.store.partsByXmppId(this.ctx.network, room, target, channel);
          const r = parts[0];
          if (r?.direction !== "to-remote" || r.channel !== channel) return undefined;
          if (r.sender !== authorKey) {
            this.notTheAuthor(room, "retraction", nick, target);
            return undefined;
          }
          return { parts, sender, moderator: false };
        }),
      };
    }
    if (m.reactions) {
      if (!supports(connector, "reactions")) return NOTHING;
      // The reaction stanza's own id (the room's stanza-id first, which its archive keeps) keys its deliveries,
      // so the same update read again after a crash is the same request. A stanza with no id at all could not
      // be told from a repeat of itself: it is not relayed.
      const update = stanzaId ?? m.originId ?? m.id;
      if (update === undefined) {
        this.ctx.logger.debug("a reaction without any id was not relayed", { room, nick });
        return NOTHING;
      }
      const { kept, dropped } = boundedReactions(m.reactions.emojis);
      if (dropped > 0) {
        this.ctx.metrics.badInput("xmpp");
        this.ctx.logger.warn("reactions over their bounds were left out", { room, nick, dropped });
      }
      const targetId = m.reactions.id;
      // Not in the room's order: a reaction waits for the message it is on, which the room's next words must not.
      return { done: this.react(room, sender, authorKey, kept, targetId, update, pastBounds) };
    }
    if (m.body === undefined && m.marker?.type === "displayed") {
      return { done: this.displayed(room, m.marker.id, sender) };
    }
    if (m.body === undefined) {
      if (m.chatState && supports(connector, "typing") && (m.chatState === "composing" || m.chatState === "paused")) {
        const state = m.chatState;
        const typing = connector.typing.bind(connector);
        // Of the moment, and never worth holding the room's order for.
        for (const channel of channels) {
          void typing({ channel, sender, state }).catch((e: unknown) =>
            this.ctx.logger.debug("typing notification failed", { error: describeFailure(e) }),
          );
        }
      }
      return NOTHING;
    }
    return this.post(room, channels, m, sender, authorKey, stanzaId, archived);
  }

  /**
   * Queues one job per linked channel, each in its channel's lane, keyed by
   * `key` (and the channel, where the room has several); resolves with their
   * outcomes. `run` finds the message the job is about from inside the lane.
   */
  private inEachChannel(
    room: string,
    channels: readonly string[],
    key: string,
    pastBounds: boolean,
    job: { readonly describe: string; run(channel: string, key: string, attempt: number): Promise<void> },
  ): Promise<unknown> {
    const outcomes = channels.map((channel) => {
      const channelKey = channels.length === 1 ? key : `${key} ${channel}`;
      return this.ctx.delivery.enqueue({
        key: channelKey,
        lane: `remote:${channel}`,
        describe: `${job.describe} in ${room} to channel ${channel}`,
        ...(pastBounds && { pastBounds }),
        run: (attempt) => job.run(channel, channelKey, attempt),
      });
    });
    return Promise.all(outcomes);
  }

  /** Deletions of the message `target` of `room`, as `find` says who deletes it, in each channel's lane. */
  private deleteInEachChannel(
    room: string,
    channels: readonly string[],
    target: string,
    pastBounds: boolean,
    find: (channel: string) => Promise<
      | {
          /** Every part of the message in the channel, the first first. */
          readonly parts: readonly MessageRecord[];
          readonly sender: XmppSender;
          readonly moderator: boolean;
          readonly reason?: string;
        }
      | undefined
    >,
  ): Promise<unknown> {
    if (!supports(this.ctx.connector, "deletes")) return NOTHING.done;
    return this.inEachChannel(room, channels, `to-remote delete ${this.ctx.network} ${room} ${target}`, pastBounds, {
      describe: `deletion of ${target}`,
      run: async (channel, key) => {
        const found = await find(channel);
        if (found) await this.parts.delete({ ...found, key });
      },
    });
  }

  /**
   * An occupant of a linked room joined, changed presence or left, as the
   * reading occupant saw it: networks that show XMPP users as members (Matrix
   * ghosts) follow. Our own puppets and the relay are not XMPP users.
   */
  occupant(
    room: string,
    o: Occupant,
    kind: "join" | "update" | "leave",
    departure: { readonly removed?: "kick" | "ban"; readonly reason?: string } = {},
  ): void {
    const connector = this.ctx.connector;
    if (!supports(connector, "occupants")) return;
    const channels = this.ctx.links.channelsOf(room);
    if (channels.length === 0) return;
    if (this.ctx.occupancy.isPuppetNick(room, o.nick) || o.nick === this.ctx.relay.nickIn(room)) return;
    if (o.jid !== undefined && o.jid.split("@")[1]?.split("/")[0]?.toLowerCase() === this.ctx.domain) return;
    const occupant = connector.occupant.bind(connector);
    const presence =
      kind === "leave"
        ? { status: "offline" as const }
        : {
            status: STATUS_OF_SHOW[o.show ?? "chat"] ?? "online",
            ...(o.status !== undefined && o.status !== "" && { message: o.status }),
          };
    // In the room's order (a join shows before what the newcomer says next); the network calls are not awaited.
    this.pipeline.push(room, async () => {
      await this.ctx.connectorStarted;
      const sender = await this.senderFor(room, o);
      void (async () => {
        for (const channel of channels) {
          await occupant({
            channel,
            sender,
            kind,
            presence,
            ...(departure.removed !== undefined && { removed: departure.removed }),
            ...(departure.reason !== undefined && { reason: departure.reason }),
          });
        }
      })().catch((e: unknown) =>
        this.ctx.logger.warn("an occupant change could not be relayed", { room, error: describeFailure(e) }),
      );
    });
  }

  /** An XEP-0333 displayed marker from an occupant: a read receipt on the message it names. */
  private async displayed(room: string, id: string, sender: XmppSender): Promise<void> {
    const connector = this.ctx.connector;
    if (!supports(connector, "receipts")) return;
    const r = await this.lookup(room, id);
    if (!r) return;
    await connector.read({ channel: r.channel, id: r.remoteId, sender });
  }

  private isOwnNick(room: string, nick: string | undefined): boolean {
    return nick !== undefined && this.ctx.occupancy.localByNick(room, nick) !== undefined;
  }

  /** A nick of the bridge's own in `room`: one of its puppets, or the relay. */
  private isBridgeNick(room: string, nick: string | undefined): boolean {
    return nick !== undefined && (this.isOwnNick(room, nick) || nick === this.ctx.relay.nickIn(room));
  }

  /** A message over its sender's rate: dropped; the first of a run is logged and the sender told, privately. */
  private async tooFast(room: string, nick: string, first: boolean): Promise<void> {
    this.ctx.metrics.badInput("xmpp");
    if (!first) return;
    this.ctx.logger.warn("a sender is over xmpp.limits.messagesPerMinute; their messages are dropped for now", {
      room,
      nick,
    });
    await this.ctx
      .send(
        buildMessage({
          type: "chat",
          id: `parley-rate-${Date.now().toString(36)}`,
          from: this.ctx.relay.actorJid(room),
          to: `${room}/${nick}`,
          body: "You are sending faster than this bridge relays: some of your messages were not relayed. Wait a little.",
        }),
      )
      .catch((e: unknown) =>
        this.ctx.logger.warn("could not tell a sender they are over the rate", {
          room,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
  }

  /**
   * Who said `m`: live, the occupant the room said was at that nick when it
   * arrived; from the archive, whoever is at that nick now. Where the list
   * does not say (or, from the archive, says someone else: they left, or
   * another has their nick now), the occupant-id the room stamped on the
   * message says who, when it gives them.
   */
  private authorOf(room: string, nick: string, m: Message, source: Source): Occupant {
    const listed = "live" in source ? source.live : this.ctx.relay.occupant(room, nick);
    if (m.occupantId === undefined) return listed ?? { nick };
    if (listed === undefined) return { nick, occupantId: m.occupantId };
    // Live, the list and the message agree (rooms stamp both alike); from the archive they may not.
    if ("archived" in source && listed.occupantId !== m.occupantId) return { nick, occupantId: m.occupantId };
    return listed;
  }

  /** A correction or retraction of someone else's message: never relayed (only moderation may touch it). */
  private notTheAuthor(room: string, what: string, nick: string, target: string): void {
    this.ctx.metrics.badInput("xmpp");
    this.ctx.logger.warn(`a ${what} of a message by someone else was dropped`, { room, nick, target });
  }

  private async senderFor(room: string, o: Occupant): Promise<XmppSender> {
    const nick = o.nick;
    const avatarUrl =
      o.avatarHash !== undefined && o.avatarHash !== ""
        ? await this.ctx.media
            .occupantAvatar(`${room}/${nick}`, o.avatarHash, o.jid)
            .catch(
              logFailure(
                this.ctx.logger,
                "an occupant's avatar could not be looked up; the message goes without it",
                "debug",
              ),
            )
        : undefined;
    const jid = await this.identities.jidOf(room, o);
    // A nick that copies a remote user's name is marked: on the other side it must not pass for them.
    const shown = boundedName(this.ctx.puppets.isRemoteName(nick) ? `${nick} (XMPP)` : nick);
    return { jid, nick: shown, ...(avatarUrl !== undefined && { avatarUrl }) };
  }

  private textOf(m: Message, room: string): RichText {
    const stripped = stripFallback(m.body ?? "", m.fallbacks, NS.reply);
    // One message becomes at most xmpp.limits.maxPostsPerMessage posts: the rest is cut, and the cut said.
    const body = boundedBody(stripped, this.ctx.limits.maxPostsPerMessage);
    const kept = Array.from(body).length;
    const references = shiftReferences(m, stripped)?.filter((r) => body === stripped || (r.end ?? 0) <= kept);
    const doc = mentionNicks(fromStyling(body, references), this.nickCandidates(room));
    // Mentions of puppets (by their JID, or by their occupant JID in this room) become mentions of the remote
    // users behind them.
    return mapMentions(doc, (target: MentionTarget, _name: string) => {
      const jid = target.jid;
      if (jid === undefined) return undefined;
      const slash = jid.indexOf("/");
      if (slash > 0 && jid.slice(0, slash).toLowerCase() === room.toLowerCase()) {
        const local = this.ctx.occupancy.localByNick(room, jid.slice(slash + 1));
        const puppet = local !== undefined ? this.ctx.puppets.peek(local) : undefined;
        if (!puppet) return undefined;
        return {
          target: { network: this.ctx.network, remoteId: puppet.remoteId, kind: "user" },
          name: puppet.displayName,
        };
      }
      const at = jid.indexOf("@");
      if (
        at < 0 ||
        jid
          .slice(at + 1)
          .split("/")[0]
          ?.toLowerCase() !== this.ctx.domain
      )
        return undefined;
      const puppet = this.ctx.puppets.peek(jid.slice(0, at));
      if (!puppet) return undefined;
      return {
        target: { network: this.ctx.network, remoteId: puppet.remoteId, kind: "user" },
        name: puppet.displayName,
      };
    });
  }

  /** Who a nick in `room` may name: its puppets (as mentions of their remote users) and its XMPP occupants. */
  private nickCandidates(room: string): NickCandidate[] {
    const candidates: NickCandidate[] = [];
    for (const local of this.ctx.occupancy.localsIn(room)) {
      const nick = this.ctx.occupancy.nickIn(room, local);
      const puppet = this.ctx.puppets.peek(local);
      if (nick === undefined || !puppet) continue;
      const mention = {
        target: { network: this.ctx.network, remoteId: puppet.remoteId, kind: "user" as const },
        name: puppet.displayName,
      };
      candidates.push({ nick, mention });
      // A puppet whose name another occupant had sits under a suffixed nick; its name still names it too, so
      // that name is ambiguous between the two rather than the first one's.
      if (puppet.displayName !== nick) candidates.push({ nick: puppet.displayName, mention });
    }
    for (const occupant of this.ctx.relay.occupants(room)) {
      if (!this.isBridgeNick(room, occupant.nick)) candidates.push({ nick: occupant.nick });
    }
    return candidates;
  }

  private async post(
    room: string,
    channels: readonly string[],
    m: Message,
    sender: XmppSender,
    authorKey: string,
    stanzaId: string | undefined,
    archived: Archived | undefined,
  ): Promise<Handed> {
    const at = archived?.at;
    const received = Date.now();
    const connector = this.ctx.connector;
    const caps = connector.capabilities;
    const oobUrls = (m.oob ?? []).map((o) => o.url);
    const strippedBody = stripFallback(m.body ?? "", m.fallbacks, NS.reply).trim();
    const text = oobUrls.includes(strippedBody) ? { blocks: [] } : this.textOf(m, room);
    const attachments = caps.attachments ? await Promise.all(oobUrls.map((u) => this.ctx.media.toRemote(u))) : [];
    const finalText =
      !caps.attachments && oobUrls.length > 0 && isEmptyText(text) ? fromStyling(oobUrls.join("\n")) : text;
    if (isEmptyText(finalText) && attachments.length === 0) return NOTHING;
    const xmppId = stanzaId ?? m.originId ?? m.id;
    if (xmppId === undefined) return NOTHING; // nothing to key it on: a retry could not be told from a new message
    const ownIds = new Set([stanzaId, m.originId, m.id]);
    // A reply names an earlier message, found from inside the lane (sent by then); never the message itself.
    const replyId = m.reply && caps.replies && !ownIds.has(m.reply.id) ? m.reply.id : undefined;
    const replyAuthor = m.reply?.to?.split("/")[1];
    const xmppThread = caps.threads ? m.thread?.id : undefined;
    const timestamp = at !== undefined ? { timestamp: at } : {};
    const originId = m.originId ?? m.id;
    const outcomes = channels.map((channel) => {
      const key = `to-remote ${this.ctx.network} ${room} ${xmppId} ${channel}`;
      return this.ctx.delivery.enqueue({
        key,
        lane: `remote:${channel}`,
        describe: `message from ${room} to channel ${channel}`,
        ...(archived !== undefined && { pastBounds: true }),
        run: async (attempt) => {
          let replyTo: { id: string; authorName?: string; thread?: string } | undefined;
          const replied = replyId !== undefined ? await this.mapped(room, replyId, channel) : undefined;
          if (replied) {
            replyTo = {
              id: replied.remoteId,
              ...(replyAuthor !== undefined && { authorName: replyAuthor }),
              ...(replied.thread !== undefined && { thread: replied.thread }),
            };
          }
          // The network's thread for the room's (the engine's thread map, the same for every network).
          const place: RemoteThreadPlace = caps.threads
            ? await this.threads.toRemote(room, channel, xmppThread, replied)
            : {};
          // Once: a retry, or a message read again from the archive, first looks for an earlier attempt's post
          // (of each part, for a message the channel's limits cut).
          return this.parts.post({
            message: {
              channel,
              sender,
              text: finalText,
              attachments,
              key,
              ...(replyTo && { replyTo }),
              ...(place.thread !== undefined && { thread: place.thread }),
              ...timestamp,
            },
            room,
            xmppId,
            ...(place.xmppThread !== undefined && { xmppThread: place.xmppThread }),
            ...(stanzaId !== undefined && { stanzaId }),
            ...(originId !== undefined && { originId }),
            author: authorKey,
            createdAt: at ?? received,
            attempt,
            replay: archived !== undefined,
          });
        },
      });
    });
    const done = Promise.all(outcomes).then((all) => {
      for (const outcome of all) {
        if (outcome.status === "delivered")
          this.ctx.metrics.relayed(this.ctx.network, "to-remote", Date.now() - received);
      }
    });
    return { done };
  }

  /**
   * An occupant's reactions on a message: the changes against the set last
   * saved, one delivery each. Waits for the message to be mapped, so it runs
   * beside the room's order, not in it; updates of one user's set on one
   * message go one at a time.
   */
  private async react(
    room: string,
    sender: XmppSender,
    authorKey: string,
    emojis: readonly string[],
    targetId: string,
    update: string,
    pastBounds: boolean,
  ): Promise<void> {
    const connector = this.ctx.connector;
    if (!supports(connector, "reactions")) return;
    const react = connector.react.bind(connector);
    const setKey = `${room} ${targetId}`;
    // One update of a user's set on a message at a time: each diffs against the set the one before saved.
    const updateKey = `${setKey} ${authorKey}`;
    const previous = this.reactionUpdates.settled(updateKey);
    const work = (async () => {
      const r = await this.lookup(room, targetId);
      if (!r) return;
      await previous;
      const before = await this.ctx.store.getReactions(this.ctx.network, setKey, authorKey);
      const changes = [
        ...emojis.filter((e) => !before.includes(e)).map((e) => [e, "add"] as const),
        ...before.filter((e) => !emojis.includes(e)).map((e) => [e, "remove"] as const),
      ];
      if (changes.length === 0) return;
      // Queued together, in order, in the channel's lane; saved once the network has them.
      const outcomes = changes.map(([emoji, action]) => {
        const key = `to-remote reaction ${this.ctx.network} ${r.remoteId} ${authorKey} ${emoji} ${action} ${update}`;
        return this.ctx.delivery
          .enqueue({
            key,
            lane: `remote:${r.channel}`,
            describe: `reaction on ${r.remoteId}`,
            ...(pastBounds && { pastBounds }),
            run: () =>
              react({
                channel: r.channel,
                id: r.remoteId,
                sender,
                emoji,
                action,
                key,
                ...(r.thread !== undefined && { thread: r.thread }),
              }),
          })
          .then((outcome) => (outcome.status !== "dead" ? `${action} ${emoji}` : undefined));
      });
      const done = new Set(await Promise.all(outcomes));
      // Saved once the network has the changes, and only those it has: a crash before this leaves the set as it
      // was, so the same update read again from the archive still shows the change (its keys say what went).
      const has = (e: string) => (before.includes(e) ? !done.has(`remove ${e}`) : done.has(`add ${e}`));
      const saved = [...new Set([...emojis, ...before])].filter(has);
      await this.ctx.store.setReactions(this.ctx.network, setKey, authorKey, saved);
    })();
    this.reactionUpdates.add(updateKey, work);
    await work;
  }

  /** A moderator removed a message in the room: remove its remote counterpart, with the moderator's reason. */
  private async moderated(
    room: string,
    moderation: Retraction,
    channels: readonly string[],
    pastBounds: boolean,
  ): Promise<Handed> {
    // The bridge asked for this one: the remote message is already deleted.
    if (this.ctx.echoes.consume("moderated", `${room} ${moderation.id}`)) return NOTHING;
    if (!supports(this.ctx.connector, "deletes")) return NOTHING;
    await this.ctx.connectorStarted;
    // The moderator, where the room names them by occupant JID (room/nick).
    const by = moderation.moderated?.by;
    const nick = by?.toLowerCase().startsWith(`${room.toLowerCase()}/`) ? by.slice(room.length + 1) : "moderator";
    const sender: XmppSender = { jid: by ?? room, nick };
    const done = this.deleteInEachChannel(room, channels, moderation.id, pastBounds, async (channel) => {
      const parts = await this.ctx.store.partsByXmppId(this.ctx.network, room, moderation.id, channel);
      if (parts[0]?.channel !== channel) return undefined;
      return {
        parts,
        sender,
        moderator: true,
        ...(moderation.reason !== undefined && { reason: moderation.reason }),
      };
    });
    return { done };
  }
}

/** XEP-0372 offsets count from the start of the body; once the reply fallback is stripped they shift. */
function shiftReferences(m: Message, stripped: string): Message["references"] {
  if (!m.references || m.body === undefined) return m.references;
  const shift = Array.from(m.body).length - Array.from(stripped).length;
  if (shift === 0) return m.references;
  return m.references
    .filter((r) => r.begin === undefined || r.begin >= shift)
    .map((r) => ({
      ...r,
      ...(r.begin !== undefined && { begin: r.begin - shift }),
      ...(r.end !== undefined && { end: r.end - shift }),
    }));
}
