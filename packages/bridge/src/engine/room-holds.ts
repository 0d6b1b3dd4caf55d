/**
 * The repairs holding one room (after a dropped link, or when the room
 * refused a message): while one runs, the engine's senders wait, so that
 * nothing new overtakes what the repair sends again; but a repair that hangs
 * must not stop the room for good.
 */
export class RoomHolds {
  private readonly running = new Set<Promise<unknown>>();

  /** Holds the room until `work` settles; returns `work`. */
  add<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const release = () => this.running.delete(work);
    work.then(release, release);
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /** Waits until no repair holds the room (one taken meanwhile counts too), or `maxHoldMs` passed. */
  async waitOut(maxHoldMs: number): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), maxHoldMs);
    });
    try {
      while (this.running.size > 0) {
        if ((await Promise.race([Promise.allSettled([...this.running]), timedOut])) === "timeout") return;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
