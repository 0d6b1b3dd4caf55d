/**
 * Reading a channel's history: what a connector implements so that the
 * engine catches up on what was said on the network while the bridge was
 * away (remote -> XMPP). The engine keeps a cursor per channel (the id of
 * the last message handed over), asks `Connector.history` for the messages
 * after it, page by page, oldest first, bounded by age and count, hands
 * them over like live ones, and looks at the last messages up to the cursor
 * for edits, deletions and reactions made meanwhile. The connector only
 * fetches pages and says when to catch up (`ConnectorHost.catchUp`, after a
 * fresh session: only it knows when its network replays what was missed
 * by itself).
 */
import type { RemoteMessage, RemoteUser } from "./connector.ts";

/** A reaction as history lists it, with who gave it. */
export interface HistoryReaction {
  /** As `RemoteReaction.emoji` gives it: a Unicode emoji, or `:name:` for a custom one. */
  readonly emoji: string;
  /** Who reacted so (leave the bridge's own identities out). */
  readonly users: readonly RemoteUser[];
  /** False when the network listed only some of those who reacted (a user not listed may still have). */
  readonly complete: boolean;
}

/** One message of a channel as the network lists it. */
export interface HistoryMessage {
  /** Its id, in the order `HistoryOptions.compare` gives. */
  readonly id: string;
  /**
   * The message as `host.message` takes it, with the text it has now.
   * Absent for an item the bridge does not relay (a join, a pin, a system
   * message): the cursor still moves past it.
   */
  readonly message?: RemoteMessage;
  /**
   * When it was last edited, when it was: ms since the epoch (a fraction is
   * fine, for networks whose stamps are finer), the same number the live
   * edit's `RemoteEdit.timestamp` gives, which the engine compares it with.
   */
  readonly edited?: number;
  /** Listed only as the trace of a deleted message (Slack's tombstone of a thread's first message). */
  readonly gone?: boolean;
  /**
   * Its reactions now. Absent when the network's listing does not say who
   * reacted: reactions are then not caught up for this message.
   */
  readonly reactions?: readonly HistoryReaction[];
}

/**
 * What the engine asks `history` for: the messages after a cursor, the last
 * messages up to one (the recent window), or where a channel stands now.
 * With neither `after` nor `upTo`, the channel has no cursor yet (its first
 * catch-up since it was linked): answer with no messages and the `cursor`
 * to start from next time, its newest message's id or an id for now (the
 * channel's past is not relayed).
 */
export interface HistoryRequest {
  /** A linked channel, or a thread that `historyThreads` listed. */
  readonly channel: string;
  /** The messages after this id (not including it), oldest first. */
  readonly after?: string;
  /**
   * The last `limit` messages up to this id (including it), oldest first:
   * the window the engine compares with what it relayed, for the edits,
   * deletions and reactions made while the bridge was away. Asked for
   * linked channels only, never for threads.
   */
  readonly upTo?: string;
  /** Most messages wanted in this answer; return fewer when the network pages by less. */
  readonly limit: number;
  /** The `next` of the previous answer to the same request, for the page after it. */
  readonly page?: string;
}

export interface HistoryPage {
  /** Oldest first. For `after`: only messages after it. */
  readonly messages: readonly HistoryMessage[];
  /** More messages follow these: the engine asks again with `page: next`. Absent on the last page. */
  readonly next?: string;
  /** For a request without `after` or `upTo`: where the channel stands now. */
  readonly cursor?: string;
}

/** A thread the engine catches up on as a channel of its own (`HistoryOptions.threadsAsChannels`). */
export interface HistoryThread {
  /** The thread's id: `history` is asked with it as `channel`, and its messages come with it as `thread`. */
  readonly id: string;
  /**
   * Where a thread the engine has no cursor for starts, when it was
   * started after its channel's cursor (while the bridge was away): just
   * before its first message. An older thread without a cursor starts at
   * the channel's cursor.
   */
  readonly after: string;
  /** Its newest message's id, when the network tells: a thread with nothing after its cursor costs no request. */
  readonly latest?: string;
}

/** How a network's message ids order and date, and how its threads are read. Goes with `history`. */
export interface HistoryOptions {
  /** The network's order of message ids (negative: `a` is older). */
  readonly compare: (a: string, b: string) => number;
  /** Whether a string is a message id of the network (anything else read from the store is dropped). */
  readonly isId: (id: string) => boolean;
  /** When the message with this id was said (ms since the epoch). */
  readonly timeOf: (id: string) => number;
  /** An id to read after for what was said from `ms` on (a position, not a message). */
  readonly idAt: (ms: number) => string;
  /**
   * Threads are read as channels of their own (Discord): each has its own
   * cursor, `historyThreads` lists them, and a live message's cursor is
   * its `thread` when it has one. Otherwise (Slack) a thread's replies come
   * in its channel's history, and its channel's cursor moves with them.
   */
  readonly threadsAsChannels?: boolean;
  /** The config fields named when the admins are told what catch-up left out (e.g. `connectors.discord.catchUpMaxAgeHours`). */
  readonly settings?: { readonly maxAge?: string; readonly limit?: string };
}
