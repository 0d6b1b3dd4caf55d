import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import { type ConnectorState, silentLogger } from "@parley/bridge";
import { MissedEvents, type TimelinePage } from "../src/missed-events.ts";
import { RECOVERY_WATCH_MS, Transactions } from "../src/transactions.ts";

function memoryState(): ConnectorState {
  const data = new Map<string, string>();
  return { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
}

const ev = (room: string, n: number, ts = 1_000_000 + n) => ({
  type: "m.room.message",
  room_id: room,
  sender: "@bob:hs",
  event_id: `$${room}-${n}`,
  origin_server_ts: ts,
  content: { body: `m${n}` },
});

/** A homeserver's rooms: their timelines, read newest first in pages of `size`; `down` answers fail. */
function homeserver(size = 2) {
  const timelines = new Map<string, ReturnType<typeof ev>[]>();
  let down = 0;
  const reads: string[] = [];
  return {
    timelines,
    reads,
    goDown(times: number) {
      down = times;
    },
    add(room: string, ...ns: number[]) {
      const t = timelines.get(room) ?? [];
      for (const n of ns) t.push(ev(room, n));
      timelines.set(room, t);
    },
    async page(roomId: string, from: string | undefined): Promise<TimelinePage> {
      reads.push(`${roomId} ${from ?? "end"}`);
      if (down > 0) {
        down--;
        throw new Error("connect ECONNREFUSED");
      }
      const t = [...(timelines.get(roomId) ?? [])].reverse();
      const start = from === undefined ? 0 : Number(from);
      const chunk = t.slice(start, start + size);
      return { chunk, ...(start + size < t.length && { end: String(start + size) }) };
    },
  };
}

describe("events the homeserver lost when it went away", () => {
  test("after a restart, every room is read back to its last handled event and the rest is handed over in order, before the next transaction", async () => {
    const hs = homeserver();
    const relayed: string[] = [];
    const handlers = {
      event: async (raw: unknown) => void relayed.push(String((raw as { event_id: string }).event_id)),
      ephemeral: async () => {},
    };
    const missed = new MissedEvents({
      page: (r, f) => hs.page(r, f),
      rooms: () => ["!a", "!b"],
      handle: (raw) => handlers.event(raw),
      logger: silentLogger,
      now: () => 1_000_000,
    });
    const t = new Transactions({ state: memoryState(), handlers, logger: silentLogger, missed });
    hs.add("!a", 1, 2);
    await t.receive("1", { events: [ev("!a", 1), ev("!a", 2)] });
    // The homeserver accepted 3..6 in !a and 1 in !b, pushed none of them, and went away.
    hs.add("!a", 3, 4, 5, 6);
    hs.timelines.set("!b", [ev("!b", 0, 999_000)]); // before the bridge started: not for this read-back
    hs.add("!b", 1);
    hs.goDown(3);
    t.homeserverGone("the homeserver closed its connection");
    // Its first transaction once back: 6 (it had it in a transaction after all) and 7, new. They are
    // the homeserver's to send, in its order; what lies before them in the room is read back.
    hs.add("!a", 7);
    await t.receive("1", { events: [ev("!a", 6), ev("!a", 7)] });
    assert.deepEqual(relayed, ["$!a-1", "$!a-2", "$!a-3", "$!a-4", "$!a-5", "$!b-1", "$!a-6", "$!a-7"]);
    // !a was read back page by page to event 2 (3 refusals while the homeserver was away, then 3 pages).
    assert.deepEqual(
      hs.reads.filter((r) => r.startsWith("!a")),
      ["!a end", "!a end", "!a end", "!a end", "!a 2", "!a 4"],
    );
    // Nothing is due any more: the next transaction reads nothing back.
    const before = hs.reads.length;
    await t.receive("2", { events: [ev("!a", 8)] });
    assert.equal(hs.reads.length, before);
    assert.equal(relayed.at(-1), "$!a-8");
    await t.close();
  });

  test("a transaction numbered anew (the homeserver restarted unseen) has the rooms read back before it", async () => {
    const hs = homeserver();
    const relayed: string[] = [];
    const handlers = {
      event: async (raw: unknown) => void relayed.push(String((raw as { event_id: string }).event_id)),
      ephemeral: async () => {},
    };
    const missed = new MissedEvents({
      page: (r, f) => hs.page(r, f),
      rooms: () => ["!a"],
      handle: (raw) => handlers.event(raw),
      logger: silentLogger,
      now: () => 1_000_000,
    });
    const state = memoryState();
    const t = new Transactions({ state, handlers, logger: silentLogger, missed });
    hs.add("!a", 1, 2);
    await t.receive("1", { events: [ev("!a", 1)] });
    await t.receive("2", { events: [ev("!a", 2)] });
    // A transaction sent again is no sign of anything: nothing is read back.
    await t.receive("2", { events: [ev("!a", 2)] });
    assert.equal(hs.reads.length, 0);
    // Accepted, never pushed; nothing told the bridge; then the homeserver numbers from 1.
    hs.add("!a", 3, 4);
    await t.receive("1", { events: [ev("!a", 4)] });
    assert.deepEqual(relayed, ["$!a-1", "$!a-2", "$!a-3", "$!a-4"]);
    // And numbering on from there reads nothing back (though "2" was handled before, with other events).
    const reads = hs.reads.length;
    hs.add("!a", 5);
    await t.receive("2", { events: [ev("!a", 5)] });
    assert.equal(hs.reads.length, reads);
    // A bridge that restarted too knows no last number: an id it handled before, with other events, says the same.
    const again = new Transactions({ state, handlers, logger: silentLogger, missed });
    hs.add("!a", 6, 7);
    await again.receive("2", { events: [ev("!a", 7)] });
    assert.deepEqual(relayed.slice(4), ["$!a-5", "$!a-6", "$!a-7"]);
    await t.close();
    await again.close();
  });

  test("a transaction number skipped while the homeserver recovers has the rooms read back before the next; later gaps do not", async () => {
    const hs = homeserver();
    const relayed: string[] = [];
    const handlers = {
      event: async (raw: unknown) => void relayed.push(String((raw as { event_id: string }).event_id)),
      ephemeral: async () => {},
    };
    let now = 1_000_000;
    const missed = new MissedEvents({
      page: (r, f) => hs.page(r, f),
      rooms: () => ["!a"],
      handle: (raw) => handlers.event(raw),
      logger: silentLogger,
      now: () => now,
    });
    const t = new Transactions({ state: memoryState(), handlers, logger: silentLogger, missed, now: () => now });
    // Just started: the homeserver's recoverer sends its backlog (40, 41), leaves 42 unsent, sends 43.
    hs.add("!a", 1, 2, 3, 4);
    await t.receive("40", { events: [ev("!a", 1)] });
    await t.receive("41", { events: [ev("!a", 2)] });
    await t.receive("43", { events: [ev("!a", 4)] });
    assert.deepEqual(relayed, ["$!a-1", "$!a-2", "$!a-3", "$!a-4"]);
    // Long after, a gap is another service's transactions: nothing is read back.
    now += RECOVERY_WATCH_MS + 1;
    const reads = hs.reads.length;
    hs.add("!a", 5, 6);
    await t.receive("50", { events: [ev("!a", 6)] });
    assert.equal(hs.reads.length, reads);
    assert.deepEqual(relayed.slice(4), ["$!a-6"]);
    // A refused transaction starts the watch again (the homeserver's recoverer sends what follows).
    const refusing = new Transactions({
      state: memoryState(),
      handlers: {
        ...handlers,
        event: async (raw: unknown) => {
          if ((raw as { event_id: string }).event_id === "$!a-7") throw new Error("the engine could not take it");
          await handlers.event(raw);
        },
      },
      logger: silentLogger,
      missed,
      now: () => now,
    });
    now += RECOVERY_WATCH_MS + 1;
    hs.add("!a", 7);
    await assert.rejects(refusing.receive("60", { events: [ev("!a", 7)] }));
    await refusing.idle();
    hs.add("!a", 8, 9);
    await refusing.receive("61", { events: [ev("!a", 8)] });
    await refusing.receive("63", { events: [ev("!a", 9)] });
    assert.ok(hs.reads.length > reads, "the rooms were read back before 63");
    await t.close();
    await refusing.close();
  });

  test("when the homeserver sends nothing once back, its rooms are read back all the same", async () => {
    const hs = homeserver();
    const relayed: string[] = [];
    const handlers = {
      event: async (raw: unknown) => void relayed.push(String((raw as { event_id: string }).event_id)),
      ephemeral: async () => {},
    };
    const missed = new MissedEvents({
      page: (r, f) => hs.page(r, f),
      rooms: () => ["!a"],
      handle: (raw) => handlers.event(raw),
      logger: silentLogger,
      now: () => 1_000_000,
    });
    const t = new Transactions({ state: memoryState(), handlers, logger: silentLogger, missed });
    hs.add("!a", 1);
    await t.receive("1", { events: [ev("!a", 1)] });
    hs.add("!a", 2, 3);
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      t.homeserverGone("the homeserver closed its connection");
      mock.timers.tick(10_000);
    } finally {
      mock.timers.reset();
    }
    await t.idle();
    assert.deepEqual(relayed, ["$!a-1", "$!a-2", "$!a-3"]);
    await t.close();
  });

  test("a room the homeserver refuses to show (4xx) is given up at once; nothing due, nothing read", async () => {
    const reads: string[] = [];
    const missed = new MissedEvents({
      page: async (roomId) => {
        reads.push(roomId);
        throw Object.assign(new Error("M_FORBIDDEN"), { httpStatus: 403 });
      },
      rooms: () => ["!gone"],
      handle: async () => {},
      logger: silentLogger,
    });
    assert.equal(await missed.catchUp(), 0);
    assert.deepEqual(reads, []);
    missed.suspect("test");
    assert.equal(await missed.catchUp(), 0);
    assert.deepEqual(reads, ["!gone"]);
  });
});
