/**
 * Which linked channels each member is known to be in, for presence
 * polling. Most members are in one linked channel: that one is kept as the
 * channel's id itself (a string the events already hold), and a set only
 * for a member in more than one, so a member costs a map entry, not a map
 * entry and a set.
 */
export class MemberChannels {
  /** Member -> their linked channel, or a set of two or more. Bound: the members of linked channels, each once. */
  private readonly of = new Map<string, string | Set<string>>();

  get size(): number {
    return this.of.size;
  }

  has(id: string, channel: string): boolean {
    const c = this.of.get(id);
    return c === channel || (typeof c === "object" && c.has(channel));
  }

  add(id: string, channel: string): void {
    const c = this.of.get(id);
    if (c === undefined) this.of.set(id, channel);
    else if (typeof c === "string") {
      if (c !== channel) this.of.set(id, new Set([c, channel]));
    } else c.add(channel);
  }

  /** Drops `channel` from the member's; how many linked channels they are still known in. */
  remove(id: string, channel: string): number {
    const c = this.of.get(id);
    if (c === undefined) return 0;
    if (typeof c === "string") {
      if (c !== channel) return 1;
      this.of.delete(id);
      return 0;
    }
    c.delete(channel);
    const [only] = c;
    if (c.size === 1 && only !== undefined) this.of.set(id, only);
    else if (c.size === 0) this.of.delete(id);
    return c.size;
  }

  /** The member's linked channels, as a new array. */
  list(id: string): string[] {
    const c = this.of.get(id);
    return c === undefined ? [] : typeof c === "string" ? [c] : [...c];
  }
}
