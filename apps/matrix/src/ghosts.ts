/**
 * XMPP users as Matrix ghost users of the application service. A ghost is
 * registered once (`m.login.application_service`, remembered in the
 * connector's state so a restart does not ask again), carries the XMPP avatar,
 * uploaded to the media repository as the ghost only when it changes, and is
 * brought into a room on first use: it joins, and where the room wants an
 * invitation the bot invites it first.
 *
 * Names are per room, as MUC nicks are: the global display name is the first
 * nick the ghost was seen with, and in a room where the user's nick differs
 * the ghost's membership event carries that nick (Matrix clients show the
 * room's member name). Changing the global name would rewrite the member
 * events of every room the ghost is in, so it is left alone.
 */
import { type ConnectorState, type Logger, setBounded, type XmppSender } from "@parley/bridge";
import type { HomeserverClients } from "./homeserver-clients.ts";
import { callHomeserver, errcodeOf } from "./matrix-errors.ts";
import { ghostUserId, jidOfGhost, type MatrixNames } from "./matrix-ids.ts";
import { registerAppserviceUser, setOwnMember } from "./matrix-rest.ts";
import { downloadFile } from "./media.ts";

/** What is remembered per ghost (state key `ghost:<user id>`). */
interface GhostRecord {
  registered: boolean;
  displayName?: string;
  /** The XMPP-side avatar URL last uploaded, and where it went. */
  avatarSource?: string;
  avatarMxc?: string;
}

export interface GhostsOptions {
  readonly names: MatrixNames;
  readonly clients: HomeserverClients;
  readonly state: ConnectorState;
  readonly logger: Logger;
  readonly media: { readonly maxBytes: number; readonly allowPrivateAddresses: boolean };
}

/** Memberships known without asking: `room user` -> membership. */
type Membership = "join" | "invite" | "leave" | "ban";

/** Ghost records kept in memory; the store has them all. */
const GHOST_RECORDS = 10_000;
/** Memberships and per-room names kept in memory (asked of the homeserver again past it). */
const ROOM_ENTRIES = 100_000;

export class Ghosts {
  private readonly o: GhostsOptions;
  /** Ghost -> its record, a cache of the store: at most GHOST_RECORDS, the least recently used dropped. */
  private readonly records = new Map<string, GhostRecord>();
  /** `room user` -> membership: at most ROOM_ENTRIES, the oldest dropped (asked of the homeserver again). */
  private readonly memberships = new Map<string, Membership>();
  /** Work in flight by key, removed as it settles. */
  private readonly pending = new Map<string, Promise<unknown>>();
  /** The name shown in a room where it is not the global one: `room user` -> name (at most ROOM_ENTRIES, oldest dropped). */
  private readonly roomNames = new Map<string, string>();

  constructor(o: GhostsOptions) {
    this.o = o;
  }

  userIdOf(jid: string): string {
    return ghostUserId(jid, this.o.names);
  }

  jidOf(userId: string): string | undefined {
    return jidOfGhost(userId, this.o.names);
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callHomeserver(what, fn, this.o.logger);
  }

  /** Runs `fn` once at a time per key: concurrent callers share the run in flight. */
  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.pending.get(key);
    if (running) return running as Promise<T>;
    const p = fn().finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  private async record(userId: string): Promise<GhostRecord> {
    let r = this.records.get(userId);
    if (!r) {
      const saved = await this.o.state.get(`ghost:${userId}`);
      r =
        this.records.get(userId) ?? (saved !== undefined ? (JSON.parse(saved) as GhostRecord) : { registered: false });
    }
    this.keep(userId, r);
    return r;
  }

  /** Keeps `r` as the most recently used record, dropping the least recently used past GHOST_RECORDS. */
  private keep(userId: string, r: GhostRecord): void {
    setBounded(this.records, userId, r, GHOST_RECORDS);
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.records.size + this.memberships.size + this.roomNames.size;
  }

  private async save(userId: string, r: GhostRecord): Promise<void> {
    this.keep(userId, r);
    await this.o.state.set(`ghost:${userId}`, JSON.stringify(r));
  }

  /** The ghost of `sender`, registered and showing their nick and avatar; resolves with its user ID. */
  async ensure(sender: XmppSender): Promise<string> {
    const userId = this.userIdOf(sender.jid);
    await this.once(`ensure ${userId}`, async () => {
      if (!(await this.record(userId)).registered) await this.register(userId);
      if (sender.nick !== "" && (await this.record(userId)).displayName === undefined) {
        await this.setName(userId, sender.nick);
      }
      if (sender.avatarUrl !== undefined && sender.avatarUrl !== (await this.record(userId)).avatarSource) {
        await this.setAvatar(userId, sender.avatarUrl);
      }
    });
    return userId;
  }

  private async register(userId: string): Promise<void> {
    const localpart = userId.slice(1, userId.lastIndexOf(":"));
    try {
      await this.call("registering a ghost", () => registerAppserviceUser(this.o.clients.bot, localpart));
    } catch (e) {
      if (errcodeOf(e) !== "M_USER_IN_USE") throw e;
    }
    await this.save(userId, { ...(await this.record(userId)), registered: true });
  }

  private async setName(userId: string, nick: string): Promise<void> {
    await this.call("setting a ghost's display name", () => this.o.clients.as(userId).setDisplayName(nick));
    await this.save(userId, { ...(await this.record(userId)), displayName: nick });
  }

  /** Uploads the avatar as the ghost; a failure leaves the old avatar and is only logged. */
  private async setAvatar(userId: string, source: string): Promise<void> {
    try {
      const file = await downloadFile(source, {
        maxBytes: Math.min(this.o.media.maxBytes, 4 * 1024 * 1024),
        allowPrivateAddresses: this.o.media.allowPrivateAddresses,
      });
      const client = this.o.clients.as(userId);
      const up = await this.call("uploading a ghost's avatar", () =>
        client.uploadContent(new Blob([file.bytes], { type: file.contentType }), {
          name: "avatar",
          type: file.contentType,
        }),
      );
      await this.call("setting a ghost's avatar", () => client.setAvatarUrl(up.content_uri));
      await this.save(userId, { ...(await this.record(userId)), avatarSource: source, avatarMxc: up.content_uri });
      // The homeserver rewrote the ghost's member events with its global profile: room names are shown again on use.
      this.forgetRoomNames(userId);
    } catch (e) {
      this.o.logger.warn("could not set a ghost's avatar; it keeps the old one", {
        error: e instanceof Error ? e.message : String(e),
      });
      // Not tried again for the same URL until it changes.
      this.keep(userId, { ...(await this.record(userId)), avatarSource: source });
    }
  }

  /**
   * The name a ghost shows in a room (its nick there), else its own name;
   * undefined when the bridge never named it.
   */
  async nameIn(roomId: string, userId: string): Promise<string | undefined> {
    return this.roomNames.get(`${roomId} ${userId}`) ?? (await this.record(userId)).displayName;
  }

  /**
   * Shows `nick` as the ghost's name in a room it has joined: a membership
   * event of its own when the nick is not the name the room shows already.
   */
  async showNameIn(roomId: string, userId: string, nick: string): Promise<void> {
    if (nick === "") return;
    const key = `${roomId} ${userId}`;
    const record = await this.record(userId);
    if ((this.roomNames.get(key) ?? record.displayName) === nick) return;
    await this.once(`name ${key}`, async () => {
      await this.call("setting a ghost's name in a room", () =>
        setOwnMember(this.o.clients.as(userId), roomId, userId, {
          membership: "join",
          displayname: nick,
          ...(record.avatarMxc !== undefined && { avatar_url: record.avatarMxc }),
        }),
      );
      setBounded(this.roomNames, key, nick, ROOM_ENTRIES);
    });
  }

  private forgetRoomNames(userId: string): void {
    for (const key of this.roomNames.keys()) if (key.endsWith(` ${userId}`)) this.roomNames.delete(key);
  }

  /** Notes a membership the homeserver told about (a ghost's own membership events). */
  noteMembership(roomId: string, userId: string, membership: string): void {
    const key = `${roomId} ${userId}`;
    if (membership === "join" || membership === "invite" || membership === "ban") {
      setBounded(this.memberships, key, membership, ROOM_ENTRIES);
    } else {
      this.memberships.delete(key);
      this.roomNames.delete(key); // a new join shows the global name again
    }
  }

  isJoined(roomId: string, userId: string): boolean {
    return this.memberships.get(`${roomId} ${userId}`) === "join";
  }

  /** Brings the ghost into the room: joins, and when the room wants an invitation, the bot invites it first. */
  async ensureIn(roomId: string, userId: string): Promise<void> {
    if (this.isJoined(roomId, userId)) return;
    await this.once(`join ${roomId} ${userId}`, async () => {
      const client = this.o.clients.as(userId);
      try {
        await this.call("joining a ghost to a room", () => client.joinRoom(roomId));
      } catch (e) {
        if (errcodeOf(e) !== "M_FORBIDDEN") throw e;
        await this.call("inviting a ghost to a room", () => this.o.clients.bot.invite(roomId, userId));
        await this.call("joining a ghost to a room", () => client.joinRoom(roomId));
      }
      this.noteMembership(roomId, userId, "join");
    });
  }

  async leave(roomId: string, userId: string): Promise<void> {
    if (this.memberships.get(`${roomId} ${userId}`) !== "join") {
      // Not known to be in: a leave of a room it is not in fails harmlessly, but costs a request.
      if (this.memberships.has(`${roomId} ${userId}`)) return;
    }
    try {
      await this.call("a ghost leaving a room", () => this.o.clients.as(userId).leave(roomId));
    } catch (e) {
      if (errcodeOf(e) !== "M_FORBIDDEN") throw e;
    }
    this.noteMembership(roomId, userId, "leave");
  }

  async setPresence(userId: string, presence: "online" | "unavailable" | "offline", message?: string): Promise<void> {
    await this.call("setting a ghost's presence", () =>
      this.o.clients.as(userId).setPresence({ presence, ...(message !== undefined && { status_msg: message }) }),
    );
  }
}
