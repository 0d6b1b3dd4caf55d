/**
 * The one queue every relayed action goes through (a post, an edit, a delete,
 * a reaction, in either direction).
 *
 * - Ordered per lane (a room, a DM): a lane runs one job at a time in enqueue
 *   order, and a job waiting to retry holds its lane, because an edit must not
 *   overtake the message it edits. Lanes run concurrently up to `concurrency`;
 *   a lane sleeping before a retry gives its slot to others, so one network
 *   outage does not starve the other direction.
 * - Idempotent: a key pending or running is not queued twice (the caller gets
 *   the same outcome), and with a ledger a key already delivered, even before a
 *   restart, is not run again.
 * - Retried on transient failures with backoff; after `maxAttempts` (and, with
 *   `retryForMs`, not before that long has passed since the first try), or at once
 *   on a permanent failure, dead-lettered: logged, reported, recorded, and the
 *   lane moves on.
 * - Bounded: past `maxPending` jobs, new jobs wait outside the lanes (in
 *   enqueue order) until others finish; `waitForRoom()` lets a producer that
 *   does not await outcomes slow down instead.
 * - Confirmed by the other side: a job that `awaitsConfirmation` is only
 *   *sent* when it returns (its outcome says "sent"); it is delivered once the
 *   other side says it has it (`confirm`), which the ledger records. Until
 *   then its key counts as pending here (enqueued again, it is not run twice)
 *   and `drain()` waits for it.
 * - Flushed on shutdown: `close()` refuses new jobs, `drain()` waits for the
 *   rest, confirmations included.
 *
 * The hot path (a job that succeeds first time) costs one entry object, one
 * promise and a few map operations: no timer, no scan.
 */
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import { retryDelayMs } from "./backoff.ts";
import { DeliveryClosedError, describeFailure, isTransientFailure, TransientError } from "./delivery-errors.ts";
import type { DeliveryLedger } from "./delivery-ledger.ts";
import { Fifo } from "./fifo.ts";

export interface DeliveryJob<R = unknown> {
  /** Idempotency key: the same action always has the same key (e.g. `discord:send:<stanza-id>`). */
  readonly key: string;
  /** The ordering domain, usually the room or the DM conversation. */
  readonly lane: string;
  /** A short description for logs; no secrets, no message text. */
  readonly describe: string;
  /** JSON kept with a dead letter so that the action can be inspected or replayed. Never logged. */
  readonly payload?: string;
  /**
   * The job only sends: it is delivered once the other side confirms it
   * (`DeliveryQueue.confirm`), not when `run` returns. The caller records what
   * it takes to send it again (`DeliveryLedger.recordUnconfirmed`).
   */
  readonly awaitsConfirmation?: boolean;
  /**
   * The caller knows this key was never queued before (not in this run, not
   * in an earlier one): the ledger is not asked whether it was delivered.
   * Only for what the caller has just recorded for the first time.
   */
  readonly firstTime?: boolean;
  /**
   * Admitted at once and run without waiting for a free lane, past
   * `maxPending` and `concurrency`: for work that other queued jobs wait on.
   * A room's catch-up relays what the room said while the bridge was away
   * one message at a time, awaiting each, and holds the network's messages
   * to that room until it has read the room's archive; were its deliveries to
   * wait behind those held jobs for room in the queue, neither would ever
   * move. The caller bounds how many such jobs it has in flight.
   */
  readonly pastBounds?: boolean;
  /**
   * Performs the action. `attempt` is 1 on the first try; above 1, an earlier
   * try may or may not have reached the network. Throw a TransientError or
   * PermanentError (or anything `isTransient` knows) to say whether to retry.
   * A string result is what the ledger keeps; anything else is kept as JSON.
   */
  run(attempt: number): Promise<R>;
}

export type DeliveryOutcome<R = unknown> =
  | { readonly status: "delivered"; readonly result: R; readonly attempts: number }
  /** Sent, awaiting the other side's confirmation (a job that `awaitsConfirmation`). */
  | { readonly status: "sent"; readonly result: R; readonly attempts: number }
  /** Already delivered (the ledger says so): not run again; `result` is what was stored. */
  | { readonly status: "duplicate"; readonly result?: string }
  | { readonly status: "dead"; readonly error: unknown; readonly attempts: number };

export interface DeadLetterReport {
  readonly key: string;
  readonly lane: string;
  readonly describe: string;
  readonly error: unknown;
  readonly attempts: number;
}

export interface DeliveryResultReport {
  readonly key: string;
  readonly lane: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** From the first try to the end, retries included. */
  readonly ms: number;
}

export interface DeliveryQueueOptions {
  /** When given: a key already delivered is not run again (its stored result is returned), and success is recorded. */
  readonly ledger?: DeliveryLedger;
  /** Tries before a transient failure is dead-lettered (default 6). */
  readonly maxAttempts?: number;
  /**
   * With it, a transient failure is retried until both `maxAttempts` tries
   * were made and this long has passed since the first: an outage is outlived
   * by time, not by how many requests it answered with an error.
   */
  readonly retryForMs?: number;
  /** Backoff between tries: full jitter, doubling from `baseDelayMs` (250) up to `maxDelayMs` (30,000). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Whether a failure is worth retrying (default `isTransientFailure`). */
  readonly isTransient?: (e: unknown) => boolean;
  /** Jobs admitted across all lanes before new ones wait (default 10,000). */
  readonly maxPending?: number;
  /**
   * Lanes running at once (default 256). A running lane may be waiting on its
   * network's rate limit (a Discord webhook's bucket resets every 2 s) with
   * nothing in flight; a small bound would make busy rooms hold up other
   * rooms and the other direction. What is in flight is bounded by the
   * networks' own limits and by the number of linked rooms.
   */
  readonly concurrency?: number;
  readonly onDeadLetter?: (d: DeadLetterReport) => void;
  /** Every failed attempt, retried or not (for a failure metric). */
  readonly onAttemptFailed?: (o: { readonly lane: string; readonly transient: boolean }) => void;
  /** Jobs not finished yet, after every change. */
  readonly onDepth?: (n: number) => void;
  /** Jobs sent and awaiting their confirmation, after every change. */
  readonly onUnconfirmed?: (n: number) => void;
  /** Every job that ran to an end (delivered or dead); duplicates are not reported. */
  readonly onResult?: (o: DeliveryResultReport) => void;
  readonly logger?: Logger;
  /** Waits before a retry (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

interface Entry {
  readonly job: DeliveryJob<unknown>;
  readonly promise: Promise<DeliveryOutcome<unknown>>;
  readonly resolve: (o: DeliveryOutcome<unknown>) => void;
  attempts: number;
  startedAt: number;
  ledgerChecked: boolean;
}

interface Lane {
  readonly name: string;
  readonly jobs: Fifo<Entry>;
  /** ready: in `readyLanes`, waiting for a slot; running: holds a slot; sleeping: waiting to retry its head. */
  state: "ready" | "running" | "sleeping";
}

type Step =
  | {
      readonly outcome: DeliveryOutcome<unknown>;
      /** The ledger write of a delivered job: the lane goes on at once, the job's outcome waits for it. */
      readonly recorded?: Promise<void>;
    }
  | { readonly retryInMs: number };

/** Lanes running at once unless told otherwise: enough that rooms do not wait for one another. */
export const DEFAULT_CONCURRENCY = 256;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Turns a job's result into what the ledger keeps. */
function ledgerValue(result: unknown): string | undefined {
  if (result === undefined) return undefined;
  if (typeof result === "string") return result;
  try {
    return JSON.stringify(result);
  } catch {
    return undefined; // a cyclic or BigInt result is delivered all the same; there is just nothing to keep
  }
}

export class DeliveryQueue {
  private readonly ledger: DeliveryLedger | undefined;
  private readonly maxAttempts: number;
  private readonly retryForMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly isTransient: (e: unknown) => boolean;
  private readonly maxPending: number;
  private readonly concurrency: number;
  private readonly o: DeliveryQueueOptions;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  /** Every job not finished yet, admitted or waiting, by key. */
  private readonly byKey = new Map<string, Entry>();
  /** Jobs sent and awaiting the other side's confirmation, by key: what they returned. */
  private readonly awaiting = new Map<string, unknown>();
  /** Keys confirmed while their job was still finishing its send (the other side can be that quick). */
  private readonly confirmedEarly = new Set<string>();
  private readonly lanes = new Map<string, Lane>();
  private readonly readyLanes = new Fifo<Lane>();
  /** Jobs enqueued while the queue was full, in enqueue order. */
  private readonly held = new Fifo<Entry>();
  private readonly roomWaiters = new Fifo<() => void>();
  private readonly drainWaiters = new Set<() => void>();
  private admitted = 0;
  private active = 0;
  private closed = false;

  constructor(o: DeliveryQueueOptions = {}) {
    this.o = o;
    this.ledger = o.ledger;
    this.maxAttempts = Math.max(1, Math.floor(o.maxAttempts ?? 6));
    this.retryForMs = Math.max(0, o.retryForMs ?? 0);
    this.baseDelayMs = Math.max(0, o.baseDelayMs ?? 250);
    this.maxDelayMs = Math.max(this.baseDelayMs, o.maxDelayMs ?? 30_000);
    this.isTransient = o.isTransient ?? isTransientFailure;
    this.maxPending = Math.max(1, Math.floor(o.maxPending ?? 10_000));
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? DEFAULT_CONCURRENCY));
    this.logger = (o.logger ?? silentLogger).child({ part: "delivery" });
    this.sleep = o.sleep ?? defaultSleep;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
  }

  /** Jobs not finished yet: queued, running, sleeping before a retry, or waiting for room. */
  get depth(): number {
    return this.byKey.size;
  }

  /** Jobs sent and not yet confirmed by the other side. */
  get unconfirmed(): number {
    return this.awaiting.size;
  }

  /** Whether `key` was sent and awaits its confirmation. */
  isAwaitingConfirmation(key: string): boolean {
    return this.awaiting.has(key);
  }

  /** Jobs held back because the queue is full. */
  get waiting(): number {
    return this.held.length;
  }

  /** Whether an enqueue now would be admitted at once. */
  get hasRoom(): boolean {
    return this.admitted < this.maxPending && this.held.length === 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues `job` and resolves when it has finished. Never rejects because the
   * job failed (that is a `dead` outcome); rejects with DeliveryClosedError
   * after `close()`, and with a TypeError for a job without key, lane or run.
   */
  enqueue<R>(job: DeliveryJob<R>): Promise<DeliveryOutcome<R>> {
    if (this.closed) {
      return Promise.reject(
        new DeliveryClosedError(`the delivery queue is closed (shutting down); not queuing "${job?.describe}"`),
      );
    }
    if (
      typeof job?.key !== "string" ||
      job.key === "" ||
      typeof job.lane !== "string" ||
      typeof job.run !== "function"
    ) {
      return Promise.reject(new TypeError("a delivery job needs a non-empty string key, a string lane and run()"));
    }
    const existing = this.byKey.get(job.key);
    if (existing) return existing.promise as Promise<DeliveryOutcome<R>>;
    if (this.awaiting.has(job.key)) {
      // Sent already, and not confirmed yet: whoever awaits the confirmation sends it again if need be.
      return Promise.resolve({ status: "duplicate" } as DeliveryOutcome<R>);
    }
    const { promise, resolve } = Promise.withResolvers<DeliveryOutcome<unknown>>();
    const entry: Entry = { job, promise, resolve, attempts: 0, startedAt: 0, ledgerChecked: false };
    this.byKey.set(job.key, entry);
    if (this.hasRoom || job.pastBounds === true) this.admit(entry);
    else this.held.push(entry);
    this.depthChanged();
    return promise as Promise<DeliveryOutcome<R>>;
  }

  /** The outcome of the job queued or running under `key`; undefined when there is none (not queued, or done). */
  pending(key: string): Promise<DeliveryOutcome<unknown>> | undefined {
    return this.byKey.get(key)?.promise;
  }

  /** Resolves when an enqueue would be admitted at once (or the queue is closed): backpressure for producers that do not await outcomes. */
  waitForRoom(): Promise<void> {
    if (this.hasRoom || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Resolves true once every job enqueued so far has finished and every job
   * sent has been confirmed, false if `timeoutMs` passes first.
   */
  drain(timeoutMs?: number): Promise<boolean> {
    if (this.isDrained()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      };
      this.drainWaiters.add(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.drainWaiters.delete(done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /**
   * `key`, sent by a job that `awaitsConfirmation`, is confirmed by the other
   * side: it is recorded delivered (with `result`, or what the job returned).
   * Also for a key sent by an earlier run of the bridge (reconciled at start).
   * Resolves once recorded; a failure to record is logged, never thrown (the
   * unconfirmed record stays, and is reconciled at the next start).
   */
  async confirm(key: string, result?: string): Promise<void> {
    const returned = this.awaiting.get(key);
    if (!this.awaiting.delete(key) && this.byKey.has(key)) this.confirmedEarly.add(key);
    this.settledConfirmation();
    if (!this.ledger) return;
    try {
      const value = result ?? ledgerValue(returned);
      if (this.ledger.confirmDelivery) await this.ledger.confirmDelivery(key, value);
      else await this.ledger.markDelivered(key, value);
    } catch (e) {
      this.logger.error("confirmed, but the ledger did not record it; it is looked up again at the next start", {
        key,
        error: describeFailure(e),
      });
    }
  }

  /**
   * Counts `key` as sent and awaiting its confirmation (a delivery of an
   * earlier run sent again at start): `drain` waits for it, and an enqueue of
   * it is a duplicate until `confirm` or `abandon`.
   */
  expectConfirmation(key: string, result?: unknown): void {
    this.awaiting.set(key, result);
    this.unconfirmedChanged();
  }

  /**
   * No confirmation of `key` is awaited any more in this run. With `drop`,
   * its unconfirmed record goes too (given up for good: the caller logs why);
   * without, it stays on record and is reconciled at the next start.
   */
  async abandon(key: string, o: { readonly drop?: boolean } = {}): Promise<void> {
    this.awaiting.delete(key);
    this.settledConfirmation();
    if (!o.drop || !this.ledger?.dropUnconfirmed) return;
    try {
      await this.ledger.dropUnconfirmed(key);
    } catch (e) {
      this.logger.warn("could not forget an abandoned delivery; it is looked up again at the next start", {
        key,
        error: describeFailure(e),
      });
    }
  }

  private isDrained(): boolean {
    return this.byKey.size === 0 && this.awaiting.size === 0;
  }

  private unconfirmedChanged(): void {
    try {
      this.o.onUnconfirmed?.(this.awaiting.size);
    } catch (e) {
      this.logger.warn("onUnconfirmed threw", { error: describeFailure(e) });
    }
  }

  private settledConfirmation(): void {
    this.unconfirmedChanged();
    if (this.isDrained() && this.drainWaiters.size > 0) {
      const waiters = [...this.drainWaiters];
      this.drainWaiters.clear();
      for (const w of waiters) w();
    }
  }

  /** Refuses further enqueues; jobs already enqueued still run (call `drain()` to wait for them). */
  close(): void {
    this.closed = true;
    for (let w = this.roomWaiters.shift(); w; w = this.roomWaiters.shift()) w();
  }

  private admit(entry: Entry): void {
    this.admitted++;
    const name = entry.job.lane;
    let lane = this.lanes.get(name);
    if (lane) {
      lane.jobs.push(entry);
      return; // a lane already known is running, sleeping, or ready: it will get to this job
    }
    lane = { name, jobs: new Fifo<Entry>(), state: "ready" };
    lane.jobs.push(entry);
    this.lanes.set(name, lane);
    this.ready(lane);
  }

  /** `lane` can run its head job: now when that job goes past the bounds, else when a slot is free. */
  private ready(lane: Lane): void {
    lane.state = "ready";
    if (lane.jobs.peek()?.job.pastBounds === true) {
      this.active++;
      lane.state = "running";
      void this.turn(lane);
      return;
    }
    this.readyLanes.push(lane);
    this.schedule();
  }

  private schedule(): void {
    while (this.active < this.concurrency) {
      const lane = this.readyLanes.shift();
      if (!lane) return;
      this.active++;
      lane.state = "running";
      void this.turn(lane);
    }
  }

  /** One try of the lane's head job, holding a concurrency slot. */
  private async turn(lane: Lane): Promise<void> {
    // Start on a later microtask: a job never runs inside the enqueue() call that queued it.
    await Promise.resolve();
    const entry = lane.jobs.peek();
    if (!entry) {
      // Cannot happen (a lane is deleted when it empties), but never leak the slot.
      this.active--;
      this.lanes.delete(lane.name);
      this.schedule();
      return;
    }
    const step = await this.attempt(entry);
    this.active--;
    if ("retryInMs" in step) {
      lane.state = "sleeping";
      this.schedule();
      try {
        await this.sleep(step.retryInMs);
      } catch {
        // an injected sleep that fails still means "time to try again"
      }
      this.ready(lane);
      return;
    }
    lane.jobs.shift();
    if (lane.jobs.length > 0) {
      this.ready(lane); // to the back: a long lane takes turns with the others
    } else {
      this.lanes.delete(lane.name);
    }
    this.schedule();
    // The next job of the lane does not wait for this one's ledger commit (they commit together);
    // whoever awaits this job's outcome does, so a delivered outcome is always on record.
    if (step.recorded) await step.recorded;
    this.finish(entry, step.outcome);
  }

  private async attempt(entry: Entry): Promise<Step> {
    const { job } = entry;
    entry.attempts++;
    if (entry.startedAt === 0) entry.startedAt = this.now();
    if (this.ledger && !entry.ledgerChecked && !job.firstTime) {
      try {
        const prior = await this.ledger.deliveredResult(job.key);
        entry.ledgerChecked = true;
        if (prior !== undefined) {
          this.logger.debug("already delivered, skipped", { key: job.key, lane: job.lane, describe: job.describe });
          return { outcome: prior === null ? { status: "duplicate" } : { status: "duplicate", result: prior } };
        }
      } catch (e) {
        // Running without knowing could post twice; a store hiccup is worth waiting out instead.
        return this.failed(entry, new TransientError("the delivery ledger could not be read", { cause: e }));
      }
    }
    let result: unknown;
    try {
      result = await job.run(entry.attempts);
    } catch (e) {
      return this.failed(entry, e);
    }
    if (job.awaitsConfirmation) {
      if (!this.confirmedEarly.delete(job.key)) {
        this.awaiting.set(job.key, result);
        this.unconfirmedChanged();
      }
      this.report(entry, true);
      return { outcome: { status: "sent", result, attempts: entry.attempts } };
    }
    const recorded = this.ledger?.markDelivered(job.key, ledgerValue(result)).catch((e: unknown) => {
      this.logger.error("delivered, but the ledger did not record it: a replay after a restart may repeat it", {
        key: job.key,
        lane: job.lane,
        describe: job.describe,
        error: describeFailure(e),
      });
    });
    this.report(entry, true);
    return {
      outcome: { status: "delivered", result, attempts: entry.attempts },
      ...(recorded !== undefined && { recorded }),
    };
  }

  private async failed(entry: Entry, error: unknown): Promise<Step> {
    const { job } = entry;
    let transient = false;
    try {
      transient = this.isTransient(error);
    } catch (e) {
      this.logger.warn("the failure classifier threw; the failure is taken as permanent", {
        job: job.describe,
        error: describeFailure(e),
      });
      transient = false;
    }
    try {
      this.o.onAttemptFailed?.({ lane: job.lane, transient });
    } catch {
      // a metric hook must not change the delivery
    }
    const retryable = entry.attempts < this.maxAttempts || this.now() - entry.startedAt < this.retryForMs;
    if (transient && retryable) {
      const retryAfterMs = error instanceof TransientError ? error.retryAfterMs : undefined;
      const retryInMs = retryDelayMs(
        { baseDelayMs: this.baseDelayMs, maxDelayMs: this.maxDelayMs, random: this.random },
        entry.attempts,
        retryAfterMs,
      );
      this.logger.debug("delivery failed, will retry", {
        key: job.key,
        lane: job.lane,
        describe: job.describe,
        attempts: entry.attempts,
        retryInMs,
        error: describeFailure(error),
      });
      return { retryInMs };
    }
    return { outcome: await this.deadLetter(entry, error) };
  }

  private async deadLetter(entry: Entry, error: unknown): Promise<DeliveryOutcome<unknown>> {
    const { job, attempts } = entry;
    const message = describeFailure(error).slice(0, 1000);
    this.logger.error("delivery failed, dead-lettered", {
      key: job.key,
      lane: job.lane,
      describe: job.describe,
      attempts,
      error: message,
    });
    try {
      this.o.onDeadLetter?.({ key: job.key, lane: job.lane, describe: job.describe, error, attempts });
    } catch (e) {
      this.logger.warn("onDeadLetter threw", { key: job.key, error: describeFailure(e) });
    }
    if (this.ledger?.dropUnconfirmed && job.awaitsConfirmation && !this.closed) {
      // The dead letter holds it now. While shutting down it stays unconfirmed instead: sent again at the next start.
      await this.ledger.dropUnconfirmed(job.key).catch((e: unknown) => {
        this.logger.warn("could not forget a dead-lettered delivery's unconfirmed record", {
          key: job.key,
          error: describeFailure(e),
        });
      });
    }
    if (this.ledger) {
      try {
        await this.ledger.addDeadLetter({
          key: job.key,
          lane: job.lane,
          payload: job.payload ?? "",
          error: message,
          attempts,
          at: this.now(),
        });
      } catch (e) {
        this.logger.error("the dead letter could not be recorded", { key: job.key, error: describeFailure(e) });
      }
    }
    this.report(entry, false);
    return { status: "dead", error, attempts };
  }

  private report(entry: Entry, ok: boolean): void {
    if (!this.o.onResult) return;
    try {
      this.o.onResult({
        key: entry.job.key,
        lane: entry.job.lane,
        ok,
        attempts: entry.attempts,
        ms: this.now() - entry.startedAt,
      });
    } catch (e) {
      this.logger.warn("onResult threw", { key: entry.job.key, error: describeFailure(e) });
    }
  }

  private depthChanged(): void {
    if (!this.o.onDepth) return;
    try {
      this.o.onDepth(this.byKey.size);
    } catch (e) {
      this.logger.warn("onDepth threw", { error: describeFailure(e) });
    }
  }

  private finish(entry: Entry, outcome: DeliveryOutcome<unknown>): void {
    if (this.byKey.get(entry.job.key) === entry) this.byKey.delete(entry.job.key);
    this.admitted--;
    while (this.admitted < this.maxPending) {
      const next = this.held.shift();
      if (!next) break;
      this.admit(next);
    }
    if (this.hasRoom) for (let w = this.roomWaiters.shift(); w; w = this.roomWaiters.shift()) w();
    entry.resolve(outcome);
    this.depthChanged();
    this.settledConfirmation();
  }
}
