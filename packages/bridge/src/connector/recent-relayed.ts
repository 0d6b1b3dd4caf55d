/**
 * What a connector relayed lately, per channel, for catching up on the
 * changes made to it while the bridge was away: the ids of the last
 * messages relayed (at most `size` per channel), each with the edit stamp
 * and the reactions it was last relayed with. Kept in the connector's state
 * (`recent:<channel>`, a JSON array; a message with nothing but its id is
 * written as its bare id, so a list of ids reads as one).
 *
 * At catch-up the connector lists the channel's last messages up to its
 * cursor and `windowChanges` compares them with what is kept here: a
 * message kept here that the network no longer lists (or lists as a
 * tombstone) was deleted, one whose edit stamp differs was edited, and
 * reactions listed and not kept (or kept and not listed) were added (or
 * removed). The live side keeps the list up to date with `relayed`,
 * `edited`, `reacted` and `deleted`, so what was relayed live is not
 * relayed again at the next catch-up.
 */
import type { Logger } from "../ops/logger-types.ts";
import type { ConnectorState } from "./connector.ts";

/** A message as it was last relayed. */
export interface RelayedMessage {
  readonly id: string;
  /** The network's stamp of its last edit relayed (Slack's `edited.ts`), when it was edited. */
  readonly edited?: string;
  /** Per reaction (the network's name for it), the users whose reaction was relayed. */
  readonly reactions?: Readonly<Record<string, readonly string[]>>;
}

/** A message as the network lists it at catch-up. */
export interface ListedMessage {
  readonly id: string;
  /** The stamp of its last edit, when it was edited. */
  readonly edited?: string;
  /** Listed, but only as the trace of a deleted message (Slack's tombstone of a thread's first message). */
  readonly gone?: boolean;
  /**
   * Its reactions: per reaction, who reacted; `complete` false when the
   * network lists only some of them (Slack's `users` is cut short of
   * `count`), so a user not listed may still have reacted.
   */
  readonly reactions?: readonly {
    readonly name: string;
    readonly users: readonly string[];
    readonly complete: boolean;
  }[];
}

export interface ReactionChange {
  readonly id: string;
  readonly name: string;
  readonly user: string;
  readonly action: "add" | "remove";
}

/** What changed in a channel's window since it was relayed: each to be handed to the engine once. */
export interface WindowChanges {
  /** Messages edited since (listed ones, oldest first). */
  readonly edited: readonly ListedMessage[];
  /** Ids of relayed messages that are gone. */
  readonly deleted: readonly string[];
  readonly reactions: readonly ReactionChange[];
}

export interface WindowOptions {
  /** The window's newest message (the catch-up cursor): newer ones are new messages, not changes. */
  readonly upTo: string;
  /** The network's order of message ids. */
  readonly compare: (a: string, b: string) => number;
  /**
   * The listing is a full page: it covers only back to its oldest message,
   * and a relayed message older than that is not known to be gone.
   */
  readonly full: boolean;
  /** Users whose reactions are not relayed (the bridge's own). */
  readonly ignoreUser?: (user: string) => boolean;
}

/**
 * What changed in a channel's window: `recorded` is what was relayed (see
 * RecentRelayed), `listed` what the network lists now, in any order.
 */
export function windowChanges(
  recorded: readonly RelayedMessage[],
  listed: readonly ListedMessage[],
  o: WindowOptions,
): WindowChanges {
  const inWindow = listed.filter((m) => o.compare(m.id, o.upTo) <= 0).sort((a, b) => o.compare(a.id, b.id));
  const byId = new Map(inWindow.map((m) => [m.id, m]));
  const oldest = o.full ? inWindow[0]?.id : undefined;
  const deleted: string[] = [];
  const edited: ListedMessage[] = [];
  const reactions: ReactionChange[] = [];
  const ignored = o.ignoreUser ?? (() => false);
  for (const r of recorded) {
    if (o.compare(r.id, o.upTo) > 0) continue;
    const now = byId.get(r.id);
    if (now === undefined || now.gone === true) {
      if (now !== undefined || oldest === undefined || o.compare(r.id, oldest) >= 0) deleted.push(r.id);
      continue;
    }
    if (now.edited !== undefined && now.edited !== r.edited) edited.push(now);
    reactions.push(...reactionChanges(r, now, ignored));
  }
  edited.sort((a, b) => o.compare(a.id, b.id));
  deleted.sort(o.compare);
  return { edited, deleted, reactions };
}

/** The reactions added to and removed from one message since it was relayed: removals first. */
function reactionChanges(
  before: RelayedMessage,
  now: ListedMessage,
  ignored: (user: string) => boolean,
): ReactionChange[] {
  const out: ReactionChange[] = [];
  const listed = new Map((now.reactions ?? []).map((r) => [r.name, r]));
  for (const [name, users] of Object.entries(before.reactions ?? {})) {
    const l = listed.get(name);
    if (l !== undefined && !l.complete) continue; // those not listed may still be there
    for (const user of users) {
      if (!ignored(user) && !l?.users.includes(user)) out.push({ id: now.id, name, user, action: "remove" });
    }
  }
  for (const l of now.reactions ?? []) {
    const had = before.reactions?.[l.name] ?? [];
    for (const user of l.users) {
      if (!ignored(user) && !had.includes(user)) out.push({ id: now.id, name: l.name, user, action: "add" });
    }
  }
  return out;
}

/** A listed message as it is relayed now (to keep after its changes were handed over). */
export function relayedAs(m: ListedMessage, ignoreUser: (user: string) => boolean = () => false): RelayedMessage {
  const reactions: Record<string, string[]> = {};
  for (const r of m.reactions ?? []) {
    const users = r.users.filter((u) => !ignoreUser(u));
    if (users.length > 0) reactions[r.name] = [...users];
  }
  return {
    id: m.id,
    ...(m.edited !== undefined && { edited: m.edited }),
    ...(Object.keys(reactions).length > 0 && { reactions }),
  };
}

export interface RecentRelayedOptions {
  readonly state: ConnectorState;
  readonly logger: Logger;
  /** Most messages kept per channel (the newest). */
  readonly size: number;
  /** The network's order of message ids. */
  readonly compare: (a: string, b: string) => number;
  /** Whether a string is a message id of the network (anything else read from the state is dropped). */
  readonly isId: (id: string) => boolean;
  /** Something changed that `flush` would write: the owner schedules it. */
  readonly changed?: () => void;
}

/** The last messages relayed per channel, with how they were relayed; see the module's comment. */
export class RecentRelayed {
  private readonly o: RecentRelayedOptions;
  /** Per channel, oldest first. */
  private readonly lists = new Map<string, RelayedMessage[]>();
  private readonly loading = new Map<string, Promise<RelayedMessage[]>>();
  private readonly dirty = new Set<string>();
  /** The changes noted so far, applied one after the other. */
  private chain: Promise<void> = Promise.resolve();

  constructor(o: RecentRelayedOptions) {
    this.o = o;
  }

  /** The messages kept for `channel`, oldest first, from memory or the state (after the changes noted so far). */
  async of(channel: string): Promise<readonly RelayedMessage[]> {
    await this.chain;
    return [...(await this.load(channel))];
  }

  /** A kept message of `channel` as it was last relayed, when it is kept. */
  async find(channel: string, id: string): Promise<RelayedMessage | undefined> {
    await this.chain;
    return (await this.load(channel)).find((m) => m.id === id);
  }

  /** A message of `channel` was relayed (as `m` tells, when it comes with an edit or reactions). */
  relayed(channel: string, m: RelayedMessage): Promise<void> {
    if (!this.o.isId(m.id)) return this.chain;
    return this.change(channel, (list) => {
      const last = list.at(-1);
      // The list is in id order: a message newer than the newest kept (most are) is not in it.
      const newest = last === undefined || this.o.compare(m.id, last.id) > 0;
      // Ids are unique in the list; one relayed again is most likely among the newest, at the end.
      const i = newest ? -1 : list.findLastIndex((x) => x.id === m.id);
      if (i >= 0) {
        list[i] = m;
        return true;
      }
      list.push(m);
      if (!newest) list.sort((a, b) => this.o.compare(a.id, b.id));
      if (list.length > this.o.size) list.splice(0, list.length - this.o.size);
      return true;
    });
  }

  /** A kept message was edited and the edit relayed. */
  edited(channel: string, id: string, stamp: string): Promise<void> {
    return this.update(channel, id, (m) => ({ ...m, edited: stamp }));
  }

  /** A user's reaction on a kept message was relayed. */
  reacted(channel: string, id: string, name: string, user: string, action: "add" | "remove"): Promise<void> {
    return this.update(channel, id, (m) => {
      const reactions: Record<string, readonly string[]> = { ...m.reactions };
      const users = (reactions[name] ?? []).filter((u) => u !== user);
      if (action === "add") users.push(user);
      if (users.length > 0) reactions[name] = users;
      else delete reactions[name];
      const { reactions: _, ...rest } = m;
      return Object.keys(reactions).length > 0 ? { ...rest, reactions } : rest;
    });
  }

  /** A message was deleted (and the deletion relayed): nothing more to catch up about it. */
  deleted(channel: string, id: string): Promise<void> {
    return this.change(channel, (list) => {
      const i = list.findIndex((x) => x.id === id);
      if (i < 0) return false;
      list.splice(i, 1);
      return true;
    });
  }

  /** Writes the channels changed since the last write (after the changes noted so far). */
  async flush(): Promise<void> {
    await this.chain;
    const channels = [...this.dirty];
    this.dirty.clear();
    for (const channel of channels) {
      const value = JSON.stringify((this.lists.get(channel) ?? []).map(serialized));
      await this.o.state.set(`recent:${channel}`, value).catch((e: unknown) => {
        this.o.logger.warn("the list of recently relayed messages could not be saved", {
          channel,
          error: e instanceof Error ? e.message : String(e),
        });
      });
    }
  }

  private update(channel: string, id: string, change: (m: RelayedMessage) => RelayedMessage): Promise<void> {
    return this.change(channel, (list) => {
      const i = list.findIndex((x) => x.id === id);
      const m = list[i];
      if (m === undefined) return false;
      list[i] = change(m);
      return true;
    });
  }

  /** Applies `change` to the channel's list, in the order changes were noted; `false` from it: nothing changed. */
  private change(channel: string, change: (list: RelayedMessage[]) => boolean): Promise<void> {
    this.chain = this.chain
      .then(() => this.load(channel))
      .then((list) => {
        if (change(list)) this.touch(channel);
      })
      .catch((e: unknown) =>
        this.o.logger.warn("the list of recently relayed messages could not be read", {
          channel,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    return this.chain;
  }

  private touch(channel: string): void {
    this.dirty.add(channel);
    this.o.changed?.();
  }

  private load(channel: string): Promise<RelayedMessage[]> {
    const known = this.lists.get(channel);
    if (known) return Promise.resolve(known);
    let loading = this.loading.get(channel);
    if (!loading) {
      loading = this.read(channel).then((list) => {
        this.loading.delete(channel);
        const raced = this.lists.get(channel);
        if (raced) return raced;
        this.lists.set(channel, list);
        return list;
      });
      this.loading.set(channel, loading);
    }
    return loading;
  }

  private async read(channel: string): Promise<RelayedMessage[]> {
    const saved = await this.o.state.get(`recent:${channel}`);
    try {
      const parsed: unknown = saved === undefined ? [] : JSON.parse(saved);
      if (!Array.isArray(parsed)) return [];
      return parsed
        .flatMap((x) => {
          const m = parsedMessage(x);
          return m !== undefined && this.o.isId(m.id) ? [m] : [];
        })
        .sort((a, b) => this.o.compare(a.id, b.id))
        .slice(-this.o.size);
    } catch {
      // A damaged value: nothing to catch up on in this channel this time.
      return [];
    }
  }
}

/** How a kept message is written: its bare id when that is all there is to it. */
function serialized(m: RelayedMessage): string | RelayedMessage {
  return m.edited === undefined && m.reactions === undefined ? m.id : m;
}

function parsedMessage(x: unknown): RelayedMessage | undefined {
  if (typeof x === "string") return { id: x };
  if (x === null || typeof x !== "object") return undefined;
  const r = x as Record<string, unknown>;
  if (typeof r.id !== "string") return undefined;
  const reactions: Record<string, string[]> = {};
  if (r.reactions !== null && typeof r.reactions === "object" && !Array.isArray(r.reactions)) {
    for (const [name, users] of Object.entries(r.reactions)) {
      if (!Array.isArray(users)) continue;
      const valid = users.filter((u): u is string => typeof u === "string");
      if (valid.length > 0) reactions[name] = valid;
    }
  }
  return {
    id: r.id,
    ...(typeof r.edited === "string" && { edited: r.edited }),
    ...(Object.keys(reactions).length > 0 && { reactions }),
  };
}
