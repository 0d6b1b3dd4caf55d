/**
 * `connectors.<network>.roomPresence`: how many of a channel's present
 * members sit in each linked room. The section belongs to every connector's
 * own schema (each includes `roomPresenceOptionsSchema`), and the engine reads
 * it from there, so it is written next to the network it concerns.
 */
import { z } from "zod";

/** A room of the default size shows who is around without a guild of thousands flooding it. */
export const DEFAULT_ROOM_OCCUPANTS = 50;
/** Beyond this a room is a member list, not a room; XMPP servers cap rooms near here too. */
export const MAX_ROOM_OCCUPANTS = 5_000;

/** Optional in a connector's section (connectors take no part in it; the engine applies the defaults). */
export const roomPresenceOptionsSchema = z
  .strictObject({
    /** Puppets seated in one room at most: the most recently active present members first. */
    maxOccupants: z.int().min(0).max(MAX_ROOM_OCCUPANTS).default(DEFAULT_ROOM_OCCUPANTS),
  })
  .optional();

export type RoomPresenceOptions = NonNullable<z.output<typeof roomPresenceOptionsSchema>>;

/** What `connectors.<network>.roomPresence` says, defaults applied (the connector's schema validated it already). */
export function roomPresenceOptionsOf(section: Readonly<Record<string, unknown>> | undefined): RoomPresenceOptions {
  const parsed = roomPresenceOptionsSchema.safeParse(section?.roomPresence ?? {});
  return parsed.success && parsed.data !== undefined ? parsed.data : { maxOccupants: DEFAULT_ROOM_OCCUPANTS };
}

/** How to fix `roomPresence.maxOccupants`, for connectors' error messages. */
export const ROOM_PRESENCE_FIX = `write roomPresence: { maxOccupants: N }, the most puppets of present members one room shows, from 0 to ${MAX_ROOM_OCCUPANTS} (default ${DEFAULT_ROOM_OCCUPANTS}), or remove it`;
