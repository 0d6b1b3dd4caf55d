/**
 * Which remote channels are linked to which MUC rooms. Links come from the
 * config file (re-read at every start) and from admins at runtime (kept in
 * the store); a channel may be linked to several rooms and a room to several
 * channels. Lookups are by lower-cased room JID, as JIDs compare.
 */
import type { BridgeStore, RoomLink } from "../store/index.ts";

export class RoomLinks {
  private readonly network: string;
  private readonly store: BridgeStore;
  /** The links, both ways: one entry per link the operator or an admin made, removed with it. */
  private readonly byChannel = new Map<string, Set<string>>();
  private readonly byRoom = new Map<string, Set<string>>();
  private readonly sources = new Map<string, RoomLink["source"]>();

  constructor(network: string, store: BridgeStore) {
    this.network = network;
    this.store = store;
  }

  /** Loads admin links from the store and adds the config links (stored too, so admins see them). */
  async load(configLinks: ReadonlyArray<{ channel: string; room: string }>): Promise<void> {
    for (const l of await this.store.listLinks(this.network)) this.remember(l.channel, l.room, l.source);
    for (const l of configLinks) {
      if (!this.has(l.channel, l.room)) await this.add(l.channel, l.room, "config");
    }
  }

  roomsOf(channel: string): string[] {
    return [...(this.byChannel.get(channel) ?? [])];
  }

  channelsOf(room: string): string[] {
    return [...(this.byRoom.get(room.toLowerCase()) ?? [])];
  }

  /** Every channel linked to at least one room. */
  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  allRooms(): string[] {
    return [...this.byRoom.keys()];
  }

  has(channel: string, room: string): boolean {
    return this.byChannel.get(channel)?.has(room.toLowerCase()) ?? false;
  }

  list(): RoomLink[] {
    const out: RoomLink[] = [];
    for (const [channel, rooms] of this.byChannel) {
      for (const room of rooms) {
        out.push({
          network: this.network,
          channel,
          room,
          source: this.sources.get(`${channel} ${room}`) ?? "config",
          createdAt: 0,
        });
      }
    }
    return out;
  }

  async add(channel: string, room: string, source: RoomLink["source"]): Promise<void> {
    const r = room.toLowerCase();
    await this.store.putLink({ network: this.network, channel, room: r, source, createdAt: Date.now() });
    this.remember(channel, r, source);
  }

  async remove(channel: string, room: string): Promise<boolean> {
    const r = room.toLowerCase();
    const removed = await this.store.removeLink(this.network, channel, r);
    const had = this.byChannel.get(channel)?.delete(r) ?? false;
    this.byRoom.get(r)?.delete(channel);
    if (this.byChannel.get(channel)?.size === 0) this.byChannel.delete(channel);
    if (this.byRoom.get(r)?.size === 0) this.byRoom.delete(r);
    this.sources.delete(`${channel} ${r}`);
    return removed || had;
  }

  private remember(channel: string, room: string, source: RoomLink["source"]): void {
    const r = room.toLowerCase();
    let rooms = this.byChannel.get(channel);
    if (!rooms) {
      rooms = new Set();
      this.byChannel.set(channel, rooms);
    }
    rooms.add(r);
    let channels = this.byRoom.get(r);
    if (!channels) {
      channels = new Set();
      this.byRoom.set(r, channels);
    }
    channels.add(channel);
    this.sources.set(`${channel} ${r}`, source);
  }
}
