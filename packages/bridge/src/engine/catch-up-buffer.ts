/**
 * What a room catch-up has read from the room's archive and not relayed yet:
 * one reader puts messages in, in archive order, and one relayer takes them
 * out in the same order. It holds at most `max`: past that the reader waits
 * until the relayer has taken one, so a very long outage costs bounded memory
 * and is still read page by page from where the reader stopped.
 */
import { Fifo } from "../delivery/fifo.ts";

export class CatchUpBuffer<T> {
  private readonly items = new Fifo<T>();
  private readonly max: number;
  private ended = false;
  private cancelled = false;
  /** The relayer waiting for an item (one reader, one relayer: one waiter each at most). */
  private taker: (() => void) | undefined;
  /** The reader waiting for room. */
  private putter: (() => void) | undefined;

  constructor(max: number) {
    this.max = Math.max(1, Math.floor(max));
  }

  /** Items held now. */
  get length(): number {
    return this.items.length;
  }

  /** Adds `item` once there is room; false when the buffer was cancelled (the item is not kept). */
  async put(item: T): Promise<boolean> {
    while (!this.cancelled && this.items.length >= this.max) {
      await new Promise<void>((resolve) => {
        this.putter = resolve;
      });
    }
    if (this.cancelled) return false;
    this.items.push(item);
    this.wakeTaker();
    return true;
  }

  /** The oldest item, once there is one; undefined once the reader has ended and all is taken, or on cancel. */
  async take(): Promise<T | undefined> {
    while (!this.cancelled && !this.ended && this.items.length === 0) {
      await new Promise<void>((resolve) => {
        this.taker = resolve;
      });
    }
    if (this.cancelled) return undefined;
    const item = this.items.shift();
    this.wakePutter();
    return item;
  }

  /** The reader is done: the relayer takes what is left, then gets undefined. */
  end(): void {
    this.ended = true;
    this.wakeTaker();
  }

  /** The relayer stops: the reader's `put` returns false from now on, and what is held is dropped. */
  cancel(): void {
    this.cancelled = true;
    while (this.items.length > 0) this.items.shift();
    this.wakeTaker();
    this.wakePutter();
  }

  private wakeTaker(): void {
    const t = this.taker;
    this.taker = undefined;
    t?.();
  }

  private wakePutter(): void {
    const p = this.putter;
    this.putter = undefined;
    p?.();
  }
}
