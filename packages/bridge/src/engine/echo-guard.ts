/**
 * The loop rule's second half: a network echoes back what the bridge did
 * (the edit or deletion it made comes back as an event). Connectors flag their
 * own bot/webhook authors with `isBridge`, but a deletion event often carries
 * no author at all; so the engine notes each action before asking the network
 * for it and swallows the one echo that follows.
 */
import { addBounded } from "../connector/bounded-map.ts";

export type EchoKind = "edit" | "delete" | "moderated";

export class EchoGuard {
  /** "kind id" of each echo awaited: at most `limit` (10,000 by default), the oldest dropped. */
  private readonly expected = new Set<string>();
  private readonly limit: number;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  /**
   * Notes that the network will echo `kind` on remote message `id`; or, for
   * `moderated`, that the room will broadcast the moderation the bridge asked
   * for (`id` is then "room stanza-id"), whose remote message is already gone.
   */
  expect(kind: EchoKind, id: string): void {
    addBounded(this.expected, `${kind} ${id}`, this.limit);
  }

  /** True (once) when the event is the echo of something the bridge did. */
  consume(kind: EchoKind, id: string): boolean {
    return this.expected.delete(`${kind} ${id}`);
  }
}
