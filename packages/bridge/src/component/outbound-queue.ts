/**
 * The component's outbound queue. Stanzas wait here while the connection is
 * down or the socket is full; the queue holds at most `maxItems` stanzas and
 * `maxBytes` bytes. Past either bound, `push` makes the producer wait for room
 * (backpressure) instead of growing memory or dropping anything; a producer
 * that waits longer than `maxWaitMs` gets a QueueFullError it can act on.
 */

export class QueueFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueueFullError";
  }
}

export interface QueuedItem {
  readonly data: string;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export interface OutboundQueueOptions {
  readonly maxItems?: number;
  readonly maxBytes?: number;
  /** How long `push` may wait for room before failing. */
  readonly maxWaitMs?: number;
}

export class OutboundQueue {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly maxWaitMs: number;
  /**
   * Stanzas from `head` on; the slots before it are emptied as they are
   * written (a written stanza is not kept) and cut off once they are half the
   * array.
   */
  private readonly items: Array<QueuedItem | undefined> = [];
  private head = 0;
  private bytesQueued = 0;
  private readonly waiting: Array<() => boolean> = [];

  constructor(o: OutboundQueueOptions = {}) {
    this.maxItems = o.maxItems ?? 10_000;
    this.maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
    this.maxWaitMs = o.maxWaitMs ?? 60_000;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesQueued;
  }

  private hasRoom(bytes: number): boolean {
    return this.length < this.maxItems && (this.length === 0 || this.bytesQueued + bytes <= this.maxBytes);
  }

  /** Queues `data`; resolves when it has been written to a socket. Waits for room when the queue is full. */
  push(data: string): Promise<void> {
    const bytes = Buffer.byteLength(data);
    // With room (the usual case) queued at once: one promise per stanza, no async step before it is in line.
    if (this.hasRoom(bytes)) return this.enter(data, bytes);
    return this.waitForRoom(bytes).then(() => this.enter(data, bytes));
  }

  private enter(data: string, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.items.push({ data, bytes, resolve, reject });
      this.bytesQueued += bytes;
    });
  }

  private waitForRoom(bytes: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(check);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(
          new QueueFullError(
            `the outbound queue stayed full (${this.length} stanzas, ${this.bytesQueued} bytes) for ${this.maxWaitMs} ms`,
          ),
        );
      }, this.maxWaitMs);
      const check = () => {
        if (!this.hasRoom(bytes)) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      this.waiting.push(check);
    });
  }

  /** The next item, without removing it. */
  peek(): QueuedItem | undefined {
    return this.items[this.head];
  }

  /** Removes the head once it has been written, and lets waiting producers in. */
  shift(): QueuedItem | undefined {
    const item = this.items[this.head];
    if (!item) return undefined;
    this.items[this.head] = undefined;
    this.head++;
    this.bytesQueued -= item.bytes;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    while (this.waiting.length > 0 && (this.waiting[0] as () => boolean)()) this.waiting.shift();
    return item;
  }

  /** Fails everything queued (on a final stop). */
  rejectAll(error: Error): void {
    for (let item = this.shift(); item; item = this.shift()) item.reject(error);
  }
}
