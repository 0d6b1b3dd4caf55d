/**
 * XEP-0114 has no stream management: a stanza written to a socket that dies
 * before the server reads it is lost without a trace. A MUC, though, reflects
 * every message back to its sender, so a groupchat message the bridge posted
 * is known to have arrived once the relay occupant sees it come back. This
 * tracker keeps what was sent and not yet seen back, so that the engine can
 * send exactly that again, with the original ids, in order:
 *
 * - after the link drops (`beginRecovery`, then `recover` per room once the
 *   relay and the senders are back in it). A reflection can be lost with the link although the
 *   message arrived, so `recover` first asks the room's archive what it has,
 *   and sends again only the rest: nothing twice.
 * - when a room refuses a message (`refused`): its sender is no longer an
 *   occupant (the room restarted, or was destroyed and made again). The
 *   sender joins again and the message goes again, one refusal at a time per
 *   sender and room, in the order they came.
 *
 * Every send of a message is counted, so a refusal or a recovery that comes
 * after the message was already sent again does nothing: it is about a send
 * that is no longer the latest. The reflection also carries the room's
 * stanza-id, which the message map needs for replies, reactions and
 * retractions from XMPP clients.
 *
 * Bounded: at most `limit` unconfirmed entries; past it the oldest is no
 * longer tracked in memory (it stays unconfirmed on record, and the next
 * start reconciles it); once older than `maxAgeMs` an entry is given up.
 *
 * Each entry may carry the delivery key it was sent under: `onSettled` tells
 * the engine when that delivery is confirmed (reflected, or found in the
 * archive), given up, or no longer tracked, so that the delivery ledger
 * follows.
 */
import { setBounded } from "../connector/bounded-map.ts";
import type { Logger } from "../ops/logger-types.ts";

interface Pending {
  readonly room: string;
  readonly at: number;
  /** The delivery key it was sent under, when it has one. */
  readonly key: string | undefined;
  /** The puppet (localpart) that sends it. */
  readonly sender: string | undefined;
  readonly resend: () => Promise<void>;
  /** How many times it was sent so far. */
  sends: number;
  /** Order of its latest send among all sends. */
  seq: number;
  /** Refusals acted on so far. */
  refusals: number;
}

/** What awaited its reflection in one room when the link dropped, oldest first, and how often each was sent. */
interface RecoveryPlan {
  /** Which `beginRecovery` made it: a recovery still running when the link drops again must not touch the next. */
  readonly generation: number;
  readonly since: number;
  readonly entries: ReadonlyArray<{ readonly id: string; readonly sends: number }>;
}

export interface RecoveryOutcome {
  /** Found in the room's archive: arrived, only the reflection was lost. */
  readonly arrived: number;
  readonly resent: number;
  /** Too old to send again, or could not be sent. */
  readonly dropped: number;
}

export interface RecoverOptions {
  /**
   * What the room archived since a time: origin-id -> stanza-id. Without it,
   * or when it fails, everything unconfirmed is sent again.
   */
  readonly archived?: (since: Date, ids: ReadonlySet<string>) => Promise<ReadonlyMap<string, string>>;
  /** A message the archive shows arrived, with the stanza-id the room gave it (for the message map). */
  readonly onArchived?: (id: string, stanzaId: string) => Promise<void>;
}

/** How a tracked delivery ended: `stanzaId` when the room told it. */
export interface SettledReflection {
  readonly id: string;
  readonly key: string;
  readonly how: "confirmed" | "given-up" | "untracked";
  readonly stanzaId?: string;
}

export interface ReflectionTrackerOptions {
  readonly logger: Logger;
  /** A tracked message with a delivery key was confirmed, given up, or is no longer tracked (past `limit`). */
  readonly onSettled?: (s: SettledReflection) => void;
  readonly limit?: number;
  readonly maxAgeMs?: number;
  /** How many refusals of one message are acted on before it is given up (default 3). */
  readonly maxRefusals?: number;
  /**
   * How far before the oldest unconfirmed message the archive is searched
   * (default 5 minutes): the server's clock need not agree with ours.
   */
  readonly archiveSlackMs?: number;
  readonly now?: () => number;
}

/** Senders whose last rejoin after a refusal is remembered (see `rejoined`). */
const REJOINS_KEPT = 10_000;

export class ReflectionTracker {
  private readonly pending = new Map<string, Pending>();
  /** Who waits for the reflection of an id (`reflected`). */
  private readonly waiters = new Map<string, Array<(seen: boolean) => void>>();
  private readonly plans = new Map<string, RecoveryPlan>();
  /** Per room and sender: the refusals being acted on, one after another. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /**
   * Per room and sender: the `seq` at which the sender last joined again after
   * a refusal. At most REJOINS_KEPT, the oldest dropped: a forgotten entry
   * costs at most one needless rejoin.
   */
  private readonly rejoined = new Map<string, number>();
  private seq = 0;
  private generation = 0;
  private readonly limit: number;
  private readonly maxAgeMs: number;
  private readonly maxRefusals: number;
  private readonly archiveSlackMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly o: ReflectionTrackerOptions;

  constructor(o: ReflectionTrackerOptions) {
    this.o = o;
    this.logger = o.logger;
    this.limit = o.limit ?? 20_000;
    this.maxAgeMs = o.maxAgeMs ?? 10 * 60_000;
    this.maxRefusals = o.maxRefusals ?? 3;
    this.archiveSlackMs = o.archiveSlackMs ?? 5 * 60_000;
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Remembers a message sent to `room` with id `id` until its reflection is
   * seen; `key` is its delivery key, `sender` the puppet sending it, `at` when
   * it was first sent (default now: a delivery of an earlier run keeps its own).
   */
  track(
    id: string,
    room: string,
    resend: () => Promise<void>,
    o: { readonly key?: string; readonly sender?: string; readonly at?: number } = {},
  ): void {
    // The same id again (a retried delivery) is one more send of the same message, and now the newest.
    const before = this.pending.get(id);
    const entry: Pending = {
      room: room.toLowerCase(),
      at: before?.at ?? o.at ?? this.now(),
      key: o.key ?? before?.key,
      sender: o.sender ?? before?.sender,
      resend,
      sends: (before?.sends ?? 0) + 1,
      seq: ++this.seq,
      refusals: before?.refusals ?? 0,
    };
    setBounded(this.pending, id, entry, this.limit, (oldId, oldest) => {
      this.logger.warn(
        "too many messages await their reflection; the oldest is no longer tracked (the next start reconciles it)",
        { id: oldId },
      );
      this.settle(oldId, oldest, "untracked");
    });
  }

  /** The room reflected `id` (with `stanzaId`, when it gave one): it arrived. Returns whether it was ours. */
  confirm(id: string, stanzaId?: string): boolean {
    const waiting = this.waiters.get(id);
    if (waiting) {
      this.waiters.delete(id);
      for (const w of waiting) w(true);
    }
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    this.settle(id, p, "confirmed", stanzaId);
    return true;
  }

  private settle(id: string, p: Pending, how: SettledReflection["how"], stanzaId?: string): void {
    if (p.key === undefined || !this.o.onSettled) return;
    try {
      this.o.onSettled(stanzaId !== undefined ? { id, key: p.key, how, stanzaId } : { id, key: p.key, how });
    } catch (e) {
      this.logger.warn("onSettled threw", { id, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** The puppets (localparts) sending the messages to `room` that await their reflection, where known. */
  sendersIn(room: string): string[] {
    const key = room.toLowerCase();
    const out = new Set<string>();
    for (const p of this.pending.values()) if (p.room === key && p.sender !== undefined) out.add(p.sender);
    return [...out];
  }

  /**
   * Resolves true once the room reflects `id`, false at once when `id` is
   * not awaiting its reflection, or after `timeoutMs` without it.
   */
  reflected(id: string, timeoutMs: number): Promise<boolean> {
    if (!this.pending.has(id)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      const done = (seen: boolean) => {
        clearTimeout(timer);
        resolve(seen);
      };
      const timer = setTimeout(() => {
        const rest = (this.waiters.get(id) ?? []).filter((w) => w !== done);
        if (rest.length > 0) this.waiters.set(id, rest);
        else this.waiters.delete(id);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      list.push(done);
      this.waiters.set(id, list);
    });
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Ids of the messages to `room` that await their reflection, oldest first. */
  unconfirmedIn(room: string): string[] {
    const key = room.toLowerCase();
    return [...this.pending].filter(([, p]) => p.room === key).map(([id]) => id);
  }

  /**
   * While refusals of `sender`'s messages to `room` are being acted on (the
   * sender joins again, and what was refused goes again): a promise that
   * settles once they are, never rejecting. A new message of that sender
   * waits for it, so as not to overtake what is sent again.
   */
  resending(room: string, sender: string): Promise<unknown> | undefined {
    // Asked before every message sent: without any refusal being acted on, no key is made to look up.
    if (this.chains.size === 0) return undefined;
    return this.chains.get(senderKey(room, sender));
  }

  /** Whether `room` awaits its recovery after a dropped link (`beginRecovery` was called, `recover` has not finished). */
  isRecovering(room: string): boolean {
    return this.plans.has(room.toLowerCase());
  }

  /**
   * The link dropped and is back: takes stock of what awaits its reflection,
   * room by room, to be sent again by `recover`. Call it before anything new
   * is sent on the new link, so that the stock holds only what the old link
   * may have lost. Returns the recovery's generation, for `recover` and
   * `endRecovery`: when the link drops again meanwhile, a newer recovery
   * replaces this one and what is left of this one does nothing.
   */
  beginRecovery(): number {
    const generation = ++this.generation;
    const byRoom = new Map<
      string,
      { generation: number; since: number; entries: Array<{ id: string; sends: number }> }
    >();
    for (const [id, p] of this.pending) {
      let plan = byRoom.get(p.room);
      if (!plan) {
        plan = { generation, since: p.at, entries: [] };
        byRoom.set(p.room, plan);
      }
      plan.since = Math.min(plan.since, p.at); // a message sent again keeps its first time but moves to the end
      plan.entries.push({ id, sends: p.sends });
    }
    this.plans.clear();
    for (const [room, plan] of byRoom) this.plans.set(room, plan);
    return generation;
  }

  /**
   * Recovers `room` after a dropped link, once the relay and the senders are
   * in it again: confirms what the room's archive shows arrived, then sends the
   * rest again in the original order (what was sent again meanwhile, or
   * confirmed, is skipped). Safe to call for a room with nothing to recover.
   */
  async recover(room: string, generation: number, o: RecoverOptions = {}): Promise<RecoveryOutcome> {
    const key = room.toLowerCase();
    const plan = this.plans.get(key);
    if (!plan || plan.generation !== generation) return { arrived: 0, resent: 0, dropped: 0 };
    try {
      const arrived = o.archived ? await this.confirmArchived(key, plan, o) : 0;
      let resent = 0;
      let dropped = 0;
      const cutoff = this.now() - this.maxAgeMs;
      for (const e of plan.entries) {
        const p = this.pending.get(e.id);
        if (!p || p.sends !== e.sends) continue;
        if (p.at < cutoff) {
          this.pending.delete(e.id);
          dropped++;
          this.logger.warn("a message was never confirmed by its room and is too old to send again", {
            id: e.id,
            room: key,
          });
          this.settle(e.id, p, "given-up");
          continue;
        }
        if (await this.sendAgain(e.id, p)) resent++;
        else dropped++;
      }
      return { arrived, resent, dropped };
    } finally {
      if (this.plans.get(key) === plan) this.plans.delete(key);
    }
  }

  /** Ends what is left of a recovery (rooms the engine no longer has); what it held stays tracked. */
  endRecovery(generation: number): void {
    for (const [room, plan] of this.plans) if (plan.generation === generation) this.plans.delete(room);
  }

  private async confirmArchived(room: string, plan: RecoveryPlan, o: RecoverOptions): Promise<number> {
    const ids = new Set(plan.entries.map((e) => e.id).filter((id) => this.pending.has(id)));
    if (ids.size === 0 || !o.archived) return 0;
    let found: ReadonlyMap<string, string>;
    try {
      found = await o.archived(new Date(plan.since - this.archiveSlackMs), ids);
    } catch (e) {
      this.logger.warn("could not read the room's archive; what it may have received is sent again", {
        room,
        error: e instanceof Error ? e.message : String(e),
      });
      return 0;
    }
    let arrived = 0;
    for (const id of ids) {
      const stanzaId = found.get(id);
      const p = this.pending.get(id);
      if (stanzaId === undefined || !p) continue;
      this.pending.delete(id);
      this.settle(id, p, "confirmed", stanzaId);
      arrived++;
      await o.onArchived?.(id, stanzaId).catch((e: unknown) =>
        this.logger.warn("could not note the stanza-id of a message the room archived", {
          id,
          room,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    }
    return arrived;
  }

  /**
   * Whether the sender of `id` must join `room` again before `id` is sent
   * again: true unless it already did so after `id` was last sent (the
   * refusal then predates that join). Answer it when the refusal arrives.
   */
  needsRejoin(id: string, sender: string): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    return (this.rejoined.get(senderKey(p.room, sender)) ?? 0) < p.seq;
  }

  /**
   * The room refused `id`, sent by `sender`. Call it as the refusal arrives:
   * it notes which send was refused, then, after the refusals before it of
   * the same sender in the same room, has the sender join again (`rejoin`,
   * unless it already did since) and sends the message again. Does nothing when the message was
   * confirmed or sent again meanwhile, or while the room awaits its recovery
   * after a dropped link (which sends it again itself). Gives the message up
   * after `maxRefusals` refusals, or when `rejoin` fails. Never rejects.
   */
  refused(id: string, sender: string, rejoin: () => Promise<void>): Promise<boolean> {
    const p = this.pending.get(id);
    if (!p || this.plans.has(p.room)) return Promise.resolve(false);
    const refusedSend = p.sends;
    const room = p.room;
    const step = async (): Promise<boolean> => {
      if (this.pending.get(id) !== p || p.sends !== refusedSend) return false;
      if (++p.refusals > this.maxRefusals) {
        this.pending.delete(id);
        this.settle(id, p, "given-up");
        this.logger.warn("a room keeps refusing a message; it is given up", { id, room, refusals: p.refusals - 1 });
        return false;
      }
      if (this.needsRejoin(id, sender)) {
        const key = senderKey(room, sender);
        setBounded(this.rejoined, key, this.seq, REJOINS_KEPT);
        try {
          await rejoin();
        } catch (e) {
          this.pending.delete(id);
          this.settle(id, p, "given-up");
          this.logger.warn("a room refused a message and its sender could not join again; the message is given up", {
            id,
            room,
            error: e instanceof Error ? e.message : String(e),
          });
          return false;
        }
      }
      if (this.pending.get(id) !== p || p.sends !== refusedSend) return false;
      return this.sendAgain(id, p);
    };
    const chain = senderKey(room, sender);
    const next = (this.chains.get(chain) ?? Promise.resolve()).then(step, step);
    this.chains.set(chain, next);
    const forget = () => {
      if (this.chains.get(chain) === next) this.chains.delete(chain);
    };
    next.then(forget, forget);
    return next;
  }

  private async sendAgain(id: string, p: Pending): Promise<boolean> {
    p.sends++;
    p.seq = ++this.seq;
    try {
      await p.resend();
      return true;
    } catch (e) {
      this.logger.warn("could not send a message again", {
        id,
        room: p.room,
        error: e instanceof Error ? e.message : String(e),
      });
      return false;
    }
  }
}

/** One sender in one room, as the refusal chains and rejoins are kept. */
function senderKey(room: string, sender: string): string {
  return `${room.toLowerCase()} ${sender.toLowerCase()}`;
}
