/**
 * The reference connector: everything a connector has to do, for the
 * in-memory `ReferenceNetwork`. Read it as the template for a new network:
 * subscribe to the network's events and turn each into a `ConnectorHost`
 * call; implement the `Connector` methods as API calls; classify API failures
 * as transient (retry) or permanent (dead letter); convert markup through the
 * shared AST. Nothing here knows about XMPP.
 */
import type {
  Connector,
  ConnectorCapabilities,
  ConnectorHost,
  DirectRequest,
  EditRequest,
  OutgoingMessage,
  ReadRequest,
  RemoteMessage,
  RemoteUser,
  XmppOccupantEvent,
  XmppSender,
} from "../connector/connector.ts";
import type { HistoryOptions, HistoryPage, HistoryRequest } from "../connector/history.ts";
import { OrderedLines } from "../connector/ordered-lines.ts";
import { PermanentError, TransientError } from "../delivery/index.ts";
import { fromMarkdown, toMarkdown } from "../format/index.ts";
import { referenceHistory, referenceHistoryOptions } from "./reference-history.ts";
import {
  RefApiError,
  type RefEvent,
  type ReferenceNetwork,
  type RefMessage,
  type RefUser,
} from "./reference-network.ts";

export class ReferenceConnector implements Connector {
  readonly network: string;
  readonly displayName = "Reference";
  /** Edits, deletions, reactions, typing, DMs, occupants and read markers: the methods below say so. */
  readonly capabilities: ConnectorCapabilities = { replies: true, attachments: true, threads: true, presence: true };
  private readonly net: ReferenceNetwork;
  private host: ConnectorHost | undefined;
  /** Events are handed over one at a time, in the order the network sent them (one line for the whole network). */
  private readonly events = new OrderedLines({
    maxPerKey: Number.POSITIVE_INFINITY,
    onError: (_line, err, what) =>
      this.host?.logger.warn("a network event could not be handled", {
        event: what,
        error: err instanceof Error ? err.message : String(err),
      }),
  });
  private readonly listener = (e: RefEvent) => {
    this.events.push("network", () => this.handle(e), e.type);
  };
  private readonly catchUpAtStart: boolean;
  /** Catch-up reads the network's history (`history`). */
  readonly historyOptions: HistoryOptions;

  /** `catchUp`: ask the engine at start to catch up on what was said meanwhile (`host.catchUp`); off unless a test says. */
  constructor(net: ReferenceNetwork, network = "reference", o: { readonly catchUp?: boolean } = {}) {
    this.net = net;
    this.network = network;
    this.catchUpAtStart = o.catchUp === true;
    this.historyOptions = referenceHistoryOptions(net);
  }

  async start(host: ConnectorHost): Promise<void> {
    this.host = host;
    this.net.on("event", this.listener);
    host.connected(true);
    // Queued ahead of the events from now on: what was said while the bridge was away goes first.
    if (this.catchUpAtStart) this.events.push("network", () => host.catchUp?.(), "catch-up");
  }

  /** A page of a channel's history, for the engine's catch-up. */
  async history(r: HistoryRequest): Promise<HistoryPage> {
    return referenceHistory(
      this.net,
      r,
      (m) => this.remoteMessage(m),
      (id) => this.userById(id),
    );
  }

  async stop(): Promise<void> {
    this.net.off("event", this.listener);
    await this.events.idle();
    this.host?.connected(false);
    this.host = undefined;
  }

  /** Waits until every event received so far has been handed to the engine. */
  idle(): Promise<void> {
    return this.events.idle();
  }

  private userById(id: string): RemoteUser | undefined {
    const u = this.net.users.get(id);
    return u ? this.remoteUser(u) : undefined;
  }

  private remoteUser(u: RefUser): RemoteUser {
    return { id: u.id, displayName: u.name, ...(u.avatarUrl !== undefined && { avatarUrl: u.avatarUrl }) };
  }

  private author(m: RefMessage): RemoteUser {
    if (m.authorId === undefined)
      return { id: "bridge", displayName: m.bridgeSender?.name ?? "bridge", isBridge: true };
    const u = this.net.users.get(m.authorId);
    return u ? this.remoteUser(u) : { id: m.authorId, displayName: m.authorId };
  }

  private remoteMessage(m: RefMessage): RemoteMessage {
    const replied = m.replyTo !== undefined ? this.net.messages.get(m.replyTo) : undefined;
    return {
      channel: m.channel,
      id: m.id,
      author: this.author(m),
      text: fromMarkdown(m.text),
      timestamp: m.createdAt,
      ...(m.replyTo !== undefined && { replyTo: m.replyTo }),
      ...(replied && { replyQuote: { authorName: this.author(replied).displayName, text: replied.text } }),
      ...(m.thread !== undefined && { thread: m.thread }),
      ...(m.attachments.length > 0 && { attachments: m.attachments }),
      ...(m.dmWith !== undefined && { direct: true }),
    };
  }

  private async handle(e: RefEvent): Promise<void> {
    const host = this.host;
    if (!host) return;
    switch (e.type) {
      case "message":
        await host.message(this.remoteMessage(e.message));
        return;
      case "edit":
        await host.edit({
          channel: e.message.channel,
          id: e.message.id,
          author: this.author(e.message),
          text: fromMarkdown(e.message.text),
          ...(e.message.editedAt !== undefined && { timestamp: e.message.editedAt }),
        });
        return;
      case "delete": {
        const by = e.by !== undefined ? this.net.users.get(e.by) : undefined;
        await host.delete({
          channel: e.message.channel,
          id: e.message.id,
          ...(by && { by: this.remoteUser(by) }),
          ...(e.reason !== undefined && { reason: e.reason }),
        });
        return;
      }
      case "reaction": {
        const u = this.net.users.get(e.userId);
        if (!u) return;
        await host.reaction({
          channel: e.message.channel,
          id: e.message.id,
          user: this.remoteUser(u),
          emoji: e.emoji,
          action: e.action,
        });
        return;
      }
      case "typing": {
        const u = this.net.users.get(e.userId);
        if (u) await host.typing({ channel: e.channel, user: this.remoteUser(u), state: "composing" });
        return;
      }
      case "presence":
        await host.presence(this.remoteUser(e.user), {
          status: e.user.status,
          ...(e.user.statusText !== undefined && { message: e.user.statusText }),
        });
        return;
      case "profile":
        await host.profile(this.remoteUser(e.user));
        return;
      case "membership": {
        const u = this.net.users.get(e.userId);
        const by = e.by !== undefined ? this.net.users.get(e.by) : undefined;
        if (u)
          await host.membership(e.channel, this.remoteUser(u), e.kind, {
            ...(by && { by: this.remoteUser(by) }),
            ...(e.reason !== undefined && { reason: e.reason }),
          });
        return;
      }
      case "read": {
        const u = this.net.users.get(e.userId);
        if (u) await host.read({ channel: e.channel, id: e.messageId, user: this.remoteUser(u) });
        return;
      }
    }
  }

  /** Network errors in the delivery vocabulary: 429 and 5xx are worth a retry, the rest is not. */
  private async callApi<T>(f: () => T): Promise<T> {
    try {
      return f();
    } catch (e) {
      if (e instanceof RefApiError) {
        if (e.status === 429 || e.status >= 500)
          throw new TransientError(e.message, {
            ...(e.retryAfterMs !== undefined && { retryAfterMs: e.retryAfterMs }),
            cause: e,
          });
        throw new PermanentError(e.message);
      }
      throw e;
    }
  }

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    const text = toMarkdown(m.text);
    const posted = await this.callApi(() =>
      this.net.api.post({
        channel: m.channel,
        senderName: m.sender.nick,
        ...(m.sender.avatarUrl !== undefined && { avatarUrl: m.sender.avatarUrl }),
        text,
        ...(m.replyTo && { replyTo: m.replyTo.id }),
        ...(m.thread !== undefined && { thread: m.thread }),
        ...(m.attachments.length > 0 && { attachments: m.attachments.map((a) => ({ ...a })) }),
        ...(m.timestamp !== undefined && { createdAt: m.timestamp }),
      }),
    );
    return { id: posted.id };
  }

  async edit(o: EditRequest): Promise<void> {
    await this.callApi(() => this.net.api.edit({ id: o.id, text: toMarkdown(o.text) }));
  }

  async delete(o: { channel: string; id: string; reason?: string }): Promise<void> {
    await this.callApi(() => this.net.api.delete({ id: o.id, ...(o.reason !== undefined && { reason: o.reason }) }));
  }

  async react(o: { id: string; sender: XmppSender; emoji: string; action: "add" | "remove" }): Promise<void> {
    await this.callApi(() => this.net.api.react({ id: o.id, emoji: o.emoji, action: o.action, as: o.sender.nick }));
  }

  async typing(o: { channel: string; sender: XmppSender }): Promise<void> {
    await this.callApi(() => this.net.api.typing({ channel: o.channel, as: o.sender.nick }));
  }

  async occupant(o: XmppOccupantEvent): Promise<void> {
    await this.callApi(() =>
      this.net.api.occupant({
        channel: o.channel,
        name: o.sender.nick,
        kind: o.kind,
        ...(o.presence && { status: o.presence.status }),
        ...(o.removed !== undefined && { removed: o.removed }),
      }),
    );
  }

  async read(o: ReadRequest): Promise<void> {
    await this.callApi(() => this.net.api.read({ channel: o.channel, id: o.id, as: o.sender.nick }));
  }

  async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    if (!this.net.users.has(o.userId)) throw new PermanentError(`no user ${o.userId}`);
    const channel = `dm-${o.userId}`;
    const posted = await this.callApi(() =>
      this.net.api.post({
        channel,
        senderName: o.sender.nick,
        text: toMarkdown(o.text),
        dmWith: o.userId,
        ...(o.attachments.length > 0 && { attachments: o.attachments.map((a) => ({ url: a.url })) }),
      }),
    );
    return { channel, id: posted.id };
  }

  /** A channel linked at runtime: its members show up in the room at once, not only when they speak. */
  async linked(link: { readonly channel: string }): Promise<void> {
    const host = this.host;
    if (!host) return;
    for (const id of this.net.api.members(link.channel)) {
      const u = this.net.api.user(id);
      if (u) await host.membership(link.channel, this.remoteUser(u), "join", { listed: true });
    }
  }

  async channelExists(channel: string): Promise<boolean> {
    return this.net.api.channelExists(channel);
  }

  async lookupUser(id: string): Promise<RemoteUser | undefined> {
    return this.userById(id);
  }
}
