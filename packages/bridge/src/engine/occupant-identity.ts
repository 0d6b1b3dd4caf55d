/**
 * Who an occupant of a room is, for the other network, when the room does
 * not tell their real JID: the room's occupant-id (XEP-0421) is stable across
 * nick changes, so the occupant is named by the occupant JID they first spoke
 * or were seen under (`room@service/first-nick`) as long as their occupant-id
 * stays the same. A nick change then keeps the same puppet or ghost on the
 * other side, and their earlier messages stay theirs to correct or retract.
 * Without occupant-id, the nick they had when the relay first saw them, kept
 * across the nick changes the room announced while the bridge was there.
 *
 * Kept in the store (so a restart keeps the same names), one key per room and
 * occupant-id, hashed to a fixed length; in memory at most MAX_CACHED.
 */

import { createHash } from "node:crypto";
import { setBounded } from "../connector/bounded-map.ts";
import type { BridgeStore } from "../store/index.ts";

const SCOPE = "engine";
const MAX_CACHED = 10_000;
/** A year: an occupant who returns within it keeps their name on the other side. */
const KEPT_MS = 365 * 24 * 3_600_000;

export class OccupantIdentities {
  private readonly store: Pick<BridgeStore, "getState" | "setState">;
  /** Store key -> the occupant JID; the oldest dropped past MAX_CACHED (the store has them all). */
  private readonly cached = new Map<string, string>();

  constructor(store: Pick<BridgeStore, "getState" | "setState">) {
    this.store = store;
  }

  /** The JID that names this occupant of `room` on the other side: the real bare JID when known. */
  async jidOf(
    room: string,
    o: { readonly nick: string; readonly jid?: string; readonly occupantId?: string; readonly firstNick?: string },
  ): Promise<string> {
    if (o.jid !== undefined) return o.jid;
    const current = `${room}/${o.firstNick ?? o.nick}`;
    if (o.occupantId === undefined || o.occupantId === "") return current;
    const key = `occupant-identity ${createHash("sha256").update(`${room.toLowerCase()}\n${o.occupantId}`).digest("base64url")}`;
    const known = this.cached.get(key) ?? (await this.store.getState(SCOPE, key));
    const jid = known ?? current;
    if (known === undefined) await this.store.setState(SCOPE, key, jid, { ttlMs: KEPT_MS });
    setBounded(this.cached, key, jid, MAX_CACHED);
    return jid;
  }

  get size(): number {
    return this.cached.size;
  }
}
