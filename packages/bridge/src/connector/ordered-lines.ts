/**
 * One ordered line per key: tasks pushed under the same key run one at a time,
 * in the order they were pushed, while different keys run in parallel. The
 * engine keeps one line per room (what a room says is relayed in the order it
 * was said); a connector keeps its network's events in a line, so that an
 * edit never overtakes the message it edits and catch-up finishes before
 * the live events that follow it.
 *
 * A task that throws is reported to `onError` and its line goes on. A line
 * holds at most `maxPerKey` tasks (waiting or running); what comes beyond
 * that is refused and reported to `onOverflow`, so that a stuck key costs
 * bounded memory and never holds up another key. A task pushed to an idle
 * line starts at once, inside `push`.
 */
import { Fifo } from "../delivery/fifo.ts";

export interface OrderedLinesOptions {
  /** Tasks waiting or running per key before new ones are refused (default 10,000; `Infinity` for no bound). */
  readonly maxPerKey?: number;
  /** A task threw or rejected; its line goes on. `what` is the label given to `push` or `run`. Must not throw. */
  readonly onError: (key: string, error: unknown, what: string | undefined) => void;
  /** A task was refused because its key's line was full. */
  readonly onOverflow?: (key: string, what: string | undefined) => void;
}

export type OrderedTask = () => Promise<void> | void;

/** A task in its line, with whoever waits for it to have run (`run`, `idle`). */
interface Queued {
  readonly task: OrderedTask;
  readonly what: string | undefined;
  ran?: Array<() => void>;
}

/**
 * A key's tasks, the running one first. A line costs one entry per task
 * waiting, not a promise and a closure each: a connector handed a backlog of
 * thousands of events holds them all here at once.
 */
interface Line {
  readonly tasks: Fifo<Queued>;
  /** The last task pushed so far (what `idle` waits for). */
  last: Queued;
}

export class OrderedLines {
  private readonly lines = new Map<string, Line>();
  private readonly maxPerKey: number;
  private readonly o: OrderedLinesOptions;
  private queued = 0;

  constructor(o: OrderedLinesOptions) {
    this.o = o;
    this.maxPerKey = Math.max(1, Math.floor(o.maxPerKey ?? 10_000));
  }

  /** Tasks waiting or running, over every key. */
  get size(): number {
    return this.queued;
  }

  /** Keys with tasks waiting or running. */
  get keys(): number {
    return this.lines.size;
  }

  /** Queues `task` behind the key's earlier tasks; false (and `onOverflow`) when the key's line is full. */
  push(key: string, task: OrderedTask, what?: string): boolean {
    return this.enqueue(key, task, what) !== undefined;
  }

  /**
   * Queues `task` like `push`; resolves true once it has run (whether or not it
   * threw: that went to `onError`), or false at once when the line was full.
   */
  run(key: string, task: OrderedTask, what?: string): Promise<boolean> {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    // Told before it may start: a task pushed to an idle line runs (and may finish) inside `enqueue`.
    if (this.enqueue(key, task, what, () => resolve(true)) === undefined) resolve(false);
    return promise;
  }

  /**
   * Resolves once every task queued so far, under any key, has run; or after
   * `withinMs` when given (a stopping connector drains what it was handed for
   * that long at most).
   */
  async idle(withinMs?: number): Promise<void> {
    const drained = Promise.all(
      [...this.lines.values()].map((line) => new Promise<void>((resolve) => whenRan(line.last, resolve))),
    );
    if (withinMs === undefined) {
      await drained;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
  }

  private enqueue(key: string, task: OrderedTask, what: string | undefined, told?: () => void): Queued | undefined {
    const queued: Queued = told === undefined ? { task, what } : { task, what, ran: [told] };
    const line = this.lines.get(key);
    if (line === undefined) {
      const fresh: Line = { tasks: new Fifo<Queued>(), last: queued };
      fresh.tasks.push(queued);
      this.lines.set(key, fresh);
      this.queued++;
      void this.drain(key, fresh);
      return queued;
    }
    if (line.tasks.length >= this.maxPerKey) {
      this.o.onOverflow?.(key, what);
      return undefined;
    }
    line.tasks.push(queued);
    line.last = queued;
    this.queued++;
    return queued;
  }

  /**
   * Runs a line's tasks, one after another, until it is empty; the first
   * starts at once (inside `push`). A task stays at the head of its line while
   * it runs, so that it counts toward the bound.
   */
  private async drain(key: string, line: Line): Promise<void> {
    for (let queued = line.tasks.peek(); queued !== undefined; queued = line.tasks.peek()) {
      try {
        const running = queued.task();
        if (running !== undefined) await running;
      } catch (e) {
        this.reportError(key, e, queued.what);
      }
      line.tasks.shift();
      this.queued--;
      if (queued.ran !== undefined) for (const told of queued.ran) told();
    }
    if (this.lines.get(key) === line) this.lines.delete(key);
  }

  private reportError(key: string, e: unknown, what: string | undefined): void {
    try {
      this.o.onError(key, e, what);
    } catch (thrown) {
      // `onError` must not throw; one that does is a bug, shown as one, and the line goes on all the same.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}

function whenRan(queued: Queued, told: () => void): void {
  queued.ran ??= [];
  queued.ran.push(told);
}
