/**
 * Work in flight by key: `add` chains a piece of work under a key, `settled`
 * says when everything chained under it so far has settled (at once when
 * nothing is), and a key is forgotten once its work is done. It never
 * rejects: whoever started the work reports its failure. The store uses it
 * to let lookups wait for the writes they must see, the engine to let actions
 * on a message wait until the message is mapped.
 */
const ignore = () => undefined;

export class KeyedChains {
  private readonly chains = new Map<string, Promise<void>>();

  /** Chains `work` under `key`. */
  add(key: string, work: Promise<unknown>): void {
    // One promise per piece of work (three behind earlier work): the store chains several per relayed message.
    const settle = () => {
      if (this.chains.get(key) === chain) this.chains.delete(key);
    };
    const before = this.chains.get(key);
    // The work's failure is taken at once (its starter reports it); `before` never rejects. No Promise.all behind
    // earlier work: its array and resolvers, for every write of a busy room, were a good part of a relayed
    // message's garbage.
    const done = before ? work.then(ignore, ignore) : undefined;
    const chain: Promise<void> = before ? before.then(() => done).then(settle) : work.then(settle, settle);
    this.chains.set(key, chain);
  }

  /** Settles once the work chained under `key` so far has; undefined when there is none in flight. */
  settled(key: string): Promise<void> | undefined {
    return this.chains.get(key);
  }

  /** Settles once every piece of work chained so far has. */
  async all(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}
