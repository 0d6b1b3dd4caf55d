/**
 * `waitFor` for a fake network (Discord, Slack): a predicate over the fake's
 * state, re-checked after every request and event (and every 50 ms, for state
 * the fake cannot see change, like a client's cache). A predicate that throws
 * counts as "not yet"; on timeout the error names what was awaited, the
 * predicate's last error and the last requests, which is usually where the
 * answer is.
 */

interface Waiter {
  readonly check: () => void;
  readonly abort: (e: Error) => void;
}

export class Waiters {
  private readonly pending = new Set<Waiter>();
  private readonly fake: string;
  private readonly recentLabel: string;
  private readonly recentRequests: () => string[];
  private readonly defaultTimeoutMs: number;

  /**
   * `fake` names the fake in errors ("fake Slack"), `recentLabel` what
   * `recentRequests` lists ("last Web API calls").
   */
  constructor(o: {
    readonly fake: string;
    readonly recentLabel: string;
    readonly recentRequests: () => string[];
    readonly defaultTimeoutMs: number;
  }) {
    this.fake = o.fake;
    this.recentLabel = o.recentLabel;
    this.recentRequests = o.recentRequests;
    this.defaultTimeoutMs = o.defaultTimeoutMs;
  }

  waitFor<T>(predicate: () => T | undefined | null | false, o: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let lastError: unknown;
      const check = () => {
        let v: T | undefined | null | false;
        try {
          v = predicate();
        } catch (e) {
          lastError = e;
          return;
        }
        if (v === undefined || v === null || v === false) return;
        cleanup();
        resolve(v);
      };
      const waiter: Waiter = {
        check,
        abort: (e) => {
          cleanup();
          reject(e);
        },
      };
      const poll = setInterval(check, 50);
      const timer = setTimeout(() => {
        const why = lastError instanceof Error ? `\nlast predicate error: ${lastError.message}` : "";
        const recent = this.recentRequests().map((r) => `  ${r}`);
        waiter.abort(
          new Error(
            `${this.fake}: timed out after ${timeoutMs} ms waiting for ${o.what ?? "the predicate"}${why}\n` +
              `${this.recentLabel}:\n${recent.join("\n") || "  (none)"}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        this.pending.delete(waiter);
        clearInterval(poll);
        clearTimeout(timer);
      };
      this.pending.add(waiter);
      check();
    });
  }

  /** Something changed: every pending predicate is checked again. */
  changed(): void {
    for (const w of [...this.pending]) w.check();
  }

  /** Fails every pending wait (the fake is stopping). */
  abortAll(reason: string): void {
    for (const w of [...this.pending]) w.abort(new Error(reason));
  }
}
