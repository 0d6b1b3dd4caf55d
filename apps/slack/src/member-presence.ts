/**
 * Members of linked channels, present in their rooms as Slack shows them:
 * at start (and when a channel is linked) each member's presence is asked
 * with users.getPresence and reported through `memberPresence`; then
 * presence is polled, since the Events API sends no presence changes.
 * users.getPresence is a Tier 3 method (about 50 calls a minute), so calls
 * are spaced out: one every `gapMs`, whatever the number of members.
 * `active` is online and `away` idle; the status text goes along.
 *
 * Who is polled follows the linked channels' membership: a member who
 * joins one later (member_joined_channel, `joined`) is queued, asked in the
 * next free call slot ahead of the poll, and polled from then on; one who
 * leaves every linked channel (member_left_channel, `left`) is no longer
 * asked about. Every users.getPresence call, the poll's and a joiner's,
 * takes the next free slot `gapMs` after the previous one.
 *
 * Joiners wait in one queue with one loop asking them, not a pending call
 * each: 9,000 members joining at once wait about three hours for their
 * turn, and each costs a queue entry meanwhile (their Do Not Disturb is
 * read for up to 50 of them at once, as at start), not a chain of promises
 * and a timer.
 *
 * Do Not Disturb (a snooze or a DND window, read with dnd.teamInfo by
 * MemberDnd when members are seated and on every poll round) shows an
 * active member as dnd; away stays away. A timer per polled member flips
 * them back when their snooze or window ends (or to dnd when a window
 * starts); it is cleared when they leave and on `stop`.
 *
 * A deactivated account (`deleted` in Slack's user object) is not seated
 * nor polled: Slack answers `away` for it, which would seat it again. When
 * it is reactivated, it is queued like a joiner in the channels it is known
 * in.
 */
import type { ConnectorHost, Logger, RemotePresence } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import type { SlackDirectory } from "./directory.ts";
import { MemberChannels } from "./member-channels.ts";
import { type DndState, inDnd, MemberDnd, nextFlip } from "./member-dnd.ts";
import type { SlackFailures } from "./slack-failures.ts";

/** At most this many members of one channel are asked about (a big channel's others are seated when they speak). */
const MAX_MEMBERS_PER_CHANNEL = 500;
/** A DND timer waits at most this long; when it fires early, it is set again for what is left. */
const MAX_DND_TIMER_MS = 6 * 60 * 60 * 1000;
/** Joiners whose Do Not Disturb is read in one dnd.teamInfo call (Slack's most per call). */
const JOINERS_PER_DND_READ = 50;

export interface MemberPresenceOptions {
  readonly client: webApi.WebClient;
  readonly host: ConnectorHost;
  readonly logger: Logger;
  readonly directory: SlackDirectory;
  readonly failures: SlackFailures;
  readonly intervalMs: number;
  /** Between two users.getPresence calls (default 1,300 ms: about 46 a minute). */
  readonly gapMs?: number;
}

export class MemberPresence {
  private readonly o: MemberPresenceOptions;
  /** Member -> last presence reported, for the members of linked channels (bound: those members, each once). */
  private readonly last = new Map<string, RemotePresence["status"] | undefined>();
  /** The linked channels each member is known to be in; a member in none is not polled. */
  private readonly channelsOf = new MemberChannels();
  /**
   * Joins waiting for their first ask (`channel member`, in the order they
   * came). Bound: one per member of each linked channel, dropped when they
   * leave it; `seatJoiners` takes them one per call slot.
   */
  private readonly joiners = new Set<string>();
  /** The loop seating `joiners`, while there are any. */
  private seating: Promise<void> | undefined;
  /** When the next users.getPresence call may go (Date.now() time). */
  private nextCallAt = 0;
  private stopped = false;
  /** Sleeps in progress (the poll's, the joiners' loop's and a linked channel's): `stop` ends them all. */
  private readonly sleeping = new Set<() => void>();
  /** Member -> what users.getPresence last answered (before Do Not Disturb is applied); bound: the polled members. */
  private readonly slackPresence = new Map<string, RemotePresence>();
  /** Member -> their Do Not Disturb, as dnd.teamInfo last answered, for those with a snooze or DND hours (bound: the polled members). */
  private readonly dndState = new Map<string, DndState>();
  /** Member -> the timer for their next Do Not Disturb change (bound: one per polled member). */
  private readonly dndTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly dnd: MemberDnd;

  constructor(o: MemberPresenceOptions) {
    this.o = o;
    this.dnd = new MemberDnd(o.client, o.logger);
  }

  get size(): number {
    return this.last.size;
  }

  /** Seats the present members of `channels`, then keeps polling until `stop`. */
  async start(channels: readonly string[]): Promise<void> {
    for (const channel of channels) await this.channel(channel);
    void this.poll();
  }

  /** The members of one channel, asked and reported. */
  async channel(channel: string): Promise<void> {
    let members: string[];
    try {
      members = await this.members(channel);
    } catch (e) {
      this.o.logger.warn("the members of a Slack channel could not be listed; they are seated when they speak", {
        channel,
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    // One dnd.teamInfo call per 50 members, rather than one each.
    const dnd = await this.dnd.read(members);
    for (const id of members) {
      if (this.stopped) return;
      await this.seat(channel, id, dnd.get(id));
    }
  }

  /**
   * A member joined a linked channel (after start): queued, asked in the
   * next free slot and polled from then on, like the members found at
   * start. `joinersSeated` tells when the queue is through.
   */
  joined(channel: string, id: string): void {
    if (this.stopped) return;
    // Recorded before anything is awaited, so that a `left` right after is not undone.
    this.channelsOf.add(id, channel);
    this.joiners.add(`${channel} ${id}`);
    this.seating ??= this.seatJoiners();
  }

  /** Resolves once every member queued by `joined` or `reactivated` so far was asked (or dropped). */
  joinersSeated(): Promise<void> {
    return this.seating ?? Promise.resolve();
  }

  /** A member left a channel: no longer polled once they are in no linked channel. */
  left(channel: string, id: string): void {
    this.joiners.delete(`${channel} ${id}`);
    if (this.channelsOf.remove(id, channel) > 0) return;
    this.forget(id);
  }

  /** A member's account was deactivated: no longer polled (their channels are kept, for `reactivated`). */
  deactivated(id: string): void {
    this.forget(id);
  }

  /** A deactivated account is active again: queued like a joiner in the linked channels it is known in. */
  reactivated(id: string): void {
    for (const channel of this.channelsOf.list(id)) this.joined(channel, id);
  }

  /** Whether a member's presence is polled (for tests and cache sizes). */
  polls(id: string): boolean {
    return this.last.has(id);
  }

  /**
   * Records the member in `channel`, asks their presence and reports it
   * there; they are polled from now on. `dnd` is their DND as read for the
   * whole channel or the joiners' batch (undefined: none known).
   */
  private async seat(channel: string, id: string, dnd: DndState | undefined): Promise<void> {
    // Recorded before anything is awaited, so that a `left` right after is not undone.
    this.channelsOf.add(id, channel);
    const user = await this.o.directory.user(id);
    if (user.isBridge) {
      this.left(channel, id);
      return;
    }
    if (!this.channelsOf.has(id, channel) || this.o.directory.isDeleted(id)) return;
    // Polled even when this first ask fails: the poll reports them once Slack answers.
    if (!this.last.has(id)) this.last.set(id, undefined);
    if (dnd !== undefined) this.applyDnd(id, dnd);
    const presence = await this.presenceOf(id);
    // They may have left meanwhile: reporting them now would seat them again.
    if (presence === undefined || this.stopped || !this.channelsOf.has(id, channel) || this.o.directory.isDeleted(id))
      return;
    this.slackPresence.set(id, presence);
    const shown = this.shown(id, presence);
    this.last.set(id, shown.status);
    await this.o.host.memberPresence(channel, user, shown);
  }

  stop(): void {
    this.stopped = true;
    for (const wake of this.sleeping) wake();
    for (const timer of this.dndTimers.values()) clearTimeout(timer);
    this.dndTimers.clear();
  }

  /**
   * Seats the queued joiners one by one, in the order they came, each
   * batch's Do Not Disturb read in one call; ends when the queue is empty
   * (the next `joined` starts it again).
   */
  private async seatJoiners(): Promise<void> {
    // `seating` is set before this can end.
    await Promise.resolve();
    try {
      while (!this.stopped && this.joiners.size > 0) {
        const batch: Array<{ channel: string; id: string }> = [];
        for (const key of this.joiners) {
          this.joiners.delete(key);
          const space = key.indexOf(" ");
          batch.push({ channel: key.slice(0, space), id: key.slice(space + 1) });
          if (batch.length === JOINERS_PER_DND_READ) break;
        }
        const dnd = await this.dnd.read([...new Set(batch.map((j) => j.id))]);
        for (const { channel, id } of batch) {
          if (this.stopped) return;
          // Left while queued: not asked.
          if (!this.channelsOf.has(id, channel)) continue;
          await this.seat(channel, id, dnd.get(id)).catch((e: unknown) => {
            this.o.logger.warn("a joining member's presence could not be read", { user: id, error: String(e) });
          });
        }
      }
    } finally {
      this.seating = undefined;
    }
  }

  /** How many members have a DND timer set (at most one each). */
  get dndTimerCount(): number {
    return this.dndTimers.size;
  }

  /** No longer polled: their presence, DND and timer are dropped. */
  private forget(id: string): void {
    this.last.delete(id);
    this.slackPresence.delete(id);
    this.dndState.delete(id);
    const timer = this.dndTimers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.dndTimers.delete(id);
  }

  /** Slack's presence with Do Not Disturb applied: an active member in DND is dnd; away stays away. */
  private shown(id: string, p: RemotePresence): RemotePresence {
    if (p.status !== "online" || !inDnd(this.dndState.get(id), Date.now())) return p;
    return { ...p, status: "dnd" };
  }

  /** Keeps a polled member's DND and sets their timer for its next change (not for one who left meanwhile). */
  private applyDnd(id: string, state: DndState): void {
    if (this.stopped || !this.last.has(id)) return;
    // Most members have neither a snooze nor DND hours: nothing kept for them.
    if (state.snoozeUntil === undefined && state.window === undefined) this.dndState.delete(id);
    else this.dndState.set(id, state);
    this.schedule(id);
  }

  /** Sets the member's timer for their next DND change, if one is known. */
  private schedule(id: string): void {
    const old = this.dndTimers.get(id);
    if (old !== undefined) clearTimeout(old);
    this.dndTimers.delete(id);
    const now = Date.now();
    const at = nextFlip(this.dndState.get(id), now);
    if (at === undefined || this.stopped) return;
    const timer = setTimeout(
      () => {
        this.dndTimers.delete(id);
        if (this.stopped || !this.dndState.has(id)) return;
        this.schedule(id);
        void this.report(id).catch((e: unknown) => {
          this.o.logger.warn("a presence change could not be handed over", { error: String(e) });
        });
      },
      Math.min(at - now, MAX_DND_TIMER_MS),
    );
    this.dndTimers.set(id, timer);
  }

  /** Reports the member's presence as now shown, when it differs from what was reported last. */
  private async report(id: string): Promise<void> {
    const slack = this.slackPresence.get(id);
    if (slack === undefined || !this.last.has(id)) return;
    const shown = this.shown(id, slack);
    if (shown.status === this.last.get(id)) return;
    this.last.set(id, shown.status);
    await this.o.host.presence(await this.o.directory.user(id), shown);
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.o.intervalMs);
      for (const [id, state] of await this.dnd.read([...this.last.keys()])) this.applyDnd(id, state);
      for (const id of [...this.last.keys()]) {
        // Joiners go first, as when each took the next slot as they came.
        while (this.seating !== undefined && !this.stopped) await this.seating;
        if (this.stopped) return;
        const presence = await this.presenceOf(id);
        // Left every linked channel while being asked: not reported.
        if (presence === undefined || !this.last.has(id)) continue;
        this.slackPresence.set(id, presence);
        await this.report(id).catch((e: unknown) => {
          this.o.logger.warn("a presence change could not be handed over", { error: String(e) });
        });
      }
    }
  }

  private async members(channel: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.o.failures.run({ action: "listing a channel's members", channel }, () =>
        this.o.client.conversations.members({ channel, limit: 200, ...(cursor !== undefined && { cursor }) }),
      );
      for (const id of r.members ?? []) out.push(id);
      cursor = r.response_metadata?.next_cursor || undefined;
    } while (cursor !== undefined && out.length < MAX_MEMBERS_PER_CHANNEL);
    return out.slice(0, MAX_MEMBERS_PER_CHANNEL);
  }

  /** The user's presence, in the next free call slot (Slack's rate limit); undefined when Slack will not say. */
  private async presenceOf(id: string): Promise<RemotePresence | undefined> {
    const gap = this.o.gapMs ?? 1300;
    const now = Date.now();
    const at = Math.max(now + gap, this.nextCallAt);
    this.nextCallAt = at + gap;
    await this.sleep(at - now);
    // Stopped, or left every linked channel while waiting for the slot: not asked.
    if (this.stopped || !this.last.has(id)) return undefined;
    try {
      const r = await this.o.failures.run({ action: "asking a member's presence" }, () =>
        this.o.client.users.getPresence({ user: id }),
      );
      const message = this.o.directory.statusText(id);
      const status = r.presence === "active" ? "online" : "idle";
      return { status, ...(message !== undefined && { message }) };
    } catch (e) {
      this.o.logger.debug("a member's presence could not be asked", { user: id, error: String(e) });
      return undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }
}
