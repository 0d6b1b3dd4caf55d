/**
 * An XMPP message posted to a remote channel once, across retries and
 * restarts. A post is delivered when the network answers with its id: then
 * the message map records it, and the delivery ledger marks its key. But
 * the answer can be lost after the network made the post (the bridge was
 * killed mid-request, the connection dropped, a 5xx came after the work),
 * and the ledger's mark can be lost after the map recorded it (a crash
 * between the two writes). Sending again would show the message twice, so
 * before a post goes where an earlier attempt may have gone (a retry, or the
 * same message read again from the room's archive after a restart or a
 * dropped link), what is known is looked at first:
 *
 * - the message map: a mapping of this message in this channel means it was
 *   posted, whatever the ledger says;
 * - the network, through the connector's optional `findPosted`, asked only
 *   when an earlier attempt is on record. The first attempt of each key
 *   writes when it started (a state key, kept for as long as a catch-up
 *   could read the message again), before the connector is called; that is
 *   one store write per post, paid only by connectors that can look.
 *
 * A message read live is new: its first attempt looks nothing up (the map,
 * the record and the network are not asked). What is found is mapped like a
 * post, so later edits, deletions and reactions reach it.
 *
 * Direct messages (`direct`) go the same way through `sendDirect` and the
 * connector's `findDirectPosted`, except that a DM is never read from an
 * archive: one that comes again after a restart (its sender's client sends
 * it again with the same id) looks like a new one. So every DM looks in the
 * message map and reads the record of an earlier attempt (two store reads
 * per DM, which are few), and asks the network only when one is on record.
 */
import { addBounded } from "../connector/bounded-map.ts";
import type { Connector, DirectRequest, OutgoingMessage } from "../connector/connector.ts";
import { describeFailure, isTransientFailure, TransientError } from "../delivery/delivery-errors.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { BridgeStore } from "../store/store-types.ts";
import { DM_CHANNEL_PREFIX } from "./direct-chats.ts";

/** Where the start of each post's first attempt is kept (store state). */
const SCOPE = "engine";
const keyOf = (deliveryKey: string) => `post-attempt ${deliveryKey}`;

/**
 * How long a post's first attempt stays on record (the engine's, and what a
 * connector keeps to find the post again, `ConnectorHost.postRecordMs`): as
 * long as a catch-up may read the message again (`xmpp.catchUp.maxAgeHours`),
 * its retries included, and an hour more.
 */
export function postRecordMsOf(catchUpMaxAgeHours: number, retrySeconds: number): number {
  return Math.ceil(catchUpMaxAgeHours * 3_600_000 + retrySeconds * 1000) + 3_600_000;
}

export interface RemotePostsOptions {
  readonly network: string;
  readonly connector: Connector;
  readonly store: Pick<BridgeStore, "byXmppId" | "partsByXmppId" | "recordMessage" | "getState" | "setState">;
  readonly logger: Logger;
  /** How long the record of a first attempt is kept: at least as long as a catch-up may read the message again. */
  readonly keepMs: number;
  readonly now?: () => number;
}

/** One XMPP message for one channel, with what the message map keeps of it. */
export interface RemotePost {
  /** What the connector is handed; its `key` is the delivery key. */
  readonly message: OutgoingMessage;
  /** The room it was said in (bare JID). */
  readonly room: string;
  /** The id the message is known by in the room: its stanza-id, else its origin-id or id. */
  readonly xmppId: string;
  readonly stanzaId?: string;
  readonly originId?: string;
  /** Who wrote it, as the message map keeps it. */
  readonly author: string;
  /** When it was said (ms since the epoch). */
  readonly createdAt: number;
  /** The delivery queue's attempt (1: the first in this run). */
  readonly attempt: number;
  /** Read again from the room's archive: an earlier run (or link) may have posted it. */
  readonly replay: boolean;
  /** Which post of the message this is, when the engine split it (see `MessageRecord.part`); 0 by default. */
  readonly part?: number;
  /**
   * The XEP-0201 thread the message has in the room, kept with its posts
   * (the network's thread is `message.thread`; without one, the first post
   * is the root of the thread).
   */
  readonly xmppThread?: string;
}

/** One XMPP user's direct message to a remote user. */
export interface RemoteDirect {
  /** What the connector's `sendDirect` is handed; its `key` is the delivery key. */
  readonly request: DirectRequest;
  /** The conversation as the message map keeps it: the XMPP user (or room occupant) JID. */
  readonly user: string;
  /** The message's own id (origin-id, else id), as the message map keeps it. */
  readonly xmppId: string;
  /** Which post of the message this is, when the engine split it (see `MessageRecord.part`); 0 by default. */
  readonly part?: number;
}

/** How a post came to have its remote id. */
export type PostOutcome =
  /** Posted now. */
  | "posted"
  /** The message map had it: posted before, only the ledger's mark was missing. */
  | "mapped"
  /** The network had it (`findPosted`): posted before, its answer lost. */
  | "found";

/** How many keys whose last attempt the network refused outright are remembered (oldest forgotten first). */
const REFUSED_KEPT = 10_000;

export class RemotePosts {
  private readonly o: RemotePostsOptions;
  private readonly now: () => number;
  /**
   * Keys whose last attempt in this run the network refused having done
   * anything (`TransientError.nothingDone`, a 429), after the earlier ones
   * were looked for: the next attempt need not look again. A busy channel's
   * rate limit would otherwise cost a history read per retry, and those
   * reads have limits of their own. In memory only: a replay after a
   * restart looks as before. At most REFUSED_KEPT.
   */
  private readonly refused = new Set<string>();

  constructor(o: RemotePostsOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  /** Posts `p` unless an earlier attempt did; resolves with the remote id, once mapped. */
  async post(p: RemotePost): Promise<{ readonly id: string; readonly outcome: PostOutcome }> {
    const m = p.message;
    const again = p.attempt > 1 || p.replay;
    const part = p.part ?? 0;
    if (again) {
      const known =
        part === 0
          ? await this.o.store.byXmppId(this.o.network, p.room, p.xmppId, m.channel)
          : (await this.o.store.partsByXmppId(this.o.network, p.room, p.xmppId, m.channel)).find(
              (r) => (r.part ?? 0) === part,
            );
      if (
        known !== undefined &&
        known.direction === "to-remote" &&
        known.channel === m.channel &&
        (known.part ?? 0) === part
      ) {
        this.o.logger.debug("posted before (the message map has it); not posting it again", {
          room: p.room,
          channel: m.channel,
        });
        return { id: known.remoteId, outcome: "mapped" };
      }
    }
    const connector = this.o.connector;
    const find = connector.findPosted?.bind(connector);
    const found = (
      await this.lookUp(
        m.key,
        again && !this.wasRefused(m.key),
        find && ((since) => find({ message: m, since })),
        m.channel,
      )
    )?.id;
    const id = found ?? (await this.refusable(m.key, () => connector.send(m))).id;
    await this.o.store.recordMessage({
      network: this.o.network,
      channel: m.channel,
      remoteId: id,
      room: p.room,
      ...(p.stanzaId !== undefined && { stanzaId: p.stanzaId }),
      ...(p.originId !== undefined && { originId: p.originId }),
      sender: p.author,
      direction: "to-remote",
      createdAt: p.createdAt,
      ...(part !== 0 && { part }),
      ...(m.thread !== undefined && { thread: m.thread }),
      ...(p.xmppThread !== undefined && { xmppThread: p.xmppThread }),
    });
    return { id, outcome: found !== undefined ? "found" : "posted" };
  }

  /**
   * Sends `p` unless an earlier attempt did; resolves with the DM channel
   * and remote id. The caller maps what it gets (`outcome` "posted" or
   * "found"); "mapped" means the message map has it already.
   */
  async direct(
    p: RemoteDirect,
  ): Promise<{ readonly channel: string; readonly id: string; readonly outcome: PostOutcome }> {
    const r = p.request;
    const connector = this.o.connector;
    if (!connector.sendDirect) throw new Error("the connector sends no direct messages");
    const sendDirect = connector.sendDirect.bind(connector);
    const part = p.part ?? 0;
    const first = await this.o.store.byXmppId(this.o.network, p.user, p.xmppId);
    const known =
      part === 0 || first === undefined
        ? first
        : (await this.o.store.partsByXmppId(this.o.network, p.user, p.xmppId, first.channel)).find(
            (r) => (r.part ?? 0) === part,
          );
    if (
      known !== undefined &&
      known.direction === "to-remote" &&
      known.channel.startsWith(DM_CHANNEL_PREFIX) &&
      (known.part ?? 0) === part
    ) {
      this.o.logger.debug("sent before (the message map has it); not sending it again", { user: p.user });
      return { channel: known.channel.slice(DM_CHANNEL_PREFIX.length), id: known.remoteId, outcome: "mapped" };
    }
    const find = connector.findDirectPosted?.bind(connector);
    const found = await this.lookUp(
      r.key,
      !this.wasRefused(r.key),
      find && ((since) => find({ direct: r, since })),
      `the direct message to ${r.userId}`,
    );
    if (found !== undefined) return { ...found, outcome: "found" };
    const sent = await this.refusable(r.key, () => sendDirect(r));
    return { channel: sent.channel, id: sent.id, outcome: "posted" };
  }

  /** Runs a send; a refusal that says nothing was done is remembered for the key's next attempt. */
  private async refusable<T>(key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      if (e instanceof TransientError && e.nothingDone) {
        addBounded(this.refused, key, REFUSED_KEPT);
      }
      throw e;
    }
  }

  /** Whether the key's last attempt was refused outright (and forgets it: the attempt now under way is a new one). */
  private wasRefused(key: string): boolean {
    return this.refused.delete(key);
  }

  /**
   * What an earlier attempt's post was, when the connector can look (`find`)
   * and an earlier attempt is on record; otherwise the record of this first
   * attempt is written (before anything reaches the network) and undefined
   * returned.
   */
  private async lookUp<T extends { readonly id: string }>(
    key: string,
    again: boolean,
    find: ((since: number) => Promise<T | undefined>) | undefined,
    where: string,
  ): Promise<T | undefined> {
    if (find === undefined) return undefined;
    const since = again ? await this.earlierAttempt(key) : undefined;
    if (since === undefined) {
      await this.o.store.setState(SCOPE, keyOf(key), String(this.now()), { ttlMs: this.o.keepMs }).catch((e) => {
        throw new TransientError("the start of a post could not be recorded", { cause: e });
      });
      return undefined;
    }
    try {
      const found = await find(since);
      if (found === undefined) return undefined;
      this.o.logger.info("a post whose answer was lost is on the network already; not posting it again", {
        channel: where,
        id: found.id,
      });
      return found;
    } catch (e) {
      if (isTransientFailure(e)) throw e;
      // Not knowing, posting risks a duplicate; not posting would risk a loss.
      this.o.logger.warn("could not look for an earlier post of a message; posting it (it may show twice)", {
        channel: where,
        error: describeFailure(e),
      });
      return undefined;
    }
  }

  /** When the first attempt of `key` started, when it is on record. */
  private async earlierAttempt(key: string): Promise<number | undefined> {
    let saved: string | undefined;
    try {
      saved = await this.o.store.getState(SCOPE, keyOf(key));
    } catch (e) {
      throw new TransientError("the record of a post's first attempt could not be read", { cause: e });
    }
    const at = saved === undefined ? Number.NaN : Number(saved);
    return Number.isSafeInteger(at) && at > 0 ? at : undefined;
  }
}
