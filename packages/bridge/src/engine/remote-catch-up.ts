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
 * tells this module), and are written behind (remote-catch-up-marks.ts).
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
import type { RecentRelayed } from "../connector/recent-relayed.ts";
import type { Logger } from "../ops/logger-types.ts";
import { CatchUpMarks } from "./remote-catch-up-marks.ts";
import { readPatiently } from "./remote-catch-up-reads.ts";
import { changesInWindow } from "./remote-catch-up-window.ts";

/** How many of a channel's messages up to its cursor are looked at for changes made while the bridge was away. */
export const WINDOW = 50;
/** How often (in pages) a long catch-up logs its progress. */
const PROGRESS_EVERY_PAGES = 20;

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
  private readonly marks: CatchUpMarks;
  /** What was relayed lately per channel (kept with the marks). */
  private readonly recent: RecentRelayed;
  /** Catch-ups run one after the other. */
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(o: RemoteCatchUpOptions) {
    this.o = o;
    this.marks = new CatchUpMarks({
      state: o.state,
      logger: o.logger,
      ids: o.ids,
      window: WINDOW,
      ...(o.settled !== undefined && { settled: o.settled }),
      ...(o.flushEveryMs !== undefined && { flushEveryMs: o.flushEveryMs }),
    });
    this.recent = this.marks.recent;
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

  /** The cursor of a channel or thread. */
  cursorOf(key: string): Promise<string | undefined> {
    return this.marks.cursorOf(key);
  }

  /** Moves a cursor forward (never back); written within a second. */
  advance(key: string, id: string): void {
    this.marks.advance(key, id);
  }

  /** Writes what moved since the last write, once `settled` says. */
  flush(): Promise<void> {
    return this.marks.flush();
  }

  // --- a catch-up ----------------------------------------------------------------------------------------

  /** One page of history, read again when the network refuses it for now (remote-catch-up-reads.ts). */
  private read(request: HistoryRequest): Promise<HistoryPage> {
    return readPatiently(() => this.o.history(request), {
      stopped: () => this.stopped,
      logger: this.o.logger,
      what: { channel: request.channel, ...(request.page !== undefined && { page: request.page }) },
    });
  }

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
    this.o.logger.debug("catching up", { channels: channels.length });
    for (const channel of channels) {
      if (this.stopped) break;
      let from: string | undefined;
      this.o.logger.debug("catching up on a channel", { channel });
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
    this.o.logger.debug("caught up", { channels: channels.length });
  }

  /** Where a channel's catch-up starts: its cursor, or where it stands now (`fresh`, written at once). */
  private async startOf(channel: string): Promise<{ from: string; fresh: boolean }> {
    const cursor = await this.cursorOf(channel);
    if (cursor !== undefined) return { from: cursor, fresh: false };
    const answer = await this.read({ channel, limit: 0 });
    const now =
      answer.cursor !== undefined && this.o.ids.isId(answer.cursor) ? answer.cursor : this.o.ids.idAt(this.now());
    return { from: await this.marks.start(channel, now), fresh: true };
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
      const answer = await this.read({
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
    const limit = Math.min(WINDOW, this.o.limit);
    if (limit <= 0) return;
    const answer = await this.read({ channel, upTo: cursor, limit });
    const found = await changesInWindow({
      channel,
      upTo: cursor,
      listed: answer.messages,
      full: answer.messages.length >= limit,
      recorded: await this.recent.of(channel),
      compare: this.o.ids.compare,
      ...(this.o.lookupUser !== undefined && { lookupUser: this.o.lookupUser }),
      logger: this.o.logger,
    });
    for (const e of found.edits) {
      if (this.stopped) return;
      await this.o.hand.edit(e);
      this.edited(e);
    }
    for (const id of found.deletions) {
      if (this.stopped) return;
      await this.o.hand.delete({ channel, id });
      this.deleted(channel, id);
    }
    for (const x of found.reactions) {
      if (this.stopped) return;
      await this.o.hand.reaction(x);
      this.reacted(channel, x.id, x.emoji, x.user, x.action);
    }
    const n = found.edits.length + found.deletions.length + found.reactions.length;
    if (n > 0)
      this.o.logger.info("caught up on a channel's changes", {
        channel,
        edits: found.edits.length,
        deletions: found.deletions.length,
        reactions: found.reactions.length,
      });
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
