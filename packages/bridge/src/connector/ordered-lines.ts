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

export interface OrderedLinesOptions {
  /** Tasks waiting or running per key before new ones are refused (default 10,000; `Infinity` for no bound). */
  readonly maxPerKey?: number;
  /** A task threw or rejected; its line goes on. `what` is the label given to `push` or `run`. Must not throw. */
  readonly onError: (key: string, error: unknown, what: string | undefined) => void;
  /** A task was refused because its key's line was full. */
  readonly onOverflow?: (key: string, what: string | undefined) => void;
}

export type OrderedTask = () => Promise<void> | void;

interface Line {
  /** Tasks waiting or running. */
  length: number;
  /** Settles once the last task pushed so far has run. */
  tail: Promise<void>;
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
    const ran = this.enqueue(key, task, what);
    return ran === undefined ? Promise.resolve(false) : ran.then(() => true);
  }

  /**
   * Resolves once every task queued so far, under any key, has run; or after
   * `withinMs` when given (a stopping connector drains what it was handed for
   * that long at most).
   */
  async idle(withinMs?: number): Promise<void> {
    const drained = Promise.allSettled([...this.lines.values()].map((line) => line.tail));
    if (withinMs === undefined) {
      await drained;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
  }

  private enqueue(key: string, task: OrderedTask, what: string | undefined): Promise<void> | undefined {
    const line = this.lines.get(key);
    if (line === undefined) {
      const fresh: Line = { length: 1, tail: Promise.resolve() };
      this.lines.set(key, fresh);
      this.queued++;
      fresh.tail = this.step(key, fresh, task, what);
      return fresh.tail;
    }
    if (line.length >= this.maxPerKey) {
      this.o.onOverflow?.(key, what);
      return undefined;
    }
    line.length++;
    this.queued++;
    const next = () => this.step(key, line, task, what);
    // Runs after the task before it, even if reporting that one's failure threw.
    line.tail = line.tail.then(next, next);
    return line.tail;
  }

  private async step(key: string, line: Line, task: OrderedTask, what: string | undefined): Promise<void> {
    try {
      await task();
    } catch (e) {
      this.o.onError(key, e, what);
    } finally {
      line.length--;
      this.queued--;
      if (line.length === 0 && this.lines.get(key) === line) this.lines.delete(key);
    }
  }
}
