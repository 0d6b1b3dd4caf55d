/**
 * The loop rule's second half: a network echoes back what the bridge did
 * (the edit or deletion it made comes back as an event). Connectors flag their
 * own bot/webhook authors with `isBridge`, but a deletion event often carries
 * no author at all; so the engine notes each action before asking the network
 * for it and swallows the one echo that follows.
 */
export type EchoKind = "edit" | "delete" | "moderated";

export class EchoGuard {
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
    this.expected.add(`${kind} ${id}`);
    if (this.expected.size > this.limit) {
      const oldest = this.expected.values().next().value;
      if (oldest !== undefined) this.expected.delete(oldest);
    }
  }

  /** True (once) when the event is the echo of something the bridge did. */
  consume(kind: EchoKind, id: string): boolean {
    return this.expected.delete(`${kind} ${id}`);
  }
}
