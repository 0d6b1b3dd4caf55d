/**
 * What the connector must remember about single messages, beyond the
 * engine's message map, to edit, delete and react on them later, also after
 * a restart: how it posted a message (through which webhook, with which
 * reply quote, or as a bot DM). Kept in the connector state, with a bounded
 * cache in front.
 *
 * Which thread a Discord user's message sits in is the engine's to say (the
 * message map keeps it and names it on the requests about the message); the
 * `thread:<id>` keys earlier versions wrote for it, and the `parts:<id>` of a
 * message they split, are still read for the messages they mapped, which the
 * message map has no thread for.
 */

import { type ConnectorState, isRecord, setBounded } from "@parley/bridge";

export interface SentRecord {
  /** The webhook that posted it; absent for a bot message (a DM). */
  readonly webhookId?: string;
  /** The thread it was posted in (none when the thread's root was gone and it went in the channel). */
  readonly thread?: string;
  /** Ids of the parts after the first, for a message an earlier version split at 2,000 characters; `[]` clears them. */
  readonly parts?: readonly string[];
  /** The reply quote the first part starts with, put back on edits. */
  readonly quote?: string;
  /** A bot DM (with its "**nick** (jid): " prefix). */
  readonly dm?: boolean;
  /** The engine's delivery key of the post: a look for a lost post tells it from another post of the same text. */
  readonly key?: string;
  /** The DM prefix, put back on edits. */
  readonly prefix?: string;
}

const CACHE_SIZE = 10_000;
/** These keys serve one message each: they go when the message map forgets the message. */
const PER_MESSAGE = { expiresWithMessage: true } as const;

export class MessageBook {
  private readonly state: ConnectorState;
  /** Recent messages' records, in front of the store: at most CACHE_SIZE, the oldest dropped. */
  private readonly sentCache = new Map<string, SentRecord | null>();
  /** Threads earlier versions remembered, in front of the store: at most CACHE_SIZE, the oldest dropped. */
  private readonly threadCache = new Map<string, string | null>();

  constructor(state: ConnectorState) {
    this.state = state;
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.sentCache.size + this.threadCache.size;
  }

  async rememberSent(id: string, r: SentRecord): Promise<void> {
    remember(this.sentCache, id, r);
    const { parts, ...rest } = r;
    await this.state.set(`posted:${id}`, JSON.stringify(rest), PER_MESSAGE);
    // Without `parts` (a new post: the engine sends each part on its own) there is no old list to clear.
    if (parts === undefined) return;
    if (parts.length > 0) await this.state.set(`parts:${id}`, JSON.stringify(parts), PER_MESSAGE);
    else await this.clearParts(id);
  }

  private async clearParts(id: string): Promise<void> {
    if ((await this.state.get(`parts:${id}`)) !== undefined) await this.state.set(`parts:${id}`, "[]", PER_MESSAGE);
  }

  /** How the bridge posted message `id`; undefined when it did not (or does not remember). */
  async sent(id: string): Promise<SentRecord | undefined> {
    const cached = this.sentCache.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const raw = await this.state.get(`posted:${id}`);
    const partsRaw = await this.state.get(`parts:${id}`);
    const record = raw !== undefined ? parseSent(raw, partsRaw) : undefined;
    remember(this.sentCache, id, record ?? null);
    return record;
  }

  /**
   * The thread message `id` sits in: for the bridge's own posts, the one it
   * posted in; else the one the engine names (`named`, from its message
   * map); else, for a message an earlier version mapped, the one that version
   * remembered. Undefined: in the channel.
   */
  async threadOf(id: string, named: string | undefined): Promise<string | undefined> {
    const sent = await this.sent(id);
    if (sent !== undefined) return sent.thread;
    if (named !== undefined) return named;
    const cached = this.threadCache.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const thread = await this.state.get(`thread:${id}`);
    remember(this.threadCache, id, thread ?? null);
    return thread;
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  setBounded(cache, key, value, CACHE_SIZE);
}

function parseSent(raw: string, partsRaw: string | undefined): SentRecord | undefined {
  let v: unknown;
  let parts: unknown;
  try {
    v = JSON.parse(raw);
    parts = partsRaw !== undefined ? JSON.parse(partsRaw) : undefined;
  } catch {
    return undefined; // a record that is not JSON counts as none
  }
  if (!isRecord(v)) return undefined;
  const ids = Array.isArray(parts) ? parts.filter((p): p is string => typeof p === "string") : [];
  return {
    ...(typeof v.webhookId === "string" && { webhookId: v.webhookId }),
    ...(typeof v.thread === "string" && { thread: v.thread }),
    ...(typeof v.quote === "string" && { quote: v.quote }),
    ...(typeof v.prefix === "string" && { prefix: v.prefix }),
    ...(v.dm === true && { dm: true }),
    ...(typeof v.key === "string" && { key: v.key }),
    ...(ids.length > 0 && { parts: ids }),
  };
}
