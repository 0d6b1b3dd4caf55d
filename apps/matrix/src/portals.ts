/**
 * Portals: Matrix rooms linked with MUC rooms. A link comes from the config
 * or an admin (the channel is the Matrix room ID), and the bot joins the room
 * so it can invite ghosts; or a Matrix user joins `#<aliasPrefix><room>=<muc
 * domain>:<server>`, the homeserver asks the bridge about the alias, and the
 * bot creates a public room with that alias and links it with room@muc.
 *
 * Direct-message rooms between a ghost and a Matrix user are kept here too:
 * `dm:<room id>` -> who is in it, `dm-pair:<ghost> <user>` -> the room.
 */
import { type ConnectorHost, type Logger, logFailure, setBounded } from "@parley/bridge";
import { Preset, Visibility } from "matrix-js-sdk";
import type { HomeserverClients } from "./homeserver-clients.ts";
import { callHomeserver, describeMatrixError, errcodeOf } from "./matrix-errors.ts";
import { type MatrixNames, portalAliasLocalpart, roomJidOfAlias } from "./matrix-ids.ts";

/** A direct-message room: one ghost (an XMPP user) and one Matrix user. */
export interface DirectRoom {
  readonly ghost: string;
  readonly jid: string;
  readonly user: string;
}

export interface PortalsOptions {
  readonly names: MatrixNames;
  readonly clients: HomeserverClients;
  readonly logger: Logger;
}

/** DM rooms kept in memory; the store has them all. */
const DMS_KEPT = 10_000;

export class Portals {
  private readonly o: PortalsOptions;
  private host: ConnectorHost | undefined;
  /** Rooms the bot is in: one per bridged room or portal. */
  private readonly botRooms = new Set<string>();
  /** DM rooms, a cache of the store: at most DMS_KEPT, the oldest dropped. */
  private readonly dms = new Map<string, DirectRoom | null>();

  constructor(o: PortalsOptions) {
    this.o = o;
  }

  attach(host: ConnectorHost): void {
    this.host = host;
  }

  private get h(): ConnectorHost {
    if (!this.host) throw new Error("the Matrix connector is not started");
    return this.host;
  }

  isLinked(roomId: string): boolean {
    return this.host !== undefined && this.host.roomsOf(roomId).length > 0;
  }

  /** Notes the bot's membership as the homeserver reports it. */
  noteBotMembership(roomId: string, membership: string): void {
    if (membership === "join") this.botRooms.add(roomId);
    else this.botRooms.delete(roomId);
  }

  /** The bot joins a room; false (logged) when the room is private and nobody invited it. */
  async ensureBotIn(roomId: string): Promise<boolean> {
    if (this.botRooms.has(roomId)) return true;
    try {
      await callHomeserver("the bot joining a room", () => this.o.clients.bot.joinRoom(roomId), this.o.logger);
      this.botRooms.add(roomId);
      return true;
    } catch (e) {
      this.o.logger.warn("the bridge bot cannot join a linked Matrix room; invite it there", {
        room: roomId,
        bot: `@${this.o.names.botLocalpart}:${this.o.names.serverName}`,
        error: describeMatrixError(e),
      });
      return false;
    }
  }

  /**
   * The bot joins every linked room it is not in yet (at start; failures are
   * logged); resolves with the rooms it is in.
   */
  async joinLinkedRooms(): Promise<string[]> {
    const joined: string[] = [];
    for (const roomId of this.h.linkedChannels()) if (await this.ensureBotIn(roomId)) joined.push(roomId);
    return joined;
  }

  /** The joined members of a room the bot is in, with their profiles there. */
  async joinedMembers(roomId: string): Promise<Array<{ userId: string; displayName?: string; avatarUrl?: string }>> {
    const r = await callHomeserver(
      "listing a room's members",
      () => this.o.clients.bot.getJoinedRoomMembers(roomId),
      this.o.logger,
    );
    return Object.entries(r.joined).map(([userId, m]) => ({
      userId,
      ...(typeof m.display_name === "string" && { displayName: m.display_name }),
      ...(typeof m.avatar_url === "string" && { avatarUrl: m.avatar_url }),
    }));
  }

  /**
   * The homeserver asks whether a portal alias exists: for a valid room JID
   * the bot creates a public room with that alias and the room is linked.
   */
  async queryAlias(alias: string): Promise<boolean> {
    const room = roomJidOfAlias(alias, this.o.names);
    if (room === undefined) return false;
    const bot = this.o.clients.bot;
    const call = <T>(what: string, fn: () => Promise<T>) => callHomeserver(what, fn, this.o.logger);
    let roomId: string;
    try {
      const created = await call("creating a portal room", () =>
        bot.createRoom({
          room_alias_name: portalAliasLocalpart(room, this.o.names),
          visibility: Visibility.Public,
          preset: Preset.PublicChat,
          name: room,
          topic: `Bridged with the XMPP room xmpp:${room}?join`,
        }),
      );
      roomId = created.room_id;
    } catch (e) {
      // Already there (a second query raced this one): it exists.
      if (errcodeOf(e) === "M_ROOM_IN_USE") return true;
      throw e;
    }
    this.botRooms.add(roomId);
    try {
      await this.h.link(roomId, room);
    } catch (e) {
      this.o.logger.warn("a portal room could not be linked; its alias is removed again", {
        room,
        error: e instanceof Error ? e.message : String(e),
      });
      const fullAlias = `#${portalAliasLocalpart(room, this.o.names)}:${this.o.names.serverName}`;
      await bot
        .deleteAlias(fullAlias)
        .catch(logFailure(this.o.logger, "a portal alias could not be removed", "warn", { alias: fullAlias }));
      await bot
        .leave(roomId)
        .catch(logFailure(this.o.logger, "the bot could not leave a portal room", "warn", { roomId }));
      return false;
    }
    this.o.logger.info("created a portal room for an XMPP room", { room, roomId });
    return true;
  }

  // --- direct-message rooms ---------------------------------------------------

  async directRoom(roomId: string): Promise<DirectRoom | undefined> {
    const known = this.dms.get(roomId);
    if (known !== undefined) return known ?? undefined;
    const saved = await this.h.state.get(`dm:${roomId}`);
    const dm = saved !== undefined ? (JSON.parse(saved) as DirectRoom) : null;
    this.cacheDm(roomId, dm);
    return dm ?? undefined;
  }

  private cacheDm(roomId: string, dm: DirectRoom | null): void {
    setBounded(this.dms, roomId, dm, DMS_KEPT);
  }

  async rememberDirect(roomId: string, dm: DirectRoom): Promise<void> {
    await this.h.state.set(`dm:${roomId}`, JSON.stringify(dm));
    await this.h.state.set(`dm-pair:${dm.ghost} ${dm.user}`, roomId);
    this.cacheDm(roomId, dm);
  }

  async directRoomFor(ghost: string, user: string): Promise<string | undefined> {
    return this.h.state.get(`dm-pair:${ghost} ${user}`);
  }
}
