/**
 * Direct messages: an XMPP user adds a puppet JID to their roster (the puppet
 * answers the subscription and sends its presence from then on) and chats with
 * it 1:1; the connector carries the conversation to the remote user's DMs, and
 * the remote user's answers come back from the puppet.
 *
 * Message-map rows of a DM use the XMPP user's bare JID as `room` and the DM
 * channel behind the `dm:` prefix as `channel`, so edits, retractions and
 * reactions resolve through the same map as room messages.
 */
import {
  bareJid,
  buildMessage,
  buildPresence,
  buildRetraction,
  type Element,
  localFromRemoteId,
  type Message,
  NS,
  type Presence,
  stripFallback,
} from "@parley/stanza";
import type { RemoteMessage, XmppSender } from "../connector/connector.ts";
import { fromStyling, type RichText, toStyling } from "../format/index.ts";
import type { MessageRecord } from "../store/index.ts";
import type { EngineContext } from "./context.ts";
import { isEmptyText } from "./mentions.ts";
import type { Puppet } from "./puppet-directory.ts";
import { stanzaIdFor } from "./stanza-ids.ts";

export const DM_CHANNEL_PREFIX = "dm:";

const SUBSCRIBERS_KEPT = 10_000;

export class DirectChats {
  private readonly ctx: EngineContext;
  /**
   * Puppet -> the XMPP users subscribed to its presence, a cache of the store
   * (asked on every presence change of every puppet): at most
   * SUBSCRIBERS_KEPT puppets, the least recently used dropped.
   */
  private readonly subscribers = new Map<string, Set<string>>();
  /** DM channel -> the XMPP user it is with (a cache in front of the store, at most 10,000, oldest dropped). */
  private readonly dmUsers = new Map<string, string>();

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  private rememberDmUser(channel: string, user: string): void {
    this.dmUsers.delete(channel);
    this.dmUsers.set(channel, user);
    if (this.dmUsers.size > 10_000) {
      const oldest = this.dmUsers.keys().next().value;
      if (oldest !== undefined) this.dmUsers.delete(oldest);
    }
  }

  isDirectRecord(r: MessageRecord): boolean {
    return r.channel.startsWith(DM_CHANNEL_PREFIX);
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.subscribers.size + this.dmUsers.size;
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
    this.subscribers.delete(local);
    this.subscribers.set(local, set);
    const oldest = this.subscribers.keys().next();
    if (this.subscribers.size > SUBSCRIBERS_KEPT && !oldest.done) this.subscribers.delete(oldest.value);
    return set;
  }

  private async saveSubscribers(local: string, set: Set<string>): Promise<void> {
    await this.ctx.store.setState("subscribers", `${this.ctx.network} ${local}`, JSON.stringify([...set]));
  }

  /** A remote DM for an XMPP user: sent from the puppet as a 1:1 chat. */
  async toXmpp(
    m: RemoteMessage,
    puppet: Puppet,
    text: RichText,
    parts: ReadonlyArray<{ url: string } | { notice: string }>,
  ): Promise<void> {
    const user =
      m.directTo ??
      this.dmUsers.get(m.channel) ??
      (await this.ctx.store.getState("dm-user", `${this.ctx.network} ${m.channel}`)) ??
      undefined;
    if (user === undefined) {
      this.ctx.logger.info("a direct message for no known XMPP user was not relayed", { channel: m.channel });
      return;
    }
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
      await this.ctx.delivery.enqueue({
        key,
        lane: `xmpp-dm:${user}`,
        describe: `direct message ${b.remoteId} to an XMPP user`,
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
          await this.ctx.send(
            buildMessage({
              type: "chat",
              id,
              originId: id,
              from: this.puppetJid(puppet),
              to: user,
              body: b.body,
              ...(b.references && b.references.length > 0 && { references: b.references }),
              ...(b.oob !== undefined && { oob: [{ url: b.oob }] }),
              markable: true,
            }),
          );
        },
      });
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
    await this.ctx.send(
      buildMessage({
        type: "chat",
        id: stanzaIdFor(`reactions ${target} ${puppet.local} ${Date.now()}`, this.ctx.domain),
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

  /** A 1:1 message from an XMPP user to a puppet. */
  async fromXmpp(m: Message, el: Element, puppet: Puppet): Promise<void> {
    const from = m.from ?? "";
    const user = bareJid(from);
    if (user === undefined) return;
    const connector = this.ctx.connector;
    if (!connector.capabilities.directMessages || !connector.sendDirect) {
      await this.bounce(el, "feature-not-implemented", `${connector.displayName} direct messages are not bridged`);
      return;
    }
    const sender: XmppSender = { jid: user, nick: user.split("@")[0] ?? user };
    const lane = `remote-dm:${user}`;
    const find = (id: string) => this.ctx.store.byXmppId(this.ctx.network, user, id);
    // What the connector may derive a transaction id from: this stanza's own id, when it has one.
    const ownId = m.originId ?? m.id;
    const keyFor = (what: string) =>
      ownId !== undefined ? { key: `to-remote dm ${what} ${this.ctx.network} ${user} ${ownId}` } : {};
    if (m.replace) {
      const r = await find(m.replace.id);
      if (r?.direction !== "to-remote" || !connector.edit) return;
      const text = fromStyling(m.body ?? "", m.references);
      await connector.edit({
        channel: r.channel.slice(DM_CHANNEL_PREFIX.length),
        id: r.remoteId,
        sender,
        text,
        ...keyFor("edit"),
      });
      return;
    }
    if (m.retract) {
      const r = await find(m.retract.id);
      if (r?.direction !== "to-remote" || !connector.delete) return;
      await connector.delete({
        channel: r.channel.slice(DM_CHANNEL_PREFIX.length),
        id: r.remoteId,
        sender,
        moderator: false,
        ...keyFor("delete"),
      });
      return;
    }
    if (m.reactions) {
      const r = await find(m.reactions.id);
      if (!r || !connector.react) return;
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
    const body = stripFallback(m.body, m.fallbacks, NS.reply);
    const oobUrls = (m.oob ?? []).map((o) => o.url);
    const text = oobUrls.includes(body.trim()) ? { blocks: [] } : fromStyling(body, m.references);
    const attachments = await Promise.all(oobUrls.map((u) => this.ctx.media.toRemote(u)));
    if (isEmptyText(text) && attachments.length === 0) return;
    const xmppId = m.originId ?? m.id ?? stanzaIdFor(`${user} ${Date.now()} ${body}`, this.ctx.domain);
    const key = `to-remote dm ${this.ctx.network} ${user} ${xmppId}`;
    const sendDirect = connector.sendDirect.bind(connector);
    const outcome = await this.ctx.delivery.enqueue({
      key,
      lane,
      describe: `direct message from an XMPP user to ${puppet.local}`,
      run: async () => {
        const sent = await sendDirect({ userId: puppet.remoteId, sender, text, attachments, key });
        // Known at once in memory: the answer may come back before the store has committed.
        this.rememberDmUser(sent.channel, user);
        await this.ctx.store.setState("dm-user", `${this.ctx.network} ${sent.channel}`, user);
        await this.ctx.store.recordMessage({
          network: this.ctx.network,
          channel: DM_CHANNEL_PREFIX + sent.channel,
          remoteId: sent.id,
          room: user,
          originId: xmppId,
          sender: user,
          direction: "to-remote",
          createdAt: Date.now(),
        });
        return sent.id;
      },
    });
    if (outcome.status === "dead") {
      await this.bounce(el, "recipient-unavailable", `could not deliver to ${connector.displayName}`);
    }
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
