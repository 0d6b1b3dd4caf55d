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
import { fromStyling, type MentionTarget, type RichText } from "../format/index.ts";
import type { MessageRecord } from "../store/index.ts";
import { KeyedChains } from "../store/keyed-chains.ts";
import type { EngineContext } from "./context.ts";
import { isEmptyText, mapMentions } from "./mentions.ts";
import { boundedBody, boundedName, boundedReactions, MAX_ID_BYTES, oversizedIdOf } from "./message-bounds.ts";
import { mentionNicks, type NickCandidate } from "./nick-mentions.ts";
import { OccupantIdentities } from "./occupant-identity.ts";
import type { ArchivedMessage, Occupant } from "./relay-occupant.ts";
import { isOwnStanzaId } from "./stanza-ids.ts";

/** What is known of a message read back from the room's archive rather than live. */
interface Archived {
  /** When it was said. */
  readonly at?: number | undefined;
}

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

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
    this.identities = new OccupantIdentities(ctx.store);
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
    void this.handle(el).catch((e: unknown) => {
      this.ctx.metrics.badInput("xmpp");
      this.ctx.logger.warn("a message from a room could not be relayed", {
        room: (el.attrs.from ?? "").split("/")[0],
        error: e instanceof Error ? e.message : String(e),
      });
    });
    return true;
  }

  private async handle(el: Element): Promise<void> {
    const parsed = parseMessage(el);
    if (!parsed.ok) {
      this.ctx.metrics.badInput("xmpp");
      return;
    }
    const m = parsed.value;
    if (m.type === "error") return;
    const { room, nick } = speakerOf(m);
    const channels = this.ctx.links.channelsOf(room);
    if (channels.length === 0) return;
    const stanzaId = stanzaIdBy(m, room) ?? stanzaIdBy(m, (m.from ?? "").split("/")[0] ?? "");

    // Our own messages reflected by the room: confirm them and learn the stanza-id.
    const ownId = m.originId ?? m.id;
    if (ownId !== undefined && (this.ctx.reflections.confirm(ownId, stanzaId) || this.isOwnNick(room, nick))) {
      if (stanzaId !== undefined && ownId !== undefined) {
        this.ctx.catchUp.read(room, stanzaId);
        await this.ctx.store.setStanzaId(this.ctx.network, room, ownId, stanzaId);
      }
      return;
    }
    if (this.isBridgeNick(room, nick)) return;
    if (m.delay || m.mamResult) return; // history, not live conversation
    // What the room said while the bridge was away goes first.
    const catchingUp = this.ctx.catchUp.live(room, stanzaId);
    const relayed = catchingUp
      ? catchingUp.then(() => this.fromRoom(room, nick, channels, m, stanzaId))
      : this.fromRoom(room, nick, channels, m, stanzaId);
    if (m.body !== undefined && !m.replace && !m.retract && !m.reactions) {
      this.trackRelaying(room, [stanzaId, m.originId, m.id], relayed);
    }
    try {
      await relayed;
    } finally {
      if (stanzaId !== undefined) this.ctx.catchUp.read(room, stanzaId);
    }
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
    await this.fromRoom(room, nick, channels, m, a.stanzaId, { at: a.stamp?.getTime() });
    return true;
  }

  /** What the room itself (moderation) or one of its occupants said, to the linked channels. */
  private async fromRoom(
    room: string,
    nick: string | undefined,
    channels: readonly string[],
    m: Message,
    stanzaId: string | undefined,
    archived?: Archived,
  ): Promise<void> {
    // An id too long to record would be lost to the message map and the ledger: the message is not relayed.
    const oversized = oversizedIdOf(m);
    if (oversized !== undefined) {
      this.ctx.metrics.badInput("xmpp");
      this.ctx.logger.warn(`a message whose ${oversized} is over ${MAX_ID_BYTES} bytes was not relayed`, {
        room,
        nick,
      });
      return;
    }
    if (nick !== undefined) return this.relayFrom(room, nick, channels, m, stanzaId, archived);
    // From the room itself: moderation (XEP-0425) is the only thing to carry,
    // in the current form or the fastened v0.2 one Prosody's mod_muc_moderation sends.
    const moderation = moderationOf(m);
    if (moderation) await this.moderated(room, moderation, channels);
  }

  /** Marks a new message as on its way, under each id it can be named by, until `relayed` settles. */
  private trackRelaying(room: string, ids: ReadonlyArray<string | undefined>, relayed: Promise<void>): void {
    for (const id of new Set(ids))
      if (id !== undefined && id !== "") this.relaying.add(this.relayKey(room, id), relayed);
  }

  private relayKey(room: string, id: string): string {
    return `${room.toLowerCase()} ${id}`;
  }

  /** The message mapped in `room` under `id`, once a new message of that id still being relayed is mapped. */
  private async lookup(room: string, id: string): Promise<MessageRecord | undefined> {
    await this.relaying.settled(this.relayKey(room, id));
    return this.ctx.store.byXmppId(this.ctx.network, room, id);
  }

  /** What an occupant (not a puppet, not history) said in a linked room, to the linked channels. */
  private async relayFrom(
    room: string,
    nick: string,
    channels: readonly string[],
    m: Message,
    stanzaId: string | undefined,
    archived?: Archived,
  ): Promise<void> {
    await this.ctx.connectorStarted;
    const present = this.ctx.relay.occupant(room, nick);
    // From the archive, said by someone who has left since (or whose nick someone else has now): the room's
    // occupant-id says who.
    const departed = archived !== undefined && m.occupantId !== undefined && present?.occupantId !== m.occupantId;
    const author: Occupant = departed ? { nick, occupantId: m.occupantId } : (present ?? { nick });
    // An occupant whose real JID the room does not tell is judged by `*`.
    if (!this.ctx.permissions.allows(author.jid, "relay")) {
      this.ctx.logger.debug("a message from someone permissions leave out was not relayed", { room, nick });
      return;
    }
    // Each sender's rate, for what is said now (a catch-up relays what was said at its own pace back then).
    if (archived === undefined && (m.body !== undefined || m.replace || m.retract || m.reactions)) {
      const verdict = this.ctx.limits.senders.take(`xmpp ${room} ${authorKeyOf(room, author)}`);
      if (verdict !== "ok") return this.tooFast(room, nick, verdict === "first-drop");
    }
    const sender = await this.senderFor(room, author);
    const authorKey = authorKeyOf(room, author);
    const find = (id: string) => this.lookup(room, id);
    const connector = this.ctx.connector;
    const caps = connector.capabilities;

    if (m.replace) {
      if (!caps.edits || !connector.edit) return;
      const r = await find(m.replace.id);
      if (r?.direction !== "to-remote") return;
      if (r.sender !== authorKey) return this.notTheAuthor(room, "correction", nick, m.replace.id);
      const text = this.textOf(m, room);
      const edit = connector.edit.bind(connector);
      const key = `to-remote edit ${this.ctx.network} ${room} ${m.id ?? m.originId ?? stanzaId}`;
      await this.ctx.delivery.enqueue({
        key,
        lane: `remote:${r.channel}`,
        describe: `edit of ${r.remoteId}`,
        run: () => {
          this.ctx.echoes.expect("edit", r.remoteId);
          return edit({ channel: r.channel, id: r.remoteId, sender, text, key });
        },
      });
      return;
    }
    if (m.retract) {
      if (!caps.deletes || !connector.delete) return;
      const r = await find(m.retract.id);
      if (r?.direction !== "to-remote") return;
      if (r.sender !== authorKey) return this.notTheAuthor(room, "retraction", nick, m.retract.id);
      await this.deleteRemote(r, sender, false);
      return;
    }
    if (m.reactions) {
      if (!caps.reactions || !connector.react) return;
      const r = await find(m.reactions.id);
      if (!r) return;
      // The reaction stanza's own id (the room's stanza-id first, which its archive keeps) keys its deliveries,
      // so the same update read again after a crash is the same request; only a stanza with no id at all gets a time.
      const update = stanzaId ?? m.originId ?? m.id ?? `at ${Date.now()}`;
      const { kept, dropped } = boundedReactions(m.reactions.emojis);
      if (dropped > 0) {
        this.ctx.metrics.badInput("xmpp");
        this.ctx.logger.warn("reactions over their bounds were left out", { room, nick, dropped });
      }
      await this.react(room, r, sender, authorKey, kept, m.reactions.id, update);
      return;
    }
    if (m.body === undefined && m.marker?.type === "displayed") {
      await this.displayed(room, m.marker.id, sender);
      return;
    }
    if (m.body === undefined) {
      if (m.chatState && caps.typing && connector.typing && (m.chatState === "composing" || m.chatState === "paused")) {
        const state = m.chatState;
        const typing = connector.typing.bind(connector);
        await Promise.all(
          channels.map((channel) =>
            typing({ channel, sender, state }).catch((e: unknown) =>
              this.ctx.logger.debug("typing notification failed", { error: String(e) }),
            ),
          ),
        );
      }
      return;
    }
    await this.post(room, channels, m, sender, authorKey, stanzaId, archived?.at);
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
    if (!connector.capabilities.occupants || !connector.occupant) return;
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
    void (async () => {
      await this.ctx.connectorStarted;
      const sender = await this.senderFor(room, o);
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
      this.ctx.logger.warn("an occupant change could not be relayed", {
        room,
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  }

  /** An XEP-0333 displayed marker from an occupant: a read receipt on the message it names. */
  private async displayed(room: string, id: string, sender: XmppSender): Promise<void> {
    const connector = this.ctx.connector;
    if (!connector.capabilities.receipts || !connector.read) return;
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

  /** A correction or retraction of someone else's message: never relayed (only moderation may touch it). */
  private notTheAuthor(room: string, what: string, nick: string, target: string): void {
    this.ctx.metrics.badInput("xmpp");
    this.ctx.logger.warn(`a ${what} of a message by someone else was dropped`, { room, nick, target });
  }

  private async senderFor(room: string, o: Occupant): Promise<XmppSender> {
    const nick = o.nick;
    const avatarUrl =
      o.avatarHash !== undefined && o.avatarHash !== ""
        ? await this.ctx.media.occupantAvatar(`${room}/${nick}`, o.avatarHash, o.jid).catch(() => undefined)
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
      candidates.push({
        nick,
        mention: {
          target: { network: this.ctx.network, remoteId: puppet.remoteId, kind: "user" },
          name: puppet.displayName,
        },
      });
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
    at?: number,
  ): Promise<void> {
    const received = Date.now();
    const connector = this.ctx.connector;
    const oobUrls = (m.oob ?? []).map((o) => o.url);
    const strippedBody = stripFallback(m.body ?? "", m.fallbacks, NS.reply).trim();
    const text = oobUrls.includes(strippedBody) ? { blocks: [] } : this.textOf(m, room);
    const attachments = connector.capabilities.attachments
      ? await Promise.all(oobUrls.map((u) => this.ctx.media.toRemote(u)))
      : [];
    const finalText =
      !connector.capabilities.attachments && oobUrls.length > 0 && isEmptyText(text)
        ? fromStyling(oobUrls.join("\n"))
        : text;
    if (isEmptyText(finalText) && attachments.length === 0) return;
    const xmppId = stanzaId ?? m.originId ?? m.id;
    if (xmppId === undefined) return; // nothing to key it on: a retry could not be told from a new message
    for (const channel of channels) {
      let replyTo: { id: string; authorName?: string; excerpt?: string } | undefined;
      if (m.reply && connector.capabilities.replies) {
        const r = await this.lookup(room, m.reply.id);
        if (r && r.channel === channel) {
          const authorName = m.reply.to?.split("/")[1];
          replyTo = { id: r.remoteId, ...(authorName !== undefined && { authorName }) };
        }
      }
      const key = `to-remote ${this.ctx.network} ${room} ${xmppId} ${channel}`;
      const send = connector.send.bind(connector);
      const outcome = await this.ctx.delivery.enqueue({
        key,
        lane: `remote:${channel}`,
        describe: `message from ${room} to channel ${channel}`,
        run: async () => {
          const sent = await send({
            channel,
            sender,
            text: finalText,
            attachments,
            key,
            ...(replyTo && { replyTo }),
            ...(m.thread && connector.capabilities.threads && { thread: m.thread.id }),
            ...(at !== undefined && { timestamp: at }),
          });
          await this.ctx.store.recordMessage({
            network: this.ctx.network,
            channel,
            remoteId: sent.id,
            room,
            ...(stanzaId !== undefined && { stanzaId }),
            ...((m.originId ?? m.id) !== undefined && { originId: m.originId ?? m.id }),
            sender: authorKey,
            direction: "to-remote",
            createdAt: at ?? received,
          });
          return sent.id;
        },
      });
      if (outcome.status === "delivered")
        this.ctx.metrics.relayed(this.ctx.network, "to-remote", Date.now() - received);
    }
  }

  private async react(
    room: string,
    r: MessageRecord,
    sender: XmppSender,
    authorKey: string,
    emojis: readonly string[],
    targetId: string,
    update: string,
  ): Promise<void> {
    const connector = this.ctx.connector;
    if (!connector.react) return;
    const react = connector.react.bind(connector);
    const setKey = `${room} ${targetId}`;
    // One update of a user's set on a message at a time: each diffs against the set the one before saved.
    const updateKey = `${setKey} ${authorKey}`;
    const previous = this.reactionUpdates.settled(updateKey);
    const work = (async () => {
      await previous;
      const before = await this.ctx.store.getReactions(this.ctx.network, setKey, authorKey);
      const changes = [
        ...emojis.filter((e) => !before.includes(e)).map((e) => [e, "add"] as const),
        ...before.filter((e) => !emojis.includes(e)).map((e) => [e, "remove"] as const),
      ];
      if (changes.length === 0) return;
      const done = new Set<string>();
      for (const [emoji, action] of changes) {
        const key = `to-remote reaction ${this.ctx.network} ${r.remoteId} ${authorKey} ${emoji} ${action} ${update}`;
        const outcome = await this.ctx.delivery.enqueue({
          key,
          lane: `remote:${r.channel}`,
          describe: `reaction on ${r.remoteId}`,
          run: () => react({ channel: r.channel, id: r.remoteId, sender, emoji, action, key }),
        });
        if (outcome.status !== "dead") done.add(`${action} ${emoji}`);
      }
      // Saved once the network has the changes, and only those it has: a crash before this leaves the set as it
      // was, so the same update read again from the archive still shows the change (its keys say what went).
      const has = (e: string) => (before.includes(e) ? !done.has(`remove ${e}`) : done.has(`add ${e}`));
      const saved = [...new Set([...emojis, ...before])].filter(has);
      await this.ctx.store.setReactions(this.ctx.network, setKey, authorKey, saved);
    })();
    this.reactionUpdates.add(updateKey, work);
    await work;
  }

  private async deleteRemote(r: MessageRecord, sender: XmppSender, moderator: boolean, reason?: string): Promise<void> {
    const connector = this.ctx.connector;
    if (!connector.delete) return;
    const del = connector.delete.bind(connector);
    const key = `to-remote delete ${this.ctx.network} ${r.remoteId} ${r.channel}`;
    await this.ctx.delivery.enqueue({
      key,
      lane: `remote:${r.channel}`,
      describe: `deletion of ${r.remoteId}`,
      run: () => {
        this.ctx.echoes.expect("delete", r.remoteId);
        return del({
          channel: r.channel,
          id: r.remoteId,
          sender,
          moderator,
          key,
          ...(reason !== undefined && reason !== "" && { reason }),
        });
      },
    });
  }

  /** A moderator removed a message in the room: remove its remote counterpart, with the moderator's reason. */
  private async moderated(room: string, moderation: Retraction, channels: readonly string[]): Promise<void> {
    // The bridge asked for this one: the remote message is already deleted.
    if (this.ctx.echoes.consume("moderated", `${room} ${moderation.id}`)) return;
    if (!this.ctx.connector.capabilities.deletes) return;
    await this.ctx.connectorStarted;
    const r = await this.lookup(room, moderation.id);
    if (!r || !channels.includes(r.channel)) return;
    // The moderator, where the room names them by occupant JID (room/nick).
    const by = moderation.moderated?.by;
    const nick = by?.toLowerCase().startsWith(`${room.toLowerCase()}/`) ? by.slice(room.length + 1) : "moderator";
    await this.deleteRemote(r, { jid: by ?? room, nick }, true, moderation.reason);
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
