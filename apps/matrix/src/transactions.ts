/**
 * Transactions from the homeserver, handled exactly once and in order. The
 * homeserver sends a transaction again until it gets a 200, also after the
 * bridge restarts, so a transaction id already handled is acknowledged
 * without touching its events; the id is recorded only once every event has
 * been handed to the engine, which has stored them by then. A homeserver
 * moves on to its next transaction only once the last is acknowledged, so
 * only the most recent ids need remembering: the last `REMEMBERED_TXNS`, kept
 * under one key of the connector's state (`txn:recent`, a JSON array), so the
 * state does not grow with the bridge's age. Transactions run one after
 * another, their events in the order given, timeline events before ephemeral
 * ones.
 *
 * An event the engine cannot take fails the transaction (the homeserver sends
 * it again later), but not forever: from the third attempt of the same
 * transaction on, a failing event is logged and skipped so that one poisoned
 * event cannot hold up every room behind it.
 */
import type { ConnectorState, Logger } from "@parley/bridge";
import type { TransactionBody } from "./appservice-server.ts";

export interface TransactionHandlers {
  event(raw: unknown): Promise<void>;
  ephemeral(raw: unknown): Promise<void>;
}

const SKIP_AFTER_ATTEMPTS = 2;
/** How many handled transaction ids are remembered across restarts. */
export const REMEMBERED_TXNS = 256;
const RECENT_KEY = "txn:recent";

export class Transactions {
  private readonly state: ConnectorState;
  private readonly handlers: TransactionHandlers;
  private readonly logger: Logger;
  private chain: Promise<void> = Promise.resolve();
  private readonly running = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, number>();
  /** The ids handled most recently, oldest first; loaded from the state on first use. */
  private recent: string[] | undefined;

  constructor(o: { state: ConnectorState; handlers: TransactionHandlers; logger: Logger }) {
    this.state = o.state;
    this.handlers = o.handlers;
    this.logger = o.logger;
  }

  /** Resolves once the transaction is handled (now or before); rejects when it must be sent again. */
  receive(txnId: string, body: TransactionBody): Promise<void> {
    // The same id again while it runs (the homeserver timed out and retried): wait for the first run.
    const running = this.running.get(txnId);
    if (running) return running;
    const run = this.chain.then(() => this.handle(txnId, body));
    this.chain = run.catch(() => undefined);
    const tracked = run.finally(() => this.running.delete(txnId));
    this.running.set(txnId, tracked);
    return tracked;
  }

  /** Waits for the transactions in progress. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async handle(txnId: string, body: TransactionBody): Promise<void> {
    const recent = await this.recentIds();
    if (recent.includes(txnId)) {
      this.logger.debug("a transaction was sent again; it is already handled", { txnId });
      return;
    }
    const lenient = (this.failures.get(txnId) ?? 0) >= SKIP_AFTER_ATTEMPTS;
    const run = async (what: string, raw: unknown, f: (raw: unknown) => Promise<void>) => {
      try {
        await f(raw);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        if (!lenient) {
          this.failures.set(txnId, (this.failures.get(txnId) ?? 0) + 1);
          if (this.failures.size > 1000) this.failures.clear();
          throw e;
        }
        this.logger.error(`a Matrix ${what} failed again and again; it is skipped`, { txnId, error });
      }
    };
    for (const raw of body.events) await run("event", raw, (r) => this.handlers.event(r));
    for (const raw of body.ephemeral ?? []) await run("ephemeral event", raw, (r) => this.handlers.ephemeral(r));
    const next = [...recent, txnId].slice(-REMEMBERED_TXNS);
    await this.state.set(RECENT_KEY, JSON.stringify(next));
    this.recent = next;
    this.failures.delete(txnId);
    this.logger.debug("transaction handled", {
      txnId,
      events: body.events.length,
      ephemeral: body.ephemeral?.length ?? 0,
    });
  }

  private async recentIds(): Promise<string[]> {
    if (this.recent) return this.recent;
    const stored = await this.state.get(RECENT_KEY);
    let ids: string[] = [];
    if (stored !== undefined) {
      try {
        const parsed: unknown = JSON.parse(stored);
        if (Array.isArray(parsed)) ids = parsed.filter((x): x is string => typeof x === "string");
      } catch {
        this.logger.warn("the list of handled Matrix transactions is unreadable; starting a new one", {});
      }
    }
    this.recent = ids.slice(-REMEMBERED_TXNS);
    return this.recent;
  }
}
