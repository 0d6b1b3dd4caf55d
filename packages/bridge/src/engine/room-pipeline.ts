/**
 * One ordered line per room: what a room says is taken up in the order it was
 * said, one step at a time, while rooms go on in parallel. A step is the part
 * of relaying that decides what goes out (who said it, with which avatar, as
 * which text) up to handing it to the delivery queue, whose lanes then keep
 * the order of the sends; it never waits for a send. A step that fails is
 * reported and the line goes on; a room whose line is full (its steps are
 * stuck behind a long wait) drops what comes next and says so, so that a
 * stuck room costs bounded memory and never holds up another room.
 */
import { Fifo } from "../delivery/fifo.ts";

export interface RoomPipelineOptions {
  /** Steps waiting per room before new ones are dropped (default 10,000). */
  readonly maxPerRoom?: number;
  /** A step threw (the line goes on). */
  readonly onError: (room: string, error: unknown) => void;
  /** A step was dropped because the room's line was full. */
  readonly onOverflow: (room: string) => void;
}

type Step = () => Promise<void>;

export class RoomPipeline {
  private readonly lines = new Map<string, Fifo<Step>>();
  private readonly maxPerRoom: number;
  private readonly o: RoomPipelineOptions;

  constructor(o: RoomPipelineOptions) {
    this.o = o;
    this.maxPerRoom = Math.max(1, Math.floor(o.maxPerRoom ?? 10_000));
  }

  /** Rooms with steps waiting or running. */
  get size(): number {
    return this.lines.size;
  }

  /** Queues `step` behind the room's earlier steps; false (and `onOverflow`) when the room's line is full. */
  push(room: string, step: Step): boolean {
    const line = this.lines.get(room);
    if (line) {
      if (line.length >= this.maxPerRoom) {
        this.o.onOverflow(room);
        return false;
      }
      line.push(step);
      return true;
    }
    const fresh = new Fifo<Step>();
    fresh.push(step);
    this.lines.set(room, fresh);
    void this.run(room, fresh);
    return true;
  }

  /** Runs the room's steps until its line is empty; the head stays in the line while it runs. */
  private async run(room: string, line: Fifo<Step>): Promise<void> {
    for (let step = line.peek(); step; step = line.peek()) {
      try {
        await step();
      } catch (e) {
        this.o.onError(room, e);
      }
      line.shift();
    }
    this.lines.delete(room);
  }
}
