/**
 * The connector boundary: the only code a new network needs. A connector turns
 * what it sees on its network into calls on the `ConnectorHost` the engine hands
 * it, and turns the engine's requests into remote API calls. Everything that is
 * the same for every network (XMPP, puppets, rooms, the message map, delivery,
 * formatting, media) lives in the engine.
 *
 * Data crossing the boundary is plain: ids as strings, rich text as the shared
 * `RichText` AST, times as milliseconds since the epoch. A connector never
 * builds a stanza and never touches the store.
 *
 * An optional feature that a method stands for (edits, deletions, reactions,
 * typing, direct messages, occupants, read markers) is there when the
 * connector has the method; `capabilities` may still switch one off (the
 * method is then never called). Features without a method of their own
 * (replies, attachments, threads, presence) are declared in `capabilities`.
 * The engine never calls a method whose capability is off (a network without
 * edits never gets `edit`), and tells XMPP users instead where that makes sense.
 */
import type { RichText } from "../format/ast.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { HistoryOptions, HistoryPage, HistoryRequest, HistoryThread } from "./history.ts";

/** A user of the remote network, as the connector knows them. */
export interface RemoteUser {
  /** Stable id on the network; becomes the puppet's localpart (XEP-0106 escaped). */
  readonly id: string;
  /** What people see: guild nickname, display name, username... */
  readonly displayName: string;
  /** A URL the engine can fetch (it re-hosts avatars for XMPP). */
  readonly avatarUrl?: string;
  /** True for the bridge's own bot/webhook identities: their messages are echoes and never relayed. */
  readonly isBridge?: boolean;
}

export type RemoteStatus = "online" | "idle" | "dnd" | "offline";

export interface RemotePresence {
  readonly status: RemoteStatus;
  /** Custom status text. */
  readonly message?: string;
}

/** A file on the remote network. */
export interface RemoteAttachment {
  readonly url: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly size?: number;
  /**
   * The URL is private or short-lived (signed CDN links, authenticated media):
   * the engine re-hosts the file instead of handing the URL to XMPP users.
   */
  readonly ephemeral?: boolean;
  /** Headers the engine must send to download it (e.g. an authorization header). Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RemoteMessage {
  readonly channel: string;
  readonly id: string;
  readonly author: RemoteUser;
  readonly text: RichText;
  /** Remote id of the message this one answers. */
  readonly replyTo?: string;
  /** The answered message's author and text, when the network gives them: quoted as the XEP-0428 fallback. */
  readonly replyQuote?: { readonly authorName: string; readonly text: string };
  /**
   * The network's id of the thread it belongs to: the id `OutgoingMessage.thread`
   * would name it by (a Discord thread channel, a Slack thread_ts, a Matrix
   * root event). The engine relays it under the XEP-0201 thread id of the
   * XMPP thread it continues, when an XMPP user started that thread (or
   * answered there first); else under this id.
   */
  readonly thread?: string;
  readonly attachments?: readonly RemoteAttachment[];
  /** When it was posted; relayed as XEP-0203 delay when it is older than a few seconds (catch-up). */
  readonly timestamp?: number;
  /**
   * True when `channel` is a direct conversation between `author` and the
   * bridge. The engine routes it: an answer (`replyTo`, or `thread`) to a
   * message of that conversation goes to the XMPP user of that message; any
   * other to the XMPP user who wrote last to its author; when none did,
   * it is not relayed and the engine calls `unroutedDirect`.
   */
  readonly direct?: boolean;
  /**
   * For a direct message on a network whose DM is with one XMPP user only
   * (a Matrix room with one ghost): that user, which then overrides the
   * engine's routing. Leave it out otherwise.
   */
  readonly directTo?: string;
}

export interface RemoteEdit {
  readonly channel: string;
  readonly id: string;
  readonly author: RemoteUser;
  readonly text: RichText;
  readonly timestamp?: number;
}

export interface RemoteDelete {
  readonly channel: string;
  readonly id: string;
  /** Who deleted it, when the network says and it is not the author (a moderator). */
  readonly by?: RemoteUser;
  /** Why, when a moderator said so (carried into the room's XEP-0425 moderation). */
  readonly reason?: string;
}

export interface RemoteReaction {
  readonly channel: string;
  /** The message reacted to. */
  readonly id: string;
  readonly user: RemoteUser;
  /** A Unicode emoji, or `:name:` for a custom one. */
  readonly emoji: string;
  readonly action: "add" | "remove";
}

export interface RemoteTyping {
  readonly channel: string;
  readonly user: RemoteUser;
  readonly state: "composing" | "paused";
}

/** A remote user read `channel` up to message `id` (a read receipt): an XEP-0333 displayed marker from their puppet. */
export interface RemoteRead {
  readonly channel: string;
  readonly id: string;
  readonly user: RemoteUser;
}

/** How a remote user came to be in a channel or left it; kicks and bans name who did it and why. */
export type MembershipKind = "join" | "leave" | "kick" | "ban";

export interface MembershipDetails {
  readonly by?: RemoteUser;
  readonly reason?: string;
  /**
   * A "join" that lists a member already in the channel (the members found
   * at start, or when a channel is linked), not one seen joining it now: the
   * member is seated by their reported presence (none reported yet counts as
   * present), not because they joined.
   */
  readonly listed?: boolean;
}

/** How long a connector's state key is kept; see `ConnectorState.set`. */
export interface StateKeyOptions {
  /** Forget the key this many milliseconds after this write (a positive whole number). */
  readonly ttlMs?: number;
  /**
   * Forget the key when the message map forgets a message recorded now
   * (after `store.retention.messagesDays`; never when that is 0): for what
   * only serves to edit, delete or react to one message (how it was posted,
   * its parts, its thread), useless once the message can no longer be found.
   * `ttlMs` wins when both are given.
   */
  readonly expiresWithMessage?: boolean;
}

/**
 * A connector's own small persistent state, kept in the bridge's store and
 * scoped to its network: catch-up cursors, handled transaction ids, registered
 * ghosts. Values survive a restart; writes are atomic per key.
 */
export interface ConnectorState {
  /** The value, or undefined when the key was never written or has expired. */
  get(key: string): Promise<string | undefined>;
  /**
   * Writes the key. Every write sets its expiry anew: without options the key
   * is kept for ever, which is what cursors and other state still in use
   * need; per-message keys should say `expiresWithMessage` so they do not
   * only grow.
   */
  set(key: string, value: string, options?: StateKeyOptions): Promise<void>;
}

/** What the engine offers a connector: the remote side's events go in here. */
export interface ConnectorHost {
  readonly network: string;
  readonly logger: Logger;
  message(m: RemoteMessage): Promise<void>;
  edit(e: RemoteEdit): Promise<void>;
  delete(d: RemoteDelete): Promise<void>;
  reaction(r: RemoteReaction): Promise<void>;
  typing(t: RemoteTyping): Promise<void>;
  /**
   * The user's status changed. Offline takes their puppet out of every room
   * (unavailable), but for a member seated because they spoke or joined while
   * not known present, for whom it changes nothing; online, idle or dnd seats
   * it again in the rooms of the channels it was last reported a member of
   * (`memberPresence`, `membership`).
   */
  presence(user: RemoteUser, presence: RemotePresence): Promise<void>;
  /**
   * `user` can read `channel` (a linked one) and has `presence` there: the
   * engine seats their puppet in the channel's rooms while they are online,
   * idle or dnd (up to the room's cap, most recently active first), and takes
   * it out when they go offline. A connector reports each member it learns is
   * present (at start, as they come online, when a channel is linked); members
   * it reports offline, or never reports, are not seated until they speak or
   * join the channel.
   */
  memberPresence(channel: string, user: RemoteUser, presence: RemotePresence): Promise<void>;
  /** The user's display name or avatar changed. */
  profile(user: RemoteUser): Promise<void>;
  /**
   * A user joined or left a channel (kicked or banned: their puppet leaves the
   * rooms saying so). One who joins is evidently there: seated even while
   * reported offline, and an "offline" that changes nothing keeps them seated
   * (a reported online, idle or dnd, then offline, takes them out). A member
   * already in the channel is reported as a "join" with `listed`.
   */
  membership(channel: string, user: RemoteUser, kind: MembershipKind, details?: MembershipDetails): Promise<void>;
  /** A remote user read a channel up to a message. */
  read(r: RemoteRead): Promise<void>;
  /** Remote channels linked to at least one room right now (not DMs): what a connector catches up on. */
  linkedChannels(): readonly string[];
  /** The rooms a remote channel is linked to (bare JIDs, lower case). */
  roomsOf(channel: string): readonly string[];
  /**
   * Links a channel with a room at runtime, because the remote side asked for
   * it (a Matrix room alias for a MUC); kept in the store like an admin link.
   */
  link(channel: string, room: string): Promise<void>;
  /** Removes a runtime link; false when there was none. */
  unlink(channel: string, room: string): Promise<boolean>;
  /** The connector's persistent key/value state. */
  readonly state: ConnectorState;
  /**
   * How long, in milliseconds, what a connector records of a post to find it
   * again (`findPosted`, `findDirectPosted`) must be kept: as long as the
   * engine may send the same message again (`xmpp.catchUp.maxAgeHours`, the
   * delivery retries, an hour's margin). The engine keeps its own record of
   * a first attempt that long. Absent from hosts that do not say.
   */
  readonly postRecordMs?: number;
  /** The connector's link to its network is up (true) or down (false); drives /readyz. */
  connected(up: boolean): void;
  /** Tells the bridge's admins something they must act on (a missing permission, a bad token). */
  notifyAdmins(text: string): Promise<void>;
  /**
   * Resolves once what was handed over so far is on record in the engine's
   * store (each message kept until the other side confirms it): a connector
   * waits for it before it moves a catch-up cursor past those messages.
   */
  settled?(): Promise<void>;
  /**
   * Catches up on what was said in `channels` (default: every linked
   * channel) while the bridge was away, through the connector's `history`;
   * resolves once everything found is handed over (in order, before
   * anything the connector hands over after awaiting it). Ask for it after
   * a fresh session with the network (at start, and after a reconnection
   * that the network does not replay by itself: a Discord RESUME needs
   * none), and for a channel linked at runtime (which starts its cursor).
   * Catch-ups run one at a time; without `history` it does nothing.
   */
  catchUp?(channels?: readonly string[]): Promise<void>;
}

/** An XMPP user as the remote side should show them. */
export interface XmppSender {
  /** Real bare JID when the room discloses it, else the occupant JID. */
  readonly jid: string;
  readonly nick: string;
  /** An URL on the bridge's media endpoint, when the user has an avatar. */
  readonly avatarUrl?: string;
}

export interface OutgoingAttachment {
  readonly url: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly size?: number;
}

export interface OutgoingMessage {
  readonly channel: string;
  readonly sender: XmppSender;
  readonly text: RichText;
  /**
   * The remote message this answers, with what is needed for a quoted
   * fallback, and the network's thread it sits in (as `EditRequest.thread`).
   */
  readonly replyTo?: {
    readonly id: string;
    readonly authorName?: string;
    readonly excerpt?: string;
    readonly thread?: string;
  };
  /**
   * The thread to post in, always a thread root of this network in
   * `channel` (never an XMPP thread id): the id the connector gave as
   * `RemoteMessage.thread`, or the remote id of a message (one the engine
   * posted as the first of an XMPP thread, or one an XMPP user's reply
   * starts a thread on). On a network where a thread must be opened first
   * (Discord), the connector opens it on that message when it is none yet.
   * Absent: outside any thread, and for the first message of an XMPP
   * thread, which becomes the root. The engine keeps the map between the
   * two (the message map), so a connector keeps none of its own.
   */
  readonly thread?: string;
  readonly attachments: readonly OutgoingAttachment[];
  /**
   * When it was said (ms since the epoch), for a message said while the
   * bridge was away and caught up from the room's archive; absent for live
   * messages. A network that lets the bridge date a post (Matrix application
   * services) can use it; others post it now.
   */
  readonly timestamp?: number;
  /**
   * Idempotency key: the same key is never posted twice by the engine, but a
   * connector whose network accepts a nonce should pass it on. The parts
   * after the first of a message the engine split have keys of their own,
   * `${key}#2`, `${key}#3`..., and the posts of files that go alone
   * `${key}#f1`, `${key}#f2`...
   */
  readonly key: string;
  /**
   * For a part after the first of a message the engine split (or a part
   * a correction added): the remote id of the message's first part, so a
   * connector can put it where that one is.
   */
  readonly partOf?: string;
}

/**
 * What `findPosted` is asked about: a post of the engine's that an earlier
 * attempt may have made while its answer was lost.
 */
export interface FindPostedRequest {
  /** The message as the engine is about to send it again: the same key, channel, sender and text as before. */
  readonly message: OutgoingMessage;
  /**
   * When the first attempt to post it started (ms since the epoch, by the
   * bridge's clock): the post, if it landed, is not older than that (allow
   * for the network's clock disagreeing by a few seconds).
   */
  readonly since: number;
}

/**
 * What `findDirectPosted` is asked about: a direct message of the engine's
 * that an earlier attempt may have sent while its answer was lost.
 */
export interface FindDirectRequest {
  /** The request as the engine is about to make it again: the same key, user, sender and text as before. */
  readonly direct: DirectRequest;
  /** When the first attempt to send it started, as for `FindPostedRequest.since`. */
  readonly since: number;
}

/** What the engine asks of a connector besides `send`: one named shape each, for connectors to implement against. */
export interface EditRequest {
  readonly channel: string;
  readonly id: string;
  /**
   * The network's thread the message sits in, as the message map has it
   * (`RemoteMessage.thread` or `OutgoingMessage.thread` when it was
   * relayed or posted); absent when it sits in none (a thread's root sits
   * in the channel) or the map does not say. For a network whose API names
   * a thread's messages by the thread (a Discord thread is a channel of its
   * own), so that the connector keeps no thread map of its own.
   */
  readonly thread?: string;
  readonly sender: XmppSender;
  readonly text: RichText;
  /**
   * Idempotency key (the engine's delivery key): the same request made again
   * (a retry, a resend after a crash) has the same key, another request never
   * does. A connector whose network accepts a transaction id or nonce derives
   * it from this; absent only when the engine has nothing stable to go by.
   */
  readonly key?: string;
}

export interface DeleteRequest {
  readonly channel: string;
  readonly id: string;
  /**
   * The network's thread the message sits in, as the message map has it
   * (`RemoteMessage.thread` or `OutgoingMessage.thread` when it was
   * relayed or posted); absent when it sits in none (a thread's root sits
   * in the channel) or the map does not say. For a network whose API names
   * a thread's messages by the thread (a Discord thread is a channel of its
   * own), so that the connector keeps no thread map of its own.
   */
  readonly thread?: string;
  readonly sender: XmppSender;
  /**
   * A room moderator removed it: the connector deletes it whoever wrote it.
   * `sender` is then the moderator as the room names them (occupant JID
   * `room/nick`), or the room's bare JID when it does not.
   */
  readonly moderator: boolean;
  /** The moderator's reason (XEP-0425), for networks that keep one with the deletion. */
  readonly reason?: string;
  /**
   * Idempotency key (the engine's delivery key): the same request made again
   * (a retry, a resend after a crash) has the same key, another request never
   * does. A connector whose network accepts a transaction id or nonce derives
   * it from this; absent only when the engine has nothing stable to go by.
   */
  readonly key?: string;
}

export interface ReactRequest {
  readonly channel: string;
  readonly id: string;
  /**
   * The network's thread the message sits in, as the message map has it
   * (`RemoteMessage.thread` or `OutgoingMessage.thread` when it was
   * relayed or posted); absent when it sits in none (a thread's root sits
   * in the channel) or the map does not say. For a network whose API names
   * a thread's messages by the thread (a Discord thread is a channel of its
   * own), so that the connector keeps no thread map of its own.
   */
  readonly thread?: string;
  readonly sender: XmppSender;
  /** A Unicode emoji (XEP-0444 carries nothing else). */
  readonly emoji: string;
  readonly action: "add" | "remove";
  /**
   * Idempotency key (the engine's delivery key): the same request made again
   * (a retry, a resend after a crash) has the same key, another request never
   * does. A connector whose network accepts a transaction id or nonce derives
   * it from this; absent only when the engine has nothing stable to go by.
   */
  readonly key?: string;
}

export interface TypingRequest {
  readonly channel: string;
  readonly sender: XmppSender;
  readonly state: "composing" | "paused";
}

export interface DirectRequest {
  readonly userId: string;
  readonly sender: XmppSender;
  readonly text: RichText;
  readonly attachments: readonly OutgoingAttachment[];
  /**
   * Idempotency key, as for `OutgoingMessage`: the parts after the first of
   * a direct message the engine split (`directLimits`) have keys of their
   * own, `${key}#2`..., `${key}#f1`....
   */
  readonly key: string;
  /**
   * For a part after the first of a direct message the engine split (or a
   * part a correction added): the DM channel and remote id of its first part.
   */
  readonly partOf?: { readonly channel: string; readonly id: string };
}

/** Who a direct message is for and from, as `directLimits` is asked about it. */
export interface DirectTarget {
  readonly userId: string;
  readonly sender: XmppSender;
}

export interface ReadRequest {
  readonly channel: string;
  /** The last remote message the XMPP user displayed. */
  readonly id: string;
  readonly sender: XmppSender;
}

/**
 * What the network can do. A capability a method stands for is on when the
 * connector has the method: leave it out, or set it false to keep the engine
 * from calling the method it has. The others are declared.
 */
export interface ConnectorCapabilities {
  /** `edit`. */
  readonly edits?: boolean;
  /** `delete`. */
  readonly deletes?: boolean;
  readonly replies: boolean;
  /** `react`. */
  readonly reactions?: boolean;
  readonly attachments: boolean;
  readonly threads: boolean;
  /**
   * With `threads`: answering is threading on this network (Slack), so an
   * XMPP reply goes in a thread, the one the answered message sits in or
   * else one started on it (`OutgoingMessage.thread` is then that message).
   */
  readonly repliesInThreads?: boolean;
  /** `typing`. */
  readonly typing?: boolean;
  /** `sendDirect`. */
  readonly directMessages?: boolean;
  readonly presence: boolean;
  /** XMPP occupants' joins, presence and departures reach the network (`occupant`). */
  readonly occupants?: boolean;
  /** Read markers both ways (`read`, XEP-0333). */
  readonly receipts?: boolean;
}

/**
 * What one post may carry in a channel, so the engine can send a message
 * that is too big for one post as several: it cuts the text at paragraph
 * breaks, else line breaks, else spaces (a code block cut in two becomes
 * two code blocks, each with its fences), and gives the files out over
 * the posts. Each part is a `send` of its own with a key of its own
 * (`${key}#2`, `${key}#3`...), and every part is in the message map:
 * corrections edit each part (posting parts a longer text needs, deleting
 * those a shorter one does not), retractions delete each part, reactions
 * go to the first part, and a remote reply to any part answers the one
 * XMPP message. A connector with limits never splits on its own.
 */
export interface ChannelLimits {
  /**
   * The longest text one post may carry, as `textLength` counts it. Leave
   * it out when the network takes any length the engine relays.
   */
  readonly maxTextLength?: number;
  /**
   * How long `text` is the way the network counts it: the length of the
   * connector's own markup of it (Discord counts 2,000 characters of the
   * markdown it is sent, not of what it shows), bytes of the event, or
   * whatever the limit is about. Include what the connector adds to every
   * post; for what it adds to the first part of some, see `firstPartRoom`.
   * Called many times while a message is cut, so
   * it must be quick and must not throw. Without it the engine counts the
   * code points of the plain text (`toPlainText`).
   */
  textLength?(text: RichText): number;
  /**
   * How much of `maxTextLength` the first part of a message leaves free, for
   * what the connector puts before it on some posts (Discord's quote of the
   * message a reply answers, which a webhook cannot otherwise show). The
   * parts after it take the whole length.
   */
  readonly firstPartRoom?: number;
  /** Files one post may carry (at least 1); the rest go in posts of their own, that many each. */
  readonly maxAttachments?: number;
  /**
   * False when a post cannot carry text and files together (a Matrix event
   * is a text or a file): the text's parts go first, then the files, each
   * post with `maxAttachments` of them and no text. Otherwise (the default)
   * the first post carries the files with the first part of the text.
   */
  readonly textWithAttachments?: boolean;
}

/** An XMPP occupant of a linked room, as `occupant` reports them. */
export interface XmppOccupantEvent {
  readonly channel: string;
  readonly sender: XmppSender;
  /** `update` is a presence change of an occupant already there. */
  readonly kind: "join" | "update" | "leave";
  readonly presence?: RemotePresence;
  /** For a leave: the room kicked or banned them. */
  readonly removed?: "kick" | "ban";
  readonly reason?: string;
}

export interface Connector {
  /** Short id used in config, the store and metrics (`discord`, `slack`, `matrix`). */
  readonly network: string;
  /** Human name (`Discord`), shown in disco and in notices. */
  readonly displayName: string;
  readonly capabilities: ConnectorCapabilities;
  /**
   * Connects to the network and starts feeding `host`. Resolves once the
   * connector can take requests; a bad token rejects with an error naming the
   * setting to fix. Must not block on catching up: do that after resolving.
   */
  start(host: ConnectorHost): Promise<void>;
  /**
   * Disconnects; no host calls after it resolves. The engine calls it at
   * shutdown after flushing what it had queued for the network, so `send` and
   * the other requests may come until then (and, for what was handed over
   * during the stop, not after it: those wait for the next start).
   */
  stop(): Promise<void>;
  /**
   * What one post may carry in `channel` (see `ChannelLimits`); the engine
   * splits what is bigger. Asked for every message, so it must be quick.
   * Without it, every message goes in one `send`, however long.
   */
  limits?(channel: string): ChannelLimits;
  /**
   * Posts as `sender`; resolves with the remote id. Throws TransientError/PermanentError (delivery) on failure.
   * With `limits`, one `send` is one post: the engine hands over each part of a long message on its own.
   */
  send(m: OutgoingMessage): Promise<{ readonly id: string }>;
  /**
   * Looks on the network for the post of `request.message` (known by its
   * `key`) that an earlier attempt made although its answer never came back:
   * the bridge was killed mid-request, the connection dropped, the network
   * answered 5xx after doing the work. Without it a post in flight at a crash
   * shows twice.
   *
   * The engine asks only before it sends a message again that an earlier
   * attempt may have posted (a retry, or the same XMPP message read again
   * from the room's archive after a restart), never before a first attempt.
   * Resolve with the remote id of the post found (the engine then maps it and
   * does not post), or undefined when the network does not have it (the
   * engine posts). Each part of a message the engine split is asked about
   * on its own, by its own key. Throw `TransientError`
   * when the network cannot be read now (asked again later); after any other
   * failure the engine posts (a duplicate is possible, a loss is not).
   * Optional: a network that takes an idempotency key with the post (Matrix
   * transaction ids) needs none.
   */
  findPosted?(request: FindPostedRequest): Promise<{ readonly id: string } | undefined>;
  /**
   * Reads a channel's history (see `history.ts`): the messages after a
   * cursor, oldest first, a page at a time; the last messages up to a
   * cursor (the recent window, for edits, deletions and reactions made
   * while the bridge was away); or where the channel stands now. The engine
   * keeps the cursors, bounds the catch-up by age and count, tells the
   * admins what it left out, hands the messages over and never relays one
   * twice. Needs `historyOptions`. Throw `TransientError` for a page the
   * network refuses for now (a rate limit, with its `retryAfterMs`): the
   * engine asks for the same page again after that wait, so a page that takes
   * several calls should resume where the refused call left it. Throw
   * anything else for a page that cannot be read: the engine logs it, goes on
   * with the other channels and tries again at the next catch-up.
   * (capability: catching up, asked for with `host.catchUp`)
   */
  history?(request: HistoryRequest): Promise<HistoryPage>;
  /** How `history`'s ids order and date, and how threads are read; required with `history`. */
  readonly historyOptions?: HistoryOptions;
  /**
   * With `historyOptions.threadsAsChannels`: the threads of each of
   * `channels` (linked channels) that may have messages to catch up on,
   * oldest first. A failure to list them is the connector's to log (answer
   * none for those channels).
   */
  historyThreads?(channels: readonly string[]): Promise<ReadonlyMap<string, readonly HistoryThread[]>>;
  /** Replaces the text of a message the bridge posted. (capability: edits) */
  edit?(o: EditRequest): Promise<void>;
  /** Deletes a message the bridge posted, or any message when `moderator`. (capability: deletes) */
  delete?(o: DeleteRequest): Promise<void>;
  /** Adds or removes one reaction on behalf of `sender`. (capability: reactions) */
  react?(o: ReactRequest): Promise<void>;
  /** Shows `sender` typing in `channel`. (capability: typing) */
  typing?(o: TypingRequest): Promise<void>;
  /**
   * Sends a direct message to remote user `userId` from XMPP user `sender`;
   * resolves with the DM channel and message id. (capability: directMessages)
   */
  sendDirect?(o: DirectRequest): Promise<{ readonly channel: string; readonly id: string }>;
  /**
   * What one direct message from `sender` to `userId` may carry (see
   * `ChannelLimits`; asked before the DM channel may exist, for every DM):
   * the engine splits a bigger DM into parts, one `sendDirect` each, and maps
   * every part as it does a channel post's, so corrections edit each part
   * (sending the parts a longer text needs, deleting those a shorter one does
   * not), retractions delete each and reactions go to the first. A connector
   * with it never splits a direct message on its own; without it, each DM
   * goes in one `sendDirect`, however long.
   */
  directLimits?(o: DirectTarget): ChannelLimits;
  /**
   * A remote user wrote to the bridge directly, and no XMPP user is to get it
   * (none wrote to them through the bridge): the engine did not relay it, and
   * the connector may tell its author so (kindly, and not on every message).
   * Failures are logged. Optional.
   */
  unroutedDirect?(o: { readonly channel: string; readonly author: RemoteUser }): Promise<void>;
  /**
   * `findPosted` for direct messages: the message an earlier `sendDirect` of
   * the same `key` sent although its answer never came back, with its DM
   * channel, or undefined when the network does not have it. Asked before a
   * direct message is sent again (a retry, or the same XMPP message come
   * again after a restart) whose first attempt is on record; the same rules
   * as `findPosted` (complete missing parts, TransientError, else the engine
   * sends). Optional, as `findPosted` is.
   */
  findDirectPosted?(request: FindDirectRequest): Promise<{ readonly channel: string; readonly id: string } | undefined>;
  /** An XMPP occupant joined, changed presence or left a linked room. (capability: occupants) */
  occupant?(o: XmppOccupantEvent): Promise<void>;
  /** An XMPP user displayed (read) the room up to the remote message `id` (XEP-0333). (capability: receipts) */
  read?(o: ReadRequest): Promise<void>;
  /**
   * A channel was linked with a room at runtime (an admin command, or the
   * connector's own `host.link`): the connector brings what the link should
   * show, e.g. the channel's members as puppets in the room. Failures are
   * logged; the link stands.
   */
  linked?(link: { readonly channel: string; readonly room: string }): Promise<void>;
  /** Whether a channel exists and the bridge can post there; used when an admin links a channel. */
  channelExists?(channel: string): Promise<boolean>;
  /** Looks up a user the engine has not seen yet (e.g. an XMPP user writes to their puppet JID). */
  lookupUser?(id: string): Promise<RemoteUser | undefined>;
  /**
   * Entries in the connector's in-memory caches (its own and its network
   * library's), by a short stable name such as `discord.members`; asked on
   * every scrape of /metrics (`parley_cache_entries{cache}`), so it must be
   * cheap and must not throw.
   */
  cacheSizes?(): Readonly<Record<string, number>>;
}
