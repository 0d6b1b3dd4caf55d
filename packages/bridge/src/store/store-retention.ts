/**
 * Retention by age for what would otherwise only grow: the message map, the
 * delivery ledger with its dead letters and its unconfirmed deliveries, and
 * connector state written with an expiry.
 *
 * An unconfirmed delivery (sent, never seen by the other side: one the
 * tracker stopped following, or left by a crash or a stop) is only pruned
 * once it is older than both `ledgerDays` and `unconfirmedReachMs`, how far
 * back the next start's reconcile still sends one again
 * (`xmpp.catchUp.maxAgeHours`): an older one is given up by that reconcile
 * anyway, so pruning it cannot lose a message that could still go. What it
 * loses is at most the stanza-id the room's archive would have told for it. A sweep runs at start and then every hour; each deletes in small
 * batches and yields between them, so relaying goes on meanwhile. A failed
 * sweep is logged and tried again at the next hour; `stop` waits for the
 * batch under way and ends the schedule.
 */
import type { Logger } from "../ops/logger-types.ts";
import type { BridgeStore, PrunableRecords } from "./store-types.ts";

export const DAY_MS = 86_400_000;

/** Days to keep each kind; 0 keeps it for ever (the `store.retention` config section). */
export interface RetentionPolicy {
  readonly messagesDays: number;
  readonly ledgerDays: number;
}

export interface StoreRetentionOptions {
  readonly store: Pick<BridgeStore, "prune">;
  readonly policy: RetentionPolicy;
  readonly logger: Logger;
  /** Default `Date.now`; tests inject a clock. */
  readonly now?: () => number;
  /** Between the end of one sweep and the start of the next; default one hour. */
  readonly intervalMs?: number;
  /** Rows per delete; default 500. */
  readonly batchSize?: number;
  /**
   * How far back (ms) the next start still sends an unconfirmed delivery
   * again: unconfirmed rows younger than this are never pruned, whatever
   * `ledgerDays` says. Default 0.
   */
  readonly unconfirmedReachMs?: number;
  /** Told how many rows of a kind a sweep removed (for a metric); only called when some were. */
  readonly onPruned?: (records: PrunableRecords, rows: number) => void;
}

export type PrunedCounts = Record<PrunableRecords, number>;

const HOUR_MS = 3_600_000;
const DEFAULT_BATCH = 500;

/** The lifetime of a message-map row as a TTL for state that lives as long as its message; undefined: for ever. */
export function messageLifetimeMs(policy: RetentionPolicy): number | undefined {
  return policy.messagesDays === 0 ? undefined : policy.messagesDays * DAY_MS;
}

export class StoreRetention {
  private readonly o: StoreRetentionOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopped = false;

  constructor(o: StoreRetentionOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  /** Sweeps now, in the background, and then every interval until `stop`. */
  start(): void {
    if (this.stopped || this.sweeping || this.timer) return;
    this.runAndSchedule();
  }

  /** Ends the schedule and waits for the batch under way; later sweeps do nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /**
   * One pass over every kind, oldest rows first, `batchSize` at a time,
   * yielding to other work between batches; resolves with the rows removed.
   * Logs the counts when anything went.
   */
  async sweep(): Promise<PrunedCounts> {
    const now = this.now();
    const cutoff = (days: number) => (days === 0 ? undefined : now - days * DAY_MS);
    const { messagesDays, ledgerDays } = this.o.policy;
    const plan: Array<[PrunableRecords, number | undefined]> = [
      ["messages", cutoff(messagesDays)],
      ["deliveries", cutoff(ledgerDays)],
      ["dead-letters", cutoff(ledgerDays)],
      ["unconfirmed", this.unconfirmedCutoff(now)],
      // Expiry was set by whoever wrote the key, so it is honoured whatever the policy says.
      ["expired-state", now],
    ];
    const counts: PrunedCounts = {
      messages: 0,
      deliveries: 0,
      "dead-letters": 0,
      unconfirmed: 0,
      "expired-state": 0,
    };
    for (const [records, before] of plan) {
      if (before === undefined) continue;
      counts[records] = await this.pruneAll(records, before);
      if (counts[records] > 0) this.o.onPruned?.(records, counts[records]);
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total > 0) this.o.logger.info("store retention pruned old rows", { ...counts, messagesDays, ledgerDays });
    else this.o.logger.debug("store retention found nothing to prune", { messagesDays, ledgerDays });
    return counts;
  }

  /** Unconfirmed rows queued before this go: past the ledger's days and past the reconcile's reach. */
  private unconfirmedCutoff(now: number): number | undefined {
    const { ledgerDays } = this.o.policy;
    if (ledgerDays === 0) return undefined;
    return now - Math.max(ledgerDays * DAY_MS, this.o.unconfirmedReachMs ?? 0);
  }

  private async pruneAll(records: PrunableRecords, before: number): Promise<number> {
    const batch = this.o.batchSize ?? DEFAULT_BATCH;
    let total = 0;
    while (!this.stopped) {
      const n = await this.o.store.prune(records, before, batch);
      total += n;
      if (n < batch) break;
      // Lets relaying's reads and writes in between: a large backlog goes in many short steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }

  private runAndSchedule(): void {
    const run = this.sweep().catch((e: unknown) => {
      this.o.logger.warn("store retention could not prune; trying again at the next sweep", {
        error: e instanceof Error ? e.message : String(e),
      });
    });
    this.sweeping = run;
    void run.then(() => {
      this.sweeping = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.runAndSchedule();
      }, this.o.intervalMs ?? HOUR_MS);
      this.timer.unref();
    });
  }
}
