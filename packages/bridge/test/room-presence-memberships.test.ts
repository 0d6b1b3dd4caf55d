/**
 * The rooms a member belongs to, as RoomPresence keeps them for presences
 * that name no channel: one room alone, a set for several, and back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Puppet } from "../src/engine/puppet-directory.ts";
import { RoomPresence } from "../src/engine/room-presence.ts";
import { silentLogger } from "../src/ops/logger-types.ts";

function puppet(local: string): Puppet {
  return {
    remoteId: local,
    local,
    displayName: local,
    avatarUrl: undefined,
    avatarHash: "",
    avatarMediaId: undefined,
    presence: undefined,
  };
}

describe("room presence: the rooms of a member", () => {
  const seated = new Map<string, Set<string>>();
  const presence = new RoomPresence({
    maxOccupants: 10,
    logger: silentLogger,
    seating: {
      seated: (room) => [...(seated.get(room) ?? [])],
      seatCount: (room) => seated.get(room)?.size ?? 0,
      join: async (p, room) => void seated.set(room, (seated.get(room) ?? new Set()).add(p.local)),
      leave: async (local, room) => void seated.get(room)?.delete(local),
      announce: async () => undefined,
      puppet: () => undefined,
    },
  });
  const online = { status: "online" } as const;

  it("knows one room, several, and fewer again as the member leaves them", async () => {
    const ada = puppet("ada");
    assert.deepEqual(presence.roomsOf("ada"), []);
    await presence.report("a@muc", ada, online);
    await presence.report("a@muc", ada, online);
    assert.deepEqual(presence.roomsOf("ada"), ["a@muc"]);
    await presence.report("b@muc", ada, online);
    await presence.report("c@muc", ada, online);
    assert.deepEqual([...presence.roomsOf("ada")].sort(), ["a@muc", "b@muc", "c@muc"]);
    presence.forget("b@muc", "ada");
    assert.deepEqual([...presence.roomsOf("ada")].sort(), ["a@muc", "c@muc"]);
    presence.forget("a@muc", "ada");
    assert.deepEqual(presence.roomsOf("ada"), ["c@muc"]);
    presence.forget("a@muc", "ada");
    assert.deepEqual(presence.roomsOf("ada"), ["c@muc"], "forgetting a room it is not in changes nothing");
    presence.forget("c@muc", "ada");
    assert.deepEqual(presence.roomsOf("ada"), []);
    await presence.report("d@muc", ada, online);
    assert.deepEqual(presence.roomsOf("ada"), ["d@muc"]);
  });
});
