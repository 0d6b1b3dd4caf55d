/**
 * RoomPresence without a server: the rooms a member belongs to, as it keeps
 * them for presences that name no channel (one room alone, a set for
 * several, and back); and seats taken a few at a time over all rooms, so a
 * start that reports thousands of present members does not send the server
 * thousands of joins at once (each costs the room a presence per occupant,
 * all to the bridge); and who of the members not known present keeps a seat
 * through an "offline": those who spoke or joined the channel.
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

describe("room presence: seats taken at once", () => {
  it("joins at most eight puppets at a time over all rooms, and seats everyone in the end", async () => {
    const seated = new Map<string, Set<string>>();
    let inFlight = 0;
    let most = 0;
    const answers: Array<() => void> = [];
    const presence = new RoomPresence({
      maxOccupants: 5,
      logger: silentLogger,
      seating: {
        seated: (room) => [...(seated.get(room) ?? [])],
        seatCount: (room) => seated.get(room)?.size ?? 0,
        join: async (p, room) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise<void>((resolve) => answers.push(resolve));
          inFlight--;
          seated.set(room, (seated.get(room) ?? new Set()).add(p.local));
        },
        leave: async () => undefined,
        announce: async () => undefined,
        puppet: () => undefined,
      },
    });
    const reports: Promise<void>[] = [];
    for (let r = 0; r < 30; r++) {
      for (let m = 0; m < 3; m++) reports.push(presence.report(`room${r}@muc`, puppet(`m${m}`), { status: "online" }));
    }
    // The room answers the joins in flight, a tick at a time, until every lane is done.
    const done = Promise.all(reports);
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      await new Promise((r) => setImmediate(r));
      assert.ok(inFlight <= 8, `${inFlight} joins in flight`);
      for (const answer of answers.splice(0)) answer();
    }
    assert.equal(most, 8, "the storm is cut to eight at a time");
    for (let r = 0; r < 30; r++) assert.equal(seated.get(`room${r}@muc`)?.size, 3);
  });

  it("gives the turn back when a join fails", async () => {
    let calls = 0;
    const presence = new RoomPresence({
      maxOccupants: 5,
      logger: silentLogger,
      seating: {
        seated: () => [],
        seatCount: () => 0,
        join: async () => {
          calls++;
          throw new Error("no answer from the room");
        },
        leave: async () => undefined,
        announce: async () => undefined,
        puppet: () => undefined,
      },
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, r) => presence.report(`room${r}@muc`, puppet("ada"), { status: "online" })),
    );
    assert.equal(calls, 20, "twenty failed joins did not use up the eight turns");
  });
});

describe("room presence: members who speak while offline", () => {
  it("keeps them seated through offlines that change nothing, within the cap, and does not seat them again once evicted", async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_000 });
    const room = "r@muc";
    const seated = new Set<string>();
    const puppets = new Map<string, Puppet>();
    const presence = new RoomPresence({
      maxOccupants: 2,
      logger: silentLogger,
      seating: {
        seated: () => [...seated],
        seatCount: () => seated.size,
        join: async (p) => void seated.add(p.local),
        leave: async (local) => void seated.delete(local),
        announce: async () => undefined,
        puppet: (local) => puppets.get(local),
      },
    });
    const offline = { status: "offline" } as const;
    const member = (local: string): Puppet => {
      const p = { ...puppet(local), presence: offline };
      puppets.set(local, p);
      return p;
    };
    /** What the engine does when a member speaks: their puppet joins, then the room hears they spoke. */
    const speaks = async (p: Puppet) => {
      t.mock.timers.tick(10);
      seated.add(p.local);
      await presence.spoke(room, p);
      await presence.idle();
    };
    const [ada, bob, cy, dee] = [member("ada"), member("bob"), member("cy"), member("dee")];

    await presence.report(room, ada, offline);
    await presence.report(room, bob, offline);
    assert.deepEqual([...seated], [], "offline members are not seated");
    await speaks(ada);
    await speaks(bob);
    await presence.report(room, ada, offline);
    await presence.report(room, bob, offline);
    assert.deepEqual([...seated].sort(), ["ada", "bob"], "an offline that changes nothing keeps them");

    // Cy speaks too: the room holds two, and Ada, the least active, leaves.
    await speaks(cy);
    assert.deepEqual([...seated].sort(), ["bob", "cy"]);

    // Dee is present but waits: both seated spoke since. Cy goes online, then offline for real, and leaves.
    dee.presence = { status: "online" };
    await presence.report(room, dee, dee.presence);
    assert.deepEqual([...seated].sort(), ["bob", "cy"]);
    cy.presence = { status: "online" };
    await presence.report(room, cy, cy.presence);
    cy.presence = offline;
    await presence.report(room, cy, offline);
    // The free seat goes to Dee, present, not to Ada: evicted while offline, she waits for no seat.
    assert.deepEqual([...seated].sort(), ["bob", "dee"]);
  });
});

describe("room presence: what counts as a change to offline", () => {
  const setup = () => {
    const room = "r@muc";
    const seated = new Set<string>();
    const presence = new RoomPresence({
      maxOccupants: 5,
      logger: silentLogger,
      seating: {
        seated: () => [...seated],
        seatCount: () => seated.size,
        join: async (p) => void seated.add(p.local),
        leave: async (local) => void seated.delete(local),
        announce: async () => undefined,
        puppet: () => undefined,
      },
    });
    return { room, seated, presence };
  };

  it("takes out a member seated as listed in the channel who did not speak, and keeps one who did", async () => {
    const { room, seated, presence } = setup();
    const [ada, bob] = [puppet("ada"), puppet("bob")];
    // What the engine reports for members listed in the channel (at start, on linking), their presence unknown.
    await presence.report(room, ada, { status: "online" });
    await presence.report(room, bob, { status: "online" });
    await presence.spoke(room, bob);
    // Bob is listed again: still nothing said of his presence.
    await presence.report(room, bob, { status: "online" });
    ada.presence = { status: "offline" };
    bob.presence = { status: "offline" };
    await presence.report(room, ada, ada.presence);
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated], ["bob"], "Bob spoke: the network's first word, offline, is no change");
    bob.presence = { status: "online" };
    await presence.report(room, bob, bob.presence);
    bob.presence = { status: "offline" };
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated], [], "online, then offline, is a change");
  });

  it("keeps a member never reported who spoke, however often they speak before the network says offline", async () => {
    const { room, seated, presence } = setup();
    const ada = puppet("ada");
    seated.add("ada");
    await presence.spoke(room, ada);
    await presence.spoke(room, ada);
    ada.presence = { status: "offline" };
    await presence.report(room, ada, ada.presence);
    await presence.spoke(room, ada);
    await presence.report(room, ada, ada.presence);
    assert.deepEqual([...seated], ["ada"]);
  });
});

describe("room presence: members who join while offline", () => {
  const setup = (maxOccupants: number) => {
    const room = "r@muc";
    const seated = new Set<string>();
    const announced: string[] = [];
    const puppets = new Map<string, Puppet>();
    const presence = new RoomPresence({
      maxOccupants,
      logger: silentLogger,
      seating: {
        seated: () => [...seated],
        seatCount: () => seated.size,
        join: async (p) => void seated.add(p.local),
        leave: async (local) => void seated.delete(local),
        announce: async (p) => void announced.push(p.local),
        puppet: (local) => puppets.get(local),
      },
    });
    const member = (local: string): Puppet => {
      const p = puppet(local);
      puppets.set(local, p);
      return p;
    };
    /** What the engine does when a member leaves the channel: forgotten, and out after any seating queued. */
    const leaves = async (p: Puppet) => {
      presence.forget(room, p.local);
      await presence.queue(room, async () => void seated.delete(p.local));
    };
    return { room, seated, announced, presence, member, leaves };
  };

  it("seats a member reported offline who joins, keeps them through offlines that change nothing, and takes them out on a real change", async () => {
    const { room, seated, announced, presence, member } = setup(5);
    const ada = member("ada");
    ada.presence = { status: "offline" };
    await presence.report(room, ada, ada.presence);
    assert.deepEqual([...seated], [], "an offline member is not seated");
    await presence.joined(room, ada);
    assert.deepEqual([...seated], ["ada"], "she joined: she is there");
    assert.deepEqual(announced, [], "shown available, as the join said: no presence more");
    await presence.report(room, ada, ada.presence);
    await presence.report(room, ada, ada.presence);
    assert.deepEqual([...seated], ["ada"], "still offline: no change");
    ada.presence = { status: "idle" };
    await presence.report(room, ada, ada.presence);
    assert.deepEqual(announced, ["ada"], "idle is shown");
    ada.presence = { status: "offline" };
    await presence.report(room, ada, ada.presence);
    assert.deepEqual([...seated], [], "idle, then offline, is a change");
  });

  it("keeps a member never reported who joins through the network's first offline, and seats them again when they leave and join again", async () => {
    const { room, seated, presence, member, leaves } = setup(5);
    const bob = member("bob");
    await presence.joined(room, bob);
    bob.presence = { status: "offline" };
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated], ["bob"], "the network's first word, offline, is no change for one who joined");
    await leaves(bob);
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated], [], "he left");
    await presence.joined(room, bob);
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated], ["bob"], "he joined again, offline as before: seated");
  });

  it("keeps the cap: an offline member who joined is evicted first and waits for no seat", async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_000 });
    const { room, seated, presence, member } = setup(2);
    const [ada, bob, cy] = [member("ada"), member("bob"), member("cy")];
    ada.presence = { status: "offline" };
    bob.presence = { status: "online" };
    cy.presence = { status: "online" };
    await presence.joined(room, ada);
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated].sort(), ["ada", "bob"]);
    // Bob speaks, then Cy: the room holds two, and Ada, who never spoke, gives her seat to Cy.
    t.mock.timers.tick(10);
    await presence.spoke(room, bob);
    t.mock.timers.tick(10);
    seated.add("cy");
    await presence.spoke(room, cy);
    await presence.idle();
    assert.deepEqual([...seated].sort(), ["bob", "cy"]);
    // Bob goes offline for real: his seat is free, and Ada, offline and evicted, does not take it.
    bob.presence = { status: "offline" };
    await presence.report(room, bob, bob.presence);
    assert.deepEqual([...seated], ["cy"]);
  });
});
