/**
 * An in-memory chat network: the reference "remote side" for tests and the
 * worked example for connector authors. It behaves like a real network where
 * it matters to a bridge: ids are assigned by the network, what the bridge
 * posts is echoed back to it as events, edits/deletes/reactions refer to
 * message ids, and its API can fail (transiently or for good) on demand.
 *
 * Two faces: the scenario API (`post`, `edit`, `react`... what the network's
 * own users do) and `api` (what a bot or bridge is allowed to call).
 */
import { EventEmitter } from "node:events";

export interface RefUser {
  readonly id: string;
  name: string;
  avatarUrl?: string;
  status: "online" | "idle" | "dnd" | "offline";
  statusText?: string;
}

export interface RefAttachment {
  readonly url: string;
  readonly filename?: string;
  readonly size?: number;
  readonly contentType?: string;
  readonly ephemeral?: boolean;
}

export interface RefMessage {
  readonly id: string;
  readonly channel: string;
  /** A network user, or undefined when posted by the bridge. */
  readonly authorId?: string;
  /** Set when the bridge posted it: the name and avatar it was shown with. */
  readonly bridgeSender?: { readonly name: string; readonly avatarUrl?: string };
  text: string;
  readonly replyTo?: string;
  readonly thread?: string;
  readonly attachments: readonly RefAttachment[];
  /** emoji -> who reacted (user ids, or `bridge:<name>` for the bridge). */
  readonly reactions: Map<string, Set<string>>;
  deleted: boolean;
  edited: boolean;
  /** When a network user last edited it. */
  editedAt?: number;
  readonly createdAt: number;
  /** DM messages: the network user the DM is with. */
  readonly dmWith?: string;
}

export type RefEvent =
  | { readonly type: "message"; readonly message: RefMessage }
  | { readonly type: "edit"; readonly message: RefMessage }
  | { readonly type: "delete"; readonly message: RefMessage; readonly by?: string; readonly reason?: string }
  | {
      readonly type: "reaction";
      readonly message: RefMessage;
      readonly userId: string;
      readonly emoji: string;
      readonly action: "add" | "remove";
    }
  | { readonly type: "typing"; readonly channel: string; readonly userId: string }
  | { readonly type: "presence"; readonly user: RefUser }
  | { readonly type: "profile"; readonly user: RefUser }
  | {
      readonly type: "membership";
      readonly channel: string;
      readonly userId: string;
      readonly kind: "join" | "leave" | "kick" | "ban";
      readonly by?: string;
      readonly reason?: string;
    }
  | { readonly type: "read"; readonly channel: string; readonly userId: string; readonly messageId: string };

/** An API failure the network reports, with an HTTP-like status. */
export class RefApiError extends Error {
  readonly status: number;
  readonly retryAfterMs?: number;
  constructor(status: number, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "RefApiError";
    this.status = status;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

export interface RefApiCall {
  readonly method: string;
  readonly args: Readonly<Record<string, unknown>>;
}

export class ReferenceNetwork extends EventEmitter<{ event: [RefEvent]; api: [RefApiCall] }> {
  readonly users = new Map<string, RefUser>();
  readonly channels = new Map<string, { readonly id: string; readonly members: Set<string> }>();
  readonly messages = new Map<string, RefMessage>();
  /** Every bridge API call, in order (tests read it). */
  readonly calls: RefApiCall[] = [];
  private counter = 0;
  private failures: Array<{ status: number; retryAfterMs?: number; method?: string }> = [];

  addUser(id: string, name: string, avatarUrl?: string): RefUser {
    const u: RefUser = { id, name, status: "online", ...(avatarUrl !== undefined && { avatarUrl }) };
    this.users.set(id, u);
    return u;
  }

  addChannel(id: string): void {
    if (!this.channels.has(id)) this.channels.set(id, { id, members: new Set() });
  }

  /**
   * The next `count` API calls fail with `status` (429 and 5xx are transient,
   * 403 is not); with `method`, only calls of that method (e.g. "post"), so
   * that other calls made meanwhile (an occupant shown joining) take none.
   */
  failNext(count: number, status: number, retryAfterMs?: number, method?: string): void {
    for (let i = 0; i < count; i++) {
      this.failures.push({
        status,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
        ...(method !== undefined && { method }),
      });
    }
  }

  private nextId(): string {
    this.counter++;
    return `m${this.counter}`;
  }

  private emitEvent(e: RefEvent): void {
    this.emit("event", e);
  }

  private user(id: string): RefUser {
    const u = this.users.get(id);
    if (!u) throw new Error(`no user ${id} on the reference network`);
    return u;
  }

  private message(id: string): RefMessage {
    const m = this.messages.get(id);
    if (!m || m.deleted) throw new RefApiError(404, `unknown message ${id}`);
    return m;
  }

  // --- What the network's users do (scenarios) ---------------------------------

  post(
    userId: string,
    channel: string,
    text: string,
    o: { replyTo?: string; thread?: string; attachments?: RefAttachment[]; createdAt?: number } = {},
  ): RefMessage {
    this.user(userId);
    this.addChannel(channel);
    const m: RefMessage = {
      id: this.nextId(),
      channel,
      authorId: userId,
      text,
      attachments: o.attachments ?? [],
      reactions: new Map(),
      deleted: false,
      edited: false,
      createdAt: o.createdAt ?? Date.now(),
      ...(o.replyTo !== undefined && { replyTo: o.replyTo }),
      ...(o.thread !== undefined && { thread: o.thread }),
    };
    this.messages.set(m.id, m);
    this.emitEvent({ type: "message", message: m });
    return m;
  }

  /** A network user writes to the bridge in DM `channel`, maybe answering (`replyTo`, `thread`) a message there. */
  directMessage(
    userId: string,
    channel: string,
    text: string,
    answering: { readonly replyTo?: string; readonly thread?: string } = {},
  ): RefMessage {
    this.user(userId);
    const m: RefMessage = {
      id: this.nextId(),
      channel,
      authorId: userId,
      text,
      attachments: [],
      reactions: new Map(),
      deleted: false,
      edited: false,
      createdAt: Date.now(),
      dmWith: userId,
      ...(answering.replyTo !== undefined && { replyTo: answering.replyTo }),
      ...(answering.thread !== undefined && { thread: answering.thread }),
    };
    this.messages.set(m.id, m);
    this.emitEvent({ type: "message", message: m });
    return m;
  }

  edit(messageId: string, text: string): void {
    const m = this.message(messageId);
    m.text = text;
    m.edited = true;
    m.editedAt = Date.now();
    this.emitEvent({ type: "edit", message: m });
  }

  remove(messageId: string, by?: string, reason?: string): void {
    const m = this.message(messageId);
    m.deleted = true;
    this.emitEvent({
      type: "delete",
      message: m,
      ...(by !== undefined && { by }),
      ...(reason !== undefined && { reason }),
    });
  }

  react(userId: string, messageId: string, emoji: string, action: "add" | "remove" = "add"): void {
    const m = this.message(messageId);
    const set = m.reactions.get(emoji) ?? new Set();
    if (action === "add") set.add(userId);
    else set.delete(userId);
    m.reactions.set(emoji, set);
    this.emitEvent({ type: "reaction", message: m, userId, emoji, action });
  }

  typing(userId: string, channel: string): void {
    this.emitEvent({ type: "typing", channel, userId });
  }

  setPresence(userId: string, status: RefUser["status"], statusText?: string): void {
    const u = this.user(userId);
    u.status = status;
    if (statusText !== undefined) u.statusText = statusText;
    else delete u.statusText;
    this.emitEvent({ type: "presence", user: u });
  }

  rename(userId: string, name: string, avatarUrl?: string): void {
    const u = this.user(userId);
    u.name = name;
    if (avatarUrl !== undefined) u.avatarUrl = avatarUrl;
    this.emitEvent({ type: "profile", user: u });
  }

  join(userId: string, channel: string): void {
    this.addChannel(channel);
    this.channels.get(channel)?.members.add(userId);
    this.emitEvent({ type: "membership", channel, userId, kind: "join" });
  }

  leave(userId: string, channel: string): void {
    this.channels.get(channel)?.members.delete(userId);
    this.emitEvent({ type: "membership", channel, userId, kind: "leave" });
  }

  /** A moderator (`by`) removes a user from a channel, for a while (kick) or for good (ban). */
  removeMember(userId: string, channel: string, o: { kind: "kick" | "ban"; by?: string; reason?: string }): void {
    this.channels.get(channel)?.members.delete(userId);
    this.emitEvent({
      type: "membership",
      channel,
      userId,
      kind: o.kind,
      ...(o.by !== undefined && { by: o.by }),
      ...(o.reason !== undefined && { reason: o.reason }),
    });
  }

  /** A user read a channel up to a message (a read receipt). */
  read(userId: string, messageId: string): void {
    const m = this.message(messageId);
    this.emitEvent({ type: "read", channel: m.channel, userId, messageId });
  }

  // --- What a bridge may call -------------------------------------------------------

  private call(method: string, args: Record<string, unknown>): void {
    const c = { method, args };
    this.calls.push(c);
    this.emit("api", c);
    const at = this.failures.findIndex((f) => f.method === undefined || f.method === method);
    const f = at < 0 ? undefined : this.failures.splice(at, 1)[0];
    if (f) throw new RefApiError(f.status, `${method} failed with ${f.status}`, f.retryAfterMs);
  }

  readonly api = {
    post: (o: {
      channel: string;
      senderName: string;
      avatarUrl?: string;
      text: string;
      replyTo?: string;
      thread?: string;
      attachments?: RefAttachment[];
      dmWith?: string;
      /** When it was said, for a message the bridge caught up (the reference network dates posts as asked). */
      createdAt?: number;
    }): RefMessage => {
      this.call("post", o);
      if (o.dmWith === undefined && !this.channels.has(o.channel))
        throw new RefApiError(404, `unknown channel ${o.channel}`);
      const m: RefMessage = {
        id: this.nextId(),
        channel: o.channel,
        bridgeSender: { name: o.senderName, ...(o.avatarUrl !== undefined && { avatarUrl: o.avatarUrl }) },
        text: o.text,
        attachments: o.attachments ?? [],
        reactions: new Map(),
        deleted: false,
        edited: false,
        createdAt: o.createdAt ?? Date.now(),
        ...(o.replyTo !== undefined && { replyTo: o.replyTo }),
        ...(o.thread !== undefined && { thread: o.thread }),
        ...(o.dmWith !== undefined && { dmWith: o.dmWith }),
      };
      this.messages.set(m.id, m);
      // Like real networks, what the bridge posts comes back to it as an event.
      this.emitEvent({ type: "message", message: m });
      return m;
    },
    edit: (o: { id: string; text: string }): void => {
      this.call("edit", o);
      const m = this.message(o.id);
      if (m.authorId !== undefined) throw new RefApiError(403, "the bridge can only edit its own messages");
      m.text = o.text;
      m.edited = true;
      this.emitEvent({ type: "edit", message: m });
    },
    delete: (o: { id: string; reason?: string }): void => {
      this.call("delete", o);
      const m = this.message(o.id);
      m.deleted = true;
      this.emitEvent({ type: "delete", message: m });
    },
    react: (o: { id: string; emoji: string; action: "add" | "remove"; as: string }): void => {
      this.call("react", o);
      const m = this.message(o.id);
      const who = `bridge:${o.as}`;
      const set = m.reactions.get(o.emoji) ?? new Set();
      if (o.action === "add") set.add(who);
      else set.delete(who);
      m.reactions.set(o.emoji, set);
    },
    typing: (o: { channel: string; as: string }): void => {
      this.call("typing", o);
    },
    /** An XMPP occupant is shown joining, changing presence or leaving (the network lists them as members). */
    occupant: (o: { channel: string; name: string; kind: string; status?: string; removed?: string }): void => {
      this.call("occupant", o);
    },
    /** The bridge marks a message read on behalf of an XMPP user. */
    read: (o: { channel: string; id: string; as: string }): void => {
      this.call("read", o);
    },
    channelExists: (id: string): boolean => this.channels.has(id),
    /** The ids of a channel's members. */
    members: (channel: string): string[] => [...(this.channels.get(channel)?.members ?? [])],
    user: (id: string): RefUser | undefined => this.users.get(id),
  };
}
