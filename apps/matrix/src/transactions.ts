/**
 * Transactions from the homeserver, handled exactly once and in order. The
 * homeserver sends a transaction again until it gets a 200, also after the
 * bridge restarts, so a transaction already handled is acknowledged without
 * touching its events. "Already handled" means the same id *and* the same
 * events: a homeserver may number its transactions from 1 again (Synapse on
 * SQLite does after a restart while it had nothing to send), and a new
 * transaction that reuses an old id must be handled, not acknowledged unread.
 * The events are compared by their event IDs (the body itself is not stable
 * between retries: `unsigned.age` is computed at each attempt). A transaction
 * with no timeline events carries only ephemeral data (typing, receipts,
 * presence), which says how things are now: it is always handled, since
 * handling it twice changes nothing.
 *
 * A transaction is recorded and acknowledged only once every event has been
 * handed to the engine and the engine has them on record (`settled`). A homeserver moves on to its next
 * transaction only once the last is acknowledged, so only the most recent
 * need remembering: the last `REMEMBERED_TXNS`, kept under one key of the
 * connector's state (`txn:recent`, a JSON array of `[txnId, fingerprint]`),
 * so the state does not grow with the bridge's age. Transactions run one
 * after another, their events in the order given, timeline events before
 * ephemeral ones.
 *
 * When the homeserver went away (appservice-server.ts tells), the rooms are
 * read back (missed-events.ts) in turn with transactions, before the next
 * one: what the homeserver accepted and lost on the way out is relayed
 * before what it sends next. An event handed over recently (read back, or
 * pushed twice) is not handed over again. A transaction whose id says the
 * homeserver numbers anew (a number not above the last one's, or, for the
 * first transaction of the run, an id handled before with other events) says
 * it restarted: the rooms are read back before it too, whether or not
 * anything else told. The ids that follow it (2, 3... handled before too)
 * are that same numbering going on, not another restart.
 *
 * A transaction skipped while the homeserver recovers says the same. Synapse
 * marks a service it could not reach as down, writes what comes next into
 * transactions it does not send, and lets a recoverer send them in turn;
 * when the recoverer finds none left it marks the service up. A transaction
 * written between that last look and the mark is never sent (Synapse
 * 1.163's `appservice/scheduler.py`; seen in the fault suite: one message of
 * 2,000 lost after a SIGTERM of the bridge), and the next one comes with a
 * number one too high. So for `RECOVERY_WATCH_MS` after the bridge starts,
 * after it refused a transaction, and after the homeserver went away (the
 * times a recoverer runs), a number above the last one + 1 has the rooms read
 * back before that transaction. Not outside that window: Synapse numbers the
 * transactions of all its application services from one sequence, so with
 * several services gaps are ordinary and each would cost a read-back.
 *
 * An event the engine cannot take fails the transaction (the homeserver sends
 * it again later), but not forever: from the third attempt of the same
 * transaction on, a failing event is logged and skipped so that one poisoned
 * event cannot hold up every room behind it.
 */
import { createHash } from "node:crypto";
import { type ConnectorState, type Logger, logFailure, setBounded } from "@parley/bridge";
import type { TransactionBody } from "./appservice-server.ts";
import type { MissedEvents } from "./missed-events.ts";

export interface TransactionHandlers {
  event(raw: unknown): Promise<void>;
  ephemeral(raw: unknown): Promise<void>;
}

const SKIP_AFTER_ATTEMPTS = 2;
/** How long after the homeserver went away its rooms are read back when it sends no transaction. */
const MISSED_FALLBACK_MS = 10_000;
/**
 * How long after a time the homeserver's recoverer runs (the bridge started or refused a
 * transaction, the homeserver went away) a skipped transaction number has the rooms read back:
 * Synapse retries a service it marked down at most 512 s apart, then sends the backlog.
 */
export const RECOVERY_WATCH_MS = 15 * 60_000;
/** How many handled transactions are remembered across restarts. */
export const REMEMBERED_TXNS = 256;
const RECENT_KEY = "txn:recent";

/** A handled transaction: its id and the fingerprint of its timeline events. */
type HandledTransaction = readonly [txnId: string, fingerprint: string];

/**
 * What identifies a transaction's content across retries: its timeline
 * events' IDs, in order (an event without one, which no homeserver sends,
 * counts by its JSON). Undefined when it has no timeline events.
 */
export function transactionFingerprint(body: TransactionBody): string | undefined {
  if (body.events.length === 0) return undefined;
  const hash = createHash("sha256");
  for (const raw of body.events) {
    const eventId = (raw as { event_id?: unknown } | null)?.event_id;
    hash.update(typeof eventId === "string" ? eventId : `json:${JSON.stringify(raw)}`);
    hash.update("\n");
  }
  return hash.digest("base64url").slice(0, 22);
}

/** Runs whose failed attempts are counted; the homeserver retries one transaction at a time, so few are ever in play. */
const FAILED_RUNS_KEPT = 1000;

export class Transactions {
  private readonly state: ConnectorState;
  private readonly handlers: TransactionHandlers;
  private readonly logger: Logger;
  private chain: Promise<void> = Promise.resolve();
  /** Runs in progress, by id and fingerprint. */
  private readonly running = new Map<string, Promise<void>>();
  /** Failed attempts, by id and fingerprint: at most FAILED_RUNS_KEPT, the oldest dropped. */
  private readonly failures = new Map<string, number>();
  /** The transactions handled most recently, oldest first; loaded from the state on first use. */
  private recent: HandledTransaction[] | undefined;

  /** Resolves once what was handed to the engine so far is on its record (the host's `settled`). */
  private readonly settled: (() => Promise<void>) | undefined;
  /** Events the homeserver lost when it went away: read back from the rooms before the next transaction. */
  private readonly missed: MissedEvents | undefined;
  private fallback: NodeJS.Timeout | undefined;
  /** The number of the last transaction received in this run, when its id is a number (Synapse's are). */
  private lastNumber: number | undefined;
  private firstOfRun = true;
  private readonly now: () => number;
  /** Until when a skipped transaction number says the homeserver's recoverer left one unsent. */
  private recoveringUntil: number;

  constructor(options: {
    state: ConnectorState;
    handlers: TransactionHandlers;
    logger: Logger;
    settled?: () => Promise<void>;
    missed?: MissedEvents;
    now?: () => number;
  }) {
    this.now = options.now ?? Date.now;
    this.recoveringUntil = 0;
    this.watchRecovery();
    this.state = options.state;
    this.handlers = options.handlers;
    this.logger = options.logger;
    this.settled = options.settled;
    this.missed = options.missed;
  }

  /**
   * The homeserver went away: its rooms are read back before the next transaction (the first it
   * sends once back), so that what it lost is relayed before what it sends next; or, when it sends
   * none for `MISSED_FALLBACK_MS` (what it lost was the last it had), in turn with transactions then.
   */
  homeserverGone(reason: string): void {
    if (!this.missed) return;
    this.missed.suspect(reason);
    this.watchRecovery();
    clearTimeout(this.fallback);
    this.fallback = setTimeout(() => {
      const run = this.chain.then(() => this.catchUpMissed([]));
      this.chain = run.catch(logFailure(this.logger, "reading back missed Matrix events failed", "warn"));
    }, MISSED_FALLBACK_MS);
    this.fallback.unref();
  }

  /** The homeserver's recoverer runs from now on: a skipped transaction number means something for a while. */
  private watchRecovery(): void {
    this.recoveringUntil = this.now() + RECOVERY_WATCH_MS;
  }

  private async catchUpMissed(pushed: readonly unknown[]): Promise<void> {
    if (!this.missed?.due) return;
    clearTimeout(this.fallback);
    await this.missed.catchUp(pushed);
    await this.settled?.();
  }

  /** Resolves once the transaction is handled (now or before); rejects when it must be sent again. */
  receive(txnId: string, body: TransactionBody): Promise<void> {
    const fingerprint = transactionFingerprint(body);
    const runKey = `${txnId}\n${fingerprint ?? ""}`;
    // The same transaction again while it runs (the homeserver timed out and retried): wait for the first run.
    const running = this.running.get(runKey);
    if (running) return running;
    const run = this.chain.then(() => this.handle(txnId, fingerprint, runKey, body));
    // Refused: the homeserver marks the service down and its recoverer sends what follows.
    this.chain = run.catch(() => this.watchRecovery());
    const tracked = run.finally(() => this.running.delete(runKey));
    this.running.set(runKey, tracked);
    return tracked;
  }

  /** Waits for the transactions in progress. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** No more reading back (the connector stops); waits for the transactions in progress. */
  close(): Promise<void> {
    clearTimeout(this.fallback);
    return this.chain;
  }

  private async handle(
    txnId: string,
    fingerprint: string | undefined,
    runKey: string,
    body: TransactionBody,
  ): Promise<void> {
    const recent = await this.recentTransactions();
    const seen = fingerprint === undefined ? [] : recent.filter(([id]) => id === txnId);
    const again = seen.some(([, print]) => print === fingerprint);
    const number = /^\d{1,15}$/.test(txnId) ? Number(txnId) : undefined;
    // Once per numbering anew: by the number when there is a last one in this run, else (the first
    // transaction of the run, or ids that are not numbers) by an id handled before with other events.
    if (!again && this.missed) {
      if (number !== undefined && this.lastNumber !== undefined) {
        if (number <= this.lastNumber) {
          this.missed.suspect(`the homeserver numbers its transactions anew (${number} after ${this.lastNumber})`);
        } else if (number > this.lastNumber + 1 && this.now() < this.recoveringUntil) {
          this.missed.suspect(
            `the homeserver skipped a transaction as it recovered (${number} after ${this.lastNumber})`,
          );
        }
      } else if (seen.length > 0 && this.firstOfRun) {
        this.missed.suspect("the homeserver numbers its transactions anew (an id came again)");
      }
    }
    this.firstOfRun = false;
    if (number !== undefined) this.lastNumber = number;
    await this.catchUpMissed(body.events);
    if (again) {
      this.logger.debug("a transaction was sent again; it is already handled", { txnId });
      return;
    }
    if (seen.length > 0) {
      this.logger.info("a transaction id came again with other events (the homeserver numbers anew); handled", {
        txnId,
      });
    }
    const lenient = (this.failures.get(runKey) ?? 0) >= SKIP_AFTER_ATTEMPTS;
    const run = async (what: string, raw: unknown, handler: (raw: unknown) => Promise<void>) => {
      try {
        await handler(raw);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        if (!lenient) {
          setBounded(this.failures, runKey, (this.failures.get(runKey) ?? 0) + 1, FAILED_RUNS_KEPT);
          throw e;
        }
        this.logger.error(`a Matrix ${what} failed again and again; it is skipped`, { txnId, error });
      }
    };
    for (const raw of body.events) {
      // Read back already (the homeserver pushed it after all): the engine would drop it; skip the work.
      const id = (raw as { event_id?: unknown } | null)?.event_id;
      if (typeof id === "string" && this.missed?.wasHandled(id)) continue;
      await run("event", raw, (event) => this.handlers.event(event));
      this.missed?.handled(raw);
    }
    for (const raw of body.ephemeral ?? [])
      await run("ephemeral event", raw, (event) => this.handlers.ephemeral(event));
    // The homeserver forgets a transaction once it is acknowledged: not before the engine has it on record.
    await this.settled?.();
    this.failures.delete(runKey);
    if (fingerprint !== undefined) {
      const next = [...recent, [txnId, fingerprint] as const].slice(-REMEMBERED_TXNS);
      await this.state.set(RECENT_KEY, JSON.stringify(next));
      this.recent = next;
    }
    this.logger.debug("transaction handled", {
      txnId,
      events: body.events.length,
      ephemeral: body.ephemeral?.length ?? 0,
    });
  }

  private async recentTransactions(): Promise<HandledTransaction[]> {
    if (this.recent) return this.recent;
    const stored = await this.state.get(RECENT_KEY);
    let handled: HandledTransaction[] = [];
    if (stored !== undefined) {
      try {
        const parsed: unknown = JSON.parse(stored);
        // Entries of other shapes (bare ids, from before fingerprints were kept) match nothing: the
        // transaction is handled again, and the engine's delivery ledger knows its events by their IDs.
        if (Array.isArray(parsed)) handled = parsed.filter(isHandledTransaction);
      } catch {
        this.logger.warn("the list of handled Matrix transactions is unreadable; starting a new one", {});
      }
    }
    this.recent = handled.slice(-REMEMBERED_TXNS);
    return this.recent;
  }
}

function isHandledTransaction(entry: unknown): entry is HandledTransaction {
  return Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string" && typeof entry[1] === "string";
}
