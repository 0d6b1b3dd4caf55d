/**
 * Threads, for every network the same way: an XEP-0201 thread of a room and
 * a thread of a linked channel are one conversation, known on each side by
 * its own id. The message map holds both of each message (`MessageRecord`
 * `thread` and `xmppThread`), so the map needs no table of its own, lives
 * and expires with the messages, and survives a restart.
 *
 * - XMPP -> network (`toRemote`): a thread with a message mapped in the
 *   channel continues where that message is (the network's thread, or the
 *   thread of the root an XMPP user's first message became). A new thread
 *   starts with its first message posted outside any thread (as a reply,
 *   when it is one), which becomes the root; on a network where answering is
 *   threading, a first message that answers another starts the thread on it. A reply without a known thread to a message
 *   that sits in a thread goes in that thread; on a network where answering
 *   is threading (`ConnectorCapabilities.repliesInThreads`), any reply does,
 *   started on the message it answers.
 * - Network -> XMPP (`toXmpp`): a thread that is an XMPP thread's continuation
 *   is relayed under the XMPP thread's id; any other under the network's
 *   own id (what rooms saw before this map existed).
 *
 * A connector sees only its own network's roots (`OutgoingMessage.thread`).
 */
import { setBounded } from "../connector/bounded-map.ts";
import type { BridgeStore, MessageRecord } from "../store/index.ts";

/** Threads whose XMPP id `toXmpp` remembers. */
const REMEMBERED_THREADS = 10_000;

/** Where an XMPP message goes on the network, thread-wise, and what the message map keeps of it. */
export interface RemoteThreadPlace {
  /** The network's thread to post in (`OutgoingMessage.thread`); absent: posted outside any. */
  readonly thread?: string;
  /**
   * The XMPP thread id to record with the posts. With no `thread`, the
   * message starts the thread: its first post becomes the root.
   */
  readonly xmppThread?: string;
}

export class ThreadMap {
  private readonly network: string;
  private readonly store: Pick<BridgeStore, "remoteThreadOf" | "xmppThreadOf" | "byRemoteId">;

  /** What `toXmpp` answered lately, by room, channel and thread (at most REMEMBERED_THREADS, the oldest dropped). */
  private readonly relayedUnder = new Map<string, string>();
  /** `ConnectorCapabilities.repliesInThreads`. */
  private readonly repliesInThreads: boolean;

  constructor(
    network: string,
    store: Pick<BridgeStore, "remoteThreadOf" | "xmppThreadOf" | "byRemoteId">,
    options: { readonly repliesInThreads?: boolean } = {},
  ) {
    this.network = network;
    this.store = store;
    this.repliesInThreads = options.repliesInThreads === true;
  }

  /**
   * Where a message of XMPP thread `xmppThread` (if any) of `room`, maybe
   * replying to `replied` (its record in `channel`), goes in `channel`.
   * Asked from inside the channel's delivery lane: what the room said before
   * it in that channel is mapped by then.
   */
  async toRemote(
    room: string,
    channel: string,
    xmppThread: string | undefined,
    replied: MessageRecord | undefined,
  ): Promise<RemoteThreadPlace> {
    // A message that sits in a thread on the network: that thread is where its answers go.
    const repliedThread = replied !== undefined && replied.thread !== replied.remoteId ? replied.thread : undefined;
    if (xmppThread === undefined) {
      if (repliedThread !== undefined) return { thread: repliedThread };
      // Where answering is threading (Slack), a reply starts a thread on the message it answers.
      return replied !== undefined && this.repliesInThreads ? { thread: replied.remoteId } : {};
    }
    const known =
      (await this.store.remoteThreadOf(this.network, room, channel, xmppThread)) ??
      (await this.legacyThread(room, channel, xmppThread));
    if (known !== undefined) return { thread: known, xmppThread };
    if (repliedThread !== undefined) return { thread: repliedThread, xmppThread };
    // A new thread whose first message answers another: where answering is threading (Slack), a thread on the
    // answered message. Elsewhere the answer stays a reply, and becomes the root of the thread's later messages:
    // a network that gives every message a thread of its own id (Matrix) sends each plain reply with a new one.
    if (replied !== undefined && this.repliesInThreads) return { thread: replied.remoteId, xmppThread };
    return { xmppThread };
  }

  /**
   * A thread id that rooms got before the message map kept threads: the
   * network's own id of a message mapped in the channel (the root of a
   * thread that came from the network).
   */
  private async legacyThread(room: string, channel: string, id: string): Promise<string | undefined> {
    const records = await this.store.byRemoteId(this.network, id);
    return records.some((r) => r.channel === channel && r.room === room) ? id : undefined;
  }

  /**
   * The XMPP thread id under which the network's thread `thread` of
   * `channel` is relayed to `room`. The answer never changes once given
   * (the earliest message decides, and the one relayed now is recorded
   * under it), so it is remembered: a burst of a thread's messages does not
   * wait for each one's write before the next is looked up.
   */
  async toXmpp(room: string, channel: string, thread: string): Promise<string> {
    const key = `${room} ${channel} ${thread}`;
    const known = this.relayedUnder.get(key);
    if (known !== undefined) return known;
    const id = (await this.store.xmppThreadOf(this.network, room, channel, thread)) ?? thread;
    setBounded(this.relayedUnder, key, id, REMEMBERED_THREADS);
    return id;
  }
}
