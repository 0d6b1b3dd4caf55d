/**
 * What changed while the bridge was away in a channel's window, its last
 * messages up to the catch-up cursor: the network's listing of them,
 * compared with what was relayed (`RecentRelayed`), gives the edits to hand
 * over (a listed edit time the bridge did not relay with; one it has no
 * record of is handed over too, and the engine drops an edit it relayed
 * already), the deletions (relayed, and no longer listed or listed as a
 * tombstone) and the reactions added or removed.
 */
import type { RemoteEdit, RemoteReaction, RemoteUser } from "../connector/connector.ts";
import type { HistoryMessage } from "../connector/history.ts";
import { type ListedMessage, type RelayedMessage, windowChanges } from "../connector/recent-relayed.ts";
import type { Logger } from "../ops/logger-types.ts";

export interface WindowFound {
  /** Oldest message first. */
  readonly edits: readonly RemoteEdit[];
  readonly deletions: readonly string[];
  readonly reactions: readonly RemoteReaction[];
}

export interface WindowInput {
  readonly channel: string;
  /** The window's newest message (the cursor). */
  readonly upTo: string;
  /** The network's listing of the window, in any order. */
  readonly listed: readonly HistoryMessage[];
  /** The listing is a full page (a relayed message older than its oldest is not known to be gone). */
  readonly full: boolean;
  readonly recorded: readonly RelayedMessage[];
  readonly compare: (a: string, b: string) => number;
  /** A user by id, for a reaction removed by someone the listing no longer names. */
  readonly lookupUser?: (id: string) => Promise<RemoteUser | undefined>;
  readonly logger: Logger;
}

export async function changesInWindow(o: WindowInput): Promise<WindowFound> {
  const { compare } = o;
  const listed = o.listed.filter((m) => compare(m.id, o.upTo) <= 0).sort((a, b) => compare(a.id, b.id));
  const kept = new Map(o.recorded.map((r) => [r.id, r]));
  const edits: RemoteEdit[] = [];
  for (const item of listed) {
    const m = item.message;
    if (m === undefined || item.edited === undefined || item.gone === true) continue;
    if (kept.get(item.id)?.edited === String(item.edited)) continue;
    edits.push({ channel: m.channel, id: m.id, author: m.author, text: m.text, timestamp: item.edited });
  }
  const changes = windowChanges(o.recorded, listed.map(listedOf), { upTo: o.upTo, compare, full: o.full });
  const users = new Map<string, RemoteUser>();
  for (const item of listed) for (const r of item.reactions ?? []) for (const u of r.users) users.set(u.id, u);
  // A listing that does not say who reacted to a message tells nothing of its reactions.
  const withReactions = new Set(listed.filter((m) => m.reactions !== undefined).map((m) => m.id));
  const reactions: RemoteReaction[] = [];
  for (const x of changes.reactions) {
    if (!withReactions.has(x.id)) continue;
    const user = users.get(x.user) ?? (await lookup(o, x.user));
    if (user === undefined || user.isBridge === true) continue;
    reactions.push({ channel: o.channel, id: x.id, user, emoji: x.name, action: x.action });
  }
  return { edits, deletions: changes.deleted, reactions };
}

async function lookup(o: WindowInput, id: string): Promise<RemoteUser | undefined> {
  try {
    return await o.lookupUser?.(id);
  } catch (e) {
    o.logger.debug("a user whose reaction was removed could not be looked up", {
      user: id,
      error: e instanceof Error ? e.message : String(e),
    });
    return undefined;
  }
}

/** A listed message as the window's changes are found against it (reactions keyed by emoji and user id). */
function listedOf(m: HistoryMessage): ListedMessage {
  return {
    id: m.id,
    ...(m.edited !== undefined && { edited: String(m.edited) }),
    ...(m.gone === true && { gone: true }),
    ...(m.reactions !== undefined && {
      reactions: m.reactions.map((r) => ({
        name: r.emoji,
        users: r.users.filter((u) => u.isBridge !== true).map((u) => u.id),
        complete: r.complete,
      })),
    }),
  };
}
