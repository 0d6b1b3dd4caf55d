/**
 * Catching up on what was said on the network while the bridge was away
 * (remote -> XMPP), for every connector that reads history
 * (`Connector.history`). Per linked channel, and per thread where threads
 * are channels of their own (`HistoryOptions.threadsAsChannels`), the
 * connector's state keeps the id of the last message handed over
 * (`cursor:<channel or thread>`). A catch-up (`host.catchUp`, which the
 * connector asks for after a fresh session) reads the messages after each
 * cursor, oldest first, page by page, back as far as the age bound reaches
 * (the count is only a safety bound), and hands them over through the
 * host's methods like live ones, with their original times. A range older
 * than the age bound is not read, and the log and the admins are told which
 * one. A channel without a cursor starts from where it stands now: linking
 * a channel does not pour its past into the room.
 *
 * Cursors move as messages are handed over (live ones too, which the host
 * tells this module), in memory; they are written behind, at most about
 * once a second, and only once the engine has on record what it was handed
 * up to them (`settled`): a crash loses nothing, and what a lagging cursor
 * reads again the engine drops (by its delivery keys).
 *
 * Edits, deletions and reactions made meanwhile to a channel's recent
 * messages are caught up too: the last `WINDOW` messages relayed per channel
 * are kept with the edit time and reactions they were relayed with
 * (`RecentRelayed`, `recent:<channel>`), and the last `WINDOW` messages up
 * to the cursor, as the network lists them, tell what is gone, what was
 * edited since, and which reactions came or went; each is handed over once.
 */
import type {
  Connector,
  ConnectorHost,
  ConnectorState,
  RemoteEdit,
  RemoteMessage,
  RemoteUser,
} from "../connector/connector.ts";
import type {
  HistoryMessage,
  HistoryOptions,
  HistoryPage,
  HistoryRequest,
  HistoryThread,
} from "../connector/history.ts";
import { type ListedMessage, RecentRelayed, windowChanges } from "../connector/recent-relayed.ts";
import type { Logger } from "../ops/logger-types.ts";

/** How many of a channel's messages up to its cursor are looked at for changes made while the bridge was away. */
export const WINDOW = 50;
/** How often (in pages) a long catch-up logs its progress. */
const PROGRESS_EVERY_PAGES = 20;
const FLUSH_EVERY_MS = 1000;

export interface RemoteCatchUpOptions {
  /** The network's human name (`Discord`), for the admins' notices. */
  readonly displayName: string;
  readonly history: (request: HistoryRequest) => Promise<HistoryPage>;
  /** The threads of linked channels, with `threadsAsChannels`. */
  readonly threads?: (channels: readonly string[]) => Promise<ReadonlyMap<string, readonly HistoryThread[]>>;
  readonly ids: HistoryOptions;
  readonly state: ConnectorState;
  readonly logger: Logger;
  /** Where what is found goes: the host's own methods, so it takes the path live events take. */
  readonly hand: Pick<ConnectorHost, "message" | "edit" | "delete" | "reaction">;
  /** Resolves once what was handed over so far is on record (before cursors move past it). */
  readonly settled?: () => Promise<void>;
  /** Tells the bridge's admins what could not be caught up. */
  readonly notice?: (text: string) => Promise<void>;
  /** A user by id, for a reaction removed by someone the listing no longer names. */
  readonly lookupUser?: (id: string) => Promise<RemoteUser | undefined>;
  /** A safety bound: most messages handed over per channel (and per thread) and catch-up; 0 turns catch-up off. */
  readonly limit: number;
  /** How far back a catch-up reaches. */
  readonly maxAgeMs: number;
  readonly now?: () => number;
  /** How long cursors wait before they are written (default a second). */
  readonly flushEveryMs?: number;
  /** Told of each message handed over by a catch-up (for the metrics). */
  readonly onHanded?: () => void;
}

/**
 * The catch-up of a connector that reads history (`history` and
 * `historyOptions`), or undefined for one that does not.
 */
export function remoteCatchUpFor(
  connector: Connector,
  o: Omit<RemoteCatchUpOptions, "displayName" | "history" | "threads" | "ids" | "lookupUser">,
): RemoteCatchUp | undefined {
  const ids = connector.historyOptions;
  if (!connector.history || !ids) return undefined;
  const threads = connector.historyThreads;
  const lookupUser = connector.lookupUser;
  return new RemoteCatchUp({
    ...o,
    displayName: connector.displayName,
    history: (request) => connector.history?.(request) ?? Promise.resolve({ messages: [] }),
    ...(threads && { threads: (channels: readonly string[]) => threads.call(connector, channels) }),
    ...(lookupUser && { lookupUser: (id: string) => lookupUser.call(connector, id) }),
    ids,
  });
}

/** The bounds of a catch-up: a connector's own settings, else the engine's `xmpp.catchUp`. */
export function catchUpBoundsOf(
  section: Readonly<Record<string, unknown>> | undefined,
  xmpp: { readonly maxMessages: number; readonly maxAgeHours: number },
): { limit: number; maxAgeMs: number } {
  const limit = section?.catchUpLimit;
  const hours = section?.catchUpMaxAgeHours;
  return {
    limit: typeof limit === "number" && Number.isSafeInteger(limit) && limit >= 0 ? limit : xmpp.maxMessages,
    maxAgeMs: (typeof hours === "number" && hours > 0 ? hours : xmpp.maxAgeHours) * 3_600_000,
  };
}

export class RemoteCatchUp {
  private readonly o: RemoteCatchUpOptions;
  private readonly cursors = new Map<string, string>();
  /** Cursors moved in memory and not written yet. */
  private readonly dirty = new Map<string, string>();
  private readonly recent: RecentRelayed;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Catch-ups run one after the other. */
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(o: RemoteCatchUpOptions) {
    this.o = o;
    this.recent = new RecentRelayed({
      state: o.state,
      logger: o.logger,
      size: WINDOW,
      compare: o.ids.compare,
      isId: o.ids.isId,
      changed: () => this.schedule(),
    });
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Catches up on `channels` after the catch-ups asked for before; resolves once it is done. */
  catchUp(channels: readonly string[]): Promise<void> {
    const run = this.running.then(() => this.run(channels));
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Stops a catch-up under way and any asked for later (what is left is caught up at the next start). */
  close(): void {
    this.stopped = true;
  }

  // --- what the host tells of live events --------------------------------------------------------------

  /** The key of the cursor a message moves. */
  private cursorKey(m: Pick<RemoteMessage, "channel" | "thread">): string {
    return this.o.ids.threadsAsChannels === true && m.thread !== undefined ? m.thread : m.channel;
  }

  /** A message of a linked channel was handed over: its cursor moves to it, and it counts as relayed. */
  messageHanded(m: RemoteMessage): void {
    if (m.direct === true) return;
    this.advance(this.cursorKey(m), m.id);
    if (m.author.isBridge !== true && m.thread === undefined) void this.recent.relayed(m.channel, { id: m.id });
  }

  /**
   * Whether an edit is not older than the one relayed already: an edit the
   * network delivers late, after a catch-up relayed a newer one, would put
   * older text back.
   */
  async editIsCurrent(e: RemoteEdit): Promise<boolean> {
    if (e.timestamp === undefined) return true;
    const kept = await this.recent.find(e.channel, e.id);
    const relayed = kept?.edited !== undefined ? Number(kept.edited) : Number.NaN;
    return !(Number.isFinite(relayed) && e.timestamp < relayed);
  }

  edited(e: RemoteEdit): void {
    if (e.timestamp !== undefined && e.author.isBridge !== true)
      void this.recent.edited(e.channel, e.id, String(e.timestamp));
  }

  deleted(channel: string, id: string): void {
    void this.recent.deleted(channel, id);
  }

  reacted(channel: string, id: string, emoji: string, user: RemoteUser, action: "add" | "remove"): void {
    if (user.isBridge !== true) void this.recent.reacted(channel, id, emoji, user.id, action);
  }

  /** The cursor of a channel or thread, from memory or the state. */
  async cursorOf(key: string): Promise<string | undefined> {
    const known = this.cursors.get(key);
    if (known !== undefined) return known;
    const saved = await this.o.state.get(`cursor:${key}`);
    if (saved !== undefined && this.o.ids.isId(saved)) {
      if (!this.cursors.has(key)) this.cursors.set(key, saved);
      return this.cursors.get(key);
    }
    return undefined;
  }

  /** Moves a cursor forward (never back) in memory; written within a second. */
  advance(key: string, id: string): void {
    if (!this.o.ids.isId(id)) return;
    const current = this.cursors.get(key);
    if (current !== undefined && this.o.ids.compare(current, id) >= 0) return;
    this.cursors.set(key, id);
    this.dirty.set(key, id);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.o.flushEveryMs ?? FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Writes the cursors moved, and the recent lists changed, since the last write, once `settled` says. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.dirty];
    this.dirty.clear();
    const settled = this.o.settled;
    this.flushing = this.flushing.then(async () => {
      if (settled) {
        await settled().catch((e: unknown) =>
          this.o.logger.warn("could not wait for the engine's writes before moving the catch-up cursors", {
            error: messageOf(e),
          }),
        );
      }
      await this.recent.flush();
      for (const [key, id] of batch) {
        await this.o.state.set(`cursor:${key}`, id).catch((e: unknown) =>
          this.o.logger.warn("a catch-up cursor could not be saved; the next catch-up starts earlier", {
            channel: key,
            error: messageOf(e),
          }),
        );
      }
    });
    return this.flushing;
  }

  // --- a catch-up ----------------------------------------------------------------------------------------

  /**
   * Catches up on each channel in turn, each followed by its threads; a
   * channel or thread that fails is logged and the others go on.
   */
  private async run(channels: readonly string[]): Promise<void> {
    const threads =
      this.o.ids.threadsAsChannels === true && this.o.threads && this.o.limit > 0
        ? await this.o.threads(channels).catch((e: unknown) => {
            this.o.logger.warn("could not list the threads to catch up on", { error: messageOf(e) });
            return new Map<string, readonly HistoryThread[]>();
          })
        : new Map<string, readonly HistoryThread[]>();
    for (const channel of channels) {
      if (this.stopped) break;
      let from: string | undefined;
      try {
        const start = await this.startOf(channel);
        from = start.from;
        if (!start.fresh && this.o.limit > 0) {
          await this.changesUpTo(channel, from);
          const handed = await this.handAfter(channel, await this.withinAge(channel, from), channel);
          if (handed > 0) this.o.logger.info("caught up on a channel", { channel, messages: handed });
        }
      } catch (e) {
        this.o.logger.warn("could not catch up on a channel", { channel, error: messageOf(e) });
      }
      // The channel's own messages failing (a permission, say) need not keep its threads back.
      if (from === undefined || this.o.limit <= 0) continue;
      for (const t of threads.get(channel) ?? []) {
        if (this.stopped) break;
        try {
          await this.thread(channel, t, from);
        } catch (e) {
          this.o.logger.warn("could not catch up on a thread", { channel, thread: t.id, error: messageOf(e) });
        }
      }
    }
    await this.flush();
  }

  /** Where a channel's catch-up starts: its cursor, or where it stands now (`fresh`, written at once). */
  private async startOf(channel: string): Promise<{ from: string; fresh: boolean }> {
    const cursor = await this.cursorOf(channel);
    if (cursor !== undefined) return { from: cursor, fresh: false };
    const answer = await this.o.history({ channel, limit: 0 });
    const now =
      answer.cursor !== undefined && this.o.ids.isId(answer.cursor) ? answer.cursor : this.o.ids.idAt(this.now());
    // Raced by a live message handed meanwhile: that one is newer.
    const known = this.cursors.get(channel);
    if (known !== undefined) return { from: known, fresh: true };
    this.cursors.set(channel, now);
    await this.o.state.set(`cursor:${channel}`, now);
    return { from: now, fresh: true };
  }

  /**
   * Catches up on a thread from its own cursor; without one, from its start
   * when it was started after the channel's cursor, else from the channel's
   * cursor (anything in it after that may have been said while the bridge
   * was away; what was handed over already the engine drops).
   */
  private async thread(channel: string, t: HistoryThread, channelFrom: string): Promise<void> {
    const { compare } = this.o.ids;
    const cursor = await this.cursorOf(t.id);
    const after = cursor ?? (compare(t.after, channelFrom) >= 0 ? t.after : channelFrom);
    if (t.latest !== undefined && compare(t.latest, after) <= 0) return;
    const handed = await this.handAfter(t.id, await this.withinAge(channel, after, t.id), channel, t.id);
    if (handed > 0) this.o.logger.info("caught up on a thread", { channel, thread: t.id, messages: handed });
  }

  /**
   * Where a catch-up after `from` may start: `from`, or, when that is older
   * than the catch-up reaches, the oldest point it reaches (and the range
   * left out is told).
   */
  private async withinAge(channel: string, from: string, thread?: string): Promise<string> {
    const reach = this.now() - this.o.maxAgeMs;
    if (!Number.isFinite(reach)) return from;
    const oldest = this.o.ids.idAt(reach);
    if (this.o.ids.compare(from, oldest) >= 0) return from;
    const range = {
      from: new Date(this.o.ids.timeOf(from)).toISOString(),
      to: new Date(reach).toISOString(),
    };
    this.o.logger.warn("part of a channel's history is older than the catch-up reaches and is not relayed", {
      channel,
      ...(thread !== undefined && { thread }),
      ...range,
    });
    const where = thread !== undefined ? `thread ${thread} of channel ${channel}` : `channel ${channel}`;
    const setting = this.o.ids.settings?.maxAge ?? "xmpp.catchUp.maxAgeHours";
    await this.tell(
      `${this.o.displayName} messages in ${where} from ${range.from} to ${range.to} were not relayed: they are older than the catch-up reaches (${setting}).`,
    );
    return oldest;
  }

  private async tell(text: string): Promise<void> {
    await this.o
      .notice?.(text)
      .catch((e: unknown) =>
        this.o.logger.warn("could not tell the admins what catch-up left out", { error: messageOf(e) }),
      );
  }

  /**
   * Hands over the messages of `key` (a channel or a thread of `channel`)
   * after `after`, oldest first, up to the limit; returns how many.
   */
  private async handAfter(key: string, after: string, channel: string, thread?: string): Promise<number> {
    const { compare } = this.o.ids;
    let handed = 0;
    let pages = 0;
    let page: string | undefined;
    let last = after;
    let more = false;
    while (handed < this.o.limit && !this.stopped) {
      if (++pages % PROGRESS_EVERY_PAGES === 0)
        this.o.logger.info("catching up on a channel", { channel, ...(thread && { thread }), messages: handed });
      const answer = await this.o.history({
        channel: key,
        after,
        limit: this.o.limit - handed,
        ...(page !== undefined && { page }),
      });
      // Only what is newer than anything read so far: a network may list a page's boundary again.
      const floor = last;
      const found = answer.messages.filter((m) => compare(m.id, floor) > 0);
      const taken = found.slice(0, this.o.limit - handed);
      for (const m of taken) {
        if (this.stopped) return handed;
        await this.handNew(key, m);
        this.o.onHanded?.();
        last = m.id;
        handed++;
      }
      more = taken.length < found.length || answer.next !== undefined;
      if (answer.next === undefined || answer.messages.length === 0) break;
      page = answer.next;
    }
    if (handed >= this.o.limit && more) {
      this.o.logger.warn("catch-up stopped at its safety bound; older messages were relayed, newer ones were not", {
        channel,
        ...(thread !== undefined && { thread }),
        after: last,
        limit: this.o.limit,
      });
      const where = thread !== undefined ? `thread ${thread} of channel ${channel}` : `channel ${channel}`;
      const setting = this.o.ids.settings?.limit ?? "xmpp.catchUp.maxMessages";
      await this.tell(
        `${this.o.displayName} messages in ${where} after message ${last} were not relayed: the catch-up stopped at its safety bound of ${this.o.limit} messages (${setting}).`,
      );
    }
    return handed;
  }

  /** One message said while the bridge was away, with the reactions it has now. */
  private async handNew(key: string, item: HistoryMessage): Promise<void> {
    const m = item.message;
    if (m !== undefined) {
      await this.o.hand.message(m);
      this.messageHanded(m);
      for (const r of item.reactions ?? []) {
        for (const user of r.users) {
          if (user.isBridge === true) continue;
          await this.o.hand.reaction({ channel: m.channel, id: m.id, user, emoji: r.emoji, action: "add" });
          this.reacted(m.channel, m.id, r.emoji, user, "add");
        }
      }
    }
    this.advance(key, item.id);
  }

  /** The edits, deletions and reactions of a channel's last messages up to `cursor` (inclusive), oldest first. */
  private async changesUpTo(channel: string, cursor: string): Promise<void> {
    const { compare } = this.o.ids;
    const limit = Math.min(WINDOW, this.o.limit);
    if (limit <= 0) return;
    const answer = await this.o.history({ channel, upTo: cursor, limit });
    const listed = answer.messages.filter((m) => compare(m.id, cursor) <= 0).sort((a, b) => compare(a.id, b.id));
    const recorded = await this.recent.of(channel);
    const kept = new Map(recorded.map((r) => [r.id, r]));
    let edits = 0;
    // An edit the bridge relayed is known by its time; the engine drops one it has relayed already.
    for (const item of listed) {
      const m = item.message;
      if (m === undefined || item.edited === undefined || item.gone === true || this.stopped) continue;
      if (kept.get(item.id)?.edited === String(item.edited)) continue;
      const edit: RemoteEdit = { channel: m.channel, id: m.id, author: m.author, text: m.text, timestamp: item.edited };
      await this.o.hand.edit(edit);
      this.edited(edit);
      edits++;
    }
    const users = new Map<string, RemoteUser>();
    for (const item of listed) for (const r of item.reactions ?? []) for (const u of r.users) users.set(u.id, u);
    const changes = windowChanges(recorded, listed.map(listedOf), {
      upTo: cursor,
      compare,
      full: answer.messages.length >= limit,
    });
    for (const id of changes.deleted) {
      if (this.stopped) return;
      await this.o.hand.delete({ channel, id });
      this.deleted(channel, id);
    }
    let reactions = 0;
    // A listing that does not say who reacted to a message tells nothing of its reactions.
    const withReactions = new Set(listed.filter((m) => m.reactions !== undefined).map((m) => m.id));
    for (const x of changes.reactions) {
      if (this.stopped) return;
      if (!withReactions.has(x.id)) continue;
      const user = users.get(x.user) ?? (await this.lookup(x.user));
      if (user === undefined || user.isBridge === true) continue;
      await this.o.hand.reaction({ channel, id: x.id, user, emoji: x.name, action: x.action });
      this.reacted(channel, x.id, x.name, user, x.action);
      reactions++;
    }
    if (edits + changes.deleted.length + reactions > 0)
      this.o.logger.info("caught up on a channel's changes", {
        channel,
        edits,
        deletions: changes.deleted.length,
        reactions,
      });
  }

  private async lookup(id: string): Promise<RemoteUser | undefined> {
    try {
      return await this.o.lookupUser?.(id);
    } catch (e) {
      this.o.logger.debug("a user whose reaction was removed could not be looked up", {
        user: id,
        error: messageOf(e),
      });
      return undefined;
    }
  }
}

/** A listed message as the window's changes are found against it. */
function listedOf(m: HistoryMessage): ListedMessage {
  return {
    id: m.id,
    ...(m.edited !== undefined && { edited: String(m.edited) }),
    ...(m.gone === true && { gone: true }),
    ...(m.reactions !== undefined && {
      reactions: m.reactions.map((r) => ({
        name: r.emoji,
        users: r.users.filter((u) => u.isBridge !== true).map((u) => u.id),
        complete: r.complete,
      })),
    }),
  };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
