/**
 * `waitFor` for the fake Slack: a predicate over the fake's state, checked
 * again after every call, event and ack (and every 50 ms). A predicate that
 * throws counts as "not yet"; on timeout the error names what was awaited,
 * the predicate's last error and the last Web API calls.
 */

interface Waiter {
  readonly check: () => void;
  readonly abort: (e: Error) => void;
}

export class Waiters {
  private readonly pending = new Set<Waiter>();
  private readonly recent: () => string[];

  constructor(recent: () => string[]) {
    this.recent = recent;
  }

  waitFor<T>(predicate: () => T | undefined | null | false, o: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? 10_000;
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
        const recent = this.recent().map((r) => `  ${r}`);
        waiter.abort(
          new Error(
            `fake Slack: timed out after ${timeoutMs} ms waiting for ${o.what ?? "the predicate"}${why}\n` +
              `last Web API calls:\n${recent.join("\n") || "  (none)"}`,
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

  changed(): void {
    for (const w of [...this.pending]) w.check();
  }

  abortAll(reason: string): void {
    for (const w of [...this.pending]) w.abort(new Error(reason));
  }
}
