/**
 * Messages per channel in Slack's shapes (conversations.history items), with
 * threads, reactions and files, and the log of what the bot did in each
 * channel (posts, updates, deletions, reactions, uploads), in order, for
 * tests to read back. Each change hands the event Slack would send to the
 * `emit` callback; the fake decides who receives it.
 */
import { compareTs, type IdSource } from "./ids.ts";
import { SlackApiError, SlackScenarioError } from "./slack-errors.ts";
import type { Workspace } from "./workspace.ts";

export type SlackEvent = Record<string, unknown> & { type: string };

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

export interface SlackMessage {
  type: "message";
  subtype?: string;
  ts: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  username?: string;
  icons?: Record<string, string>;
  bot_profile?: Record<string, unknown>;
  text: string;
  blocks?: unknown[];
  team?: string;
  client_msg_id?: string;
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  subscribed?: boolean;
  edited?: { user: string; ts: string };
  reactions?: Reaction[];
  /** A tombstone's: hidden from clients' message lists. */
  hidden?: boolean;
  is_locked?: boolean;
  files?: Record<string, unknown>[];
  upload?: boolean;
  display_as_bot?: boolean;
  /** Message metadata (chat.postMessage `metadata`): read back only by those who ask (`include_all_metadata`). */
  metadata?: MessageMetadata;
}

/** An app's event data attached to a message (docs.slack.dev/messaging/message-metadata). */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A message as a reader sees it: its metadata only when asked for (Slack leaves it out otherwise). */
export function withoutMetadata(m: SlackMessage): SlackMessage {
  if (m.metadata === undefined) return m;
  const { metadata: _, ...rest } = m;
  return rest;
}

/** One thing the bot did, as tests read it back. */
export interface BotAction {
  readonly kind: "post" | "update" | "delete" | "react" | "unreact";
  readonly channel: string;
  /** The message posted, updated, deleted or reacted to. */
  readonly ts: string;
  readonly text?: string;
  readonly blocks?: unknown[];
  readonly username?: string;
  readonly icon_url?: string;
  readonly icon_emoji?: string;
  readonly thread_ts?: string;
  readonly mrkdwn?: boolean;
  readonly reply_broadcast?: boolean;
  /** Reactions: the emoji name. */
  readonly name?: string;
  /** Posts that shared files (files.completeUploadExternal): their ids. */
  readonly files?: readonly string[];
}

export type Emit = (event: SlackEvent, scope: { channel?: string }) => void;

export class MessageStore {
  private readonly ids: IdSource;
  private readonly ws: Workspace;
  private readonly emit: Emit;
  private readonly byChannel = new Map<string, SlackMessage[]>();
  private readonly actions = new Map<string, BotAction[]>();
  private readonly changedListeners: Array<() => void> = [];

  constructor(o: { ids: IdSource; ws: Workspace; emit: Emit }) {
    this.ids = o.ids;
    this.ws = o.ws;
    this.emit = o.emit;
  }

  onChange(listener: () => void): void {
    this.changedListeners.push(listener);
  }

  list(channel: string): SlackMessage[] {
    return this.byChannel.get(channel) ?? [];
  }

  get(channel: string, ts: string): SlackMessage | undefined {
    return this.list(channel).find((m) => m.ts === ts);
  }

  botActions(channel: string): readonly BotAction[] {
    return this.actions.get(channel) ?? [];
  }

  recordAction(a: BotAction): void {
    const list = this.actions.get(a.channel) ?? [];
    list.push(a);
    this.actions.set(a.channel, list);
    for (const l of this.changedListeners) l();
  }

  /** Stores a new message (a thread reply updates its parent) and emits the message event. */
  add(channel: string, m: Omit<SlackMessage, "type" | "ts"> & { ts?: string }): SlackMessage {
    const message: SlackMessage = { type: "message", ...m, ts: m.ts ?? this.ids.ts() };
    if (message.thread_ts !== undefined && message.thread_ts !== message.ts) {
      const parent = this.get(channel, message.thread_ts);
      if (!parent) throw new SlackApiError("thread_not_found");
      // A reply to a reply belongs to the same thread: Slack threads are one level deep.
      if (parent.thread_ts !== undefined && parent.thread_ts !== parent.ts) message.thread_ts = parent.thread_ts;
      const root = this.get(channel, message.thread_ts);
      if (root) {
        root.thread_ts = root.ts;
        root.reply_count = (root.reply_count ?? 0) + 1;
        const who = message.user ?? message.bot_id ?? "";
        root.reply_users = [...new Set([...(root.reply_users ?? []), who])];
        root.reply_users_count = root.reply_users.length;
        root.latest_reply = message.ts;
        message.parent_user_id = root.user ?? "";
      }
    }
    const list = this.byChannel.get(channel) ?? [];
    insertByTs(list, message);
    this.byChannel.set(channel, list);
    this.emit(
      {
        ...structuredClone(withoutMetadata(message)),
        channel,
        event_ts: message.ts,
        channel_type: this.ws.channelType(channel),
      },
      { channel },
    );
    return message;
  }

  /** Changes a message's text/blocks and emits message_changed. */
  edit(channel: string, ts: string, by: string, change: { text: string; blocks?: unknown[] }): SlackMessage {
    const m = this.get(channel, ts);
    if (!m) throw new SlackApiError("message_not_found");
    const previous = structuredClone(m);
    m.text = change.text;
    if (change.blocks !== undefined) m.blocks = change.blocks;
    else delete m.blocks;
    const eventTs = this.ids.ts();
    m.edited = { user: by, ts: eventTs };
    this.emit(
      {
        type: "message",
        subtype: "message_changed",
        hidden: true,
        channel,
        ts: eventTs,
        event_ts: eventTs,
        message: structuredClone(m),
        previous_message: previous,
        channel_type: this.ws.channelType(channel),
      },
      { channel },
    );
    return m;
  }

  /**
   * Removes a message (and its replies' parent counts) and emits
   * message_deleted. The first message of a thread that has replies stays
   * as a tombstone (`subtype: "tombstone"`, "This message was deleted." by
   * USLACKBOT, its thread fields kept), and Slack tells that with a
   * message_changed whose message is the tombstone.
   */
  remove(channel: string, ts: string): SlackMessage {
    const list = this.list(channel);
    const i = list.findIndex((m) => m.ts === ts);
    const m = list[i];
    if (!m) throw new SlackApiError("message_not_found");
    if (m.thread_ts === m.ts && (m.reply_count ?? 0) > 0 && m.subtype !== "tombstone") {
      const tombstone: SlackMessage = {
        type: "message",
        subtype: "tombstone",
        text: "This message was deleted.",
        user: "USLACKBOT",
        hidden: true,
        ts: m.ts,
        thread_ts: m.ts,
        parent_user_id: "USLACKBOT",
        reply_count: m.reply_count ?? 0,
        reply_users_count: m.reply_users_count ?? 0,
        reply_users: [...(m.reply_users ?? [])],
        latest_reply: m.latest_reply ?? m.ts,
        is_locked: false,
        subscribed: false,
      };
      list[i] = tombstone;
      const eventTs = this.ids.ts();
      this.emit(
        {
          type: "message",
          subtype: "message_changed",
          hidden: true,
          channel,
          ts: eventTs,
          event_ts: eventTs,
          message: structuredClone(tombstone),
          previous_message: structuredClone(withoutMetadata(m)),
          channel_type: this.ws.channelType(channel),
        },
        { channel },
      );
      return m;
    }
    list.splice(i, 1);
    if (m.thread_ts !== undefined && m.thread_ts !== m.ts) {
      const root = this.get(channel, m.thread_ts);
      if (root && root.reply_count !== undefined) {
        root.reply_count = Math.max(0, root.reply_count - 1);
        const replies = list.filter((r) => r.thread_ts === root.ts && r.ts !== root.ts);
        root.latest_reply = replies.at(-1)?.ts ?? root.ts;
      }
    }
    const eventTs = this.ids.ts();
    this.emit(
      {
        type: "message",
        subtype: "message_deleted",
        hidden: true,
        channel,
        ts: eventTs,
        deleted_ts: ts,
        event_ts: eventTs,
        previous_message: structuredClone(m),
        channel_type: this.ws.channelType(channel),
      },
      { channel },
    );
    return m;
  }

  /** Adds or removes a reaction; errors as reactions.add/remove answer them. */
  react(channel: string, ts: string, user: string, name: string, action: "add" | "remove"): void {
    const m = this.get(channel, ts);
    if (!m) throw new SlackApiError("message_not_found");
    const reactions = m.reactions ?? [];
    let r = reactions.find((x) => x.name === name);
    if (action === "add") {
      if (r?.users.includes(user)) throw new SlackApiError("already_reacted");
      if (!r) {
        r = { name, users: [], count: 0 };
        reactions.push(r);
      }
      r.users.push(user);
      r.count = r.users.length;
      m.reactions = reactions;
    } else {
      if (!r?.users.includes(user)) throw new SlackApiError("no_reaction");
      r.users = r.users.filter((u) => u !== user);
      r.count = r.users.length;
      if (r.count === 0) reactions.splice(reactions.indexOf(r), 1);
      if (reactions.length === 0) delete m.reactions;
    }
    const eventTs = this.ids.ts();
    this.emit(
      {
        type: action === "add" ? "reaction_added" : "reaction_removed",
        user,
        reaction: name,
        item_user: m.user ?? "",
        item: { type: "message", channel, ts },
        event_ts: eventTs,
      },
      { channel },
    );
  }

  /** Thread root and replies, oldest first. */
  thread(channel: string, ts: string): SlackMessage[] {
    const root = this.get(channel, ts);
    if (!root) throw new SlackApiError("thread_not_found");
    const rootTs = root.thread_ts ?? root.ts;
    return this.list(channel).filter((m) => m.ts === rootTs || m.thread_ts === rootTs);
  }

  /** What conversations.history lists: top-level messages and broadcast replies, oldest first. */
  history(channel: string): SlackMessage[] {
    return this.list(channel).filter(
      (m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === "thread_broadcast",
    );
  }

  requireMessage(channel: string, ts: string): SlackMessage {
    const m = this.get(channel, ts);
    if (!m) throw new SlackScenarioError(`no message ${ts} in ${channel}`);
    return m;
  }
}

/**
 * Puts `m` into `list` (oldest first) where its ts belongs. A new message is
 * nearly always the newest, so it is pushed; a scenario's older ts is placed
 * by binary search. Re-sorting the whole list on each message made posting N
 * messages O(N² log N), which made the fake the bench's bottleneck.
 */
export function insertByTs(list: SlackMessage[], m: SlackMessage): void {
  const last = list.at(-1);
  if (!last || compareTs(m.ts, last.ts) >= 0) {
    list.push(m);
    return;
  }
  let lo = 0;
  let hi = list.length - 1;
  // Invariant: list[hi].ts > m.ts; find the first such index. Equal ts go after the ones already there.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTs((list[mid] as SlackMessage).ts, m.ts) > 0) hi = mid;
    else lo = mid + 1;
  }
  list.splice(lo, 0, m);
}
