/** The XMPP -> Matrix bench's arithmetic and names (the servers' figures themselves are not tested). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BurstFigures } from "@parley/testkit";
import {
  benchParts,
  catchUpRate,
  type OrderedBurst,
  synapseDatabase,
  toMatrixResults,
  toMatrixTable,
} from "../bench/xmpp-to-matrix-figures.ts";

const run = (msgsPerSec: number, messages = 1000): BurstFigures => ({
  messages,
  msgsPerSec,
  p50ms: 100,
  p99ms: 200,
  maxMs: 250,
  durationMs: (messages * 1000) / msgsPerSec,
});
const ordered = (msgsPerSec: number, outOfOrder: number, messages = 1000): OrderedBurst => ({
  ...run(msgsPerSec, messages),
  outOfOrder,
});
const on = { synapseDatabase: "postgres", loadAverage: [3.14, 2.96] } as const;

describe("XMPP -> Matrix bench results", () => {
  const results = toMatrixResults({
    oneRoom: {
      ...on,
      ceiling: [run(20), run(24), run(22)],
      bridge: [ordered(19, 0), ordered(23, 2), ordered(21, 0)],
      requestsPerMessage: 1,
      synapseCpuMsPerMessage: { ceiling: [40, 42, 41], bridge: [43, 41, 45] },
      plainRoom: { msgsPerSec: 24.04, synapseCpuMsPerMsg: 30.01 },
    },
    tenRooms: {
      ...on,
      ceiling: [run(160, 2000), run(140, 2000), run(150, 2000)],
      bridge: [ordered(150.04, 0, 2000), ordered(149, 0, 2000), ordered(151, 0, 2000)],
      requestsInFlight: 10,
      requestsPerMessage: 1.0004,
    },
    catchUp: { ...on, messages: 10_000, toMatrixMs: 500_000, toXmppMs: 100_000 },
    bridgeWarnings: 0,
  });

  it("names the ratio toMatrixVsCeiling: the median of the rounds' bridge over ceiling", () => {
    assert.equal(results.ratios.toMatrixVsCeiling, 0.955);
    assert.equal(results.figures.toMatrixMsgsPerSec, 21);
    assert.equal(results.figures.toMatrixCeilingMsgsPerSec, 22);
    assert.deepEqual(results.figures.toMatrixRoundRatios, [0.95, 0.958, 0.955]);
  });

  it("keeps the worst out-of-order count over rounds", () => {
    assert.equal(results.figures.toMatrixOutOfOrder, 2);
    assert.equal(results.figures.toMatrix10RoomsOutOfOrder, 0);
    assert.equal(results.figures.toMatrixSynapseCpuMsPerMsg, 43);
    assert.equal(results.figures.toMatrixCeilingSynapseCpuMsPerMsg, 41);
  });

  it("reports the ten rooms over rounds against their own ceiling, and the catch-up in each direction", () => {
    assert.equal(results.figures.toMatrix10RoomsMsgsPerSec, 150);
    assert.equal(results.figures.toMatrix10RoomsCeilingMsgsPerSec, 150);
    assert.equal(results.ratios.toMatrix10RoomsVsCeiling, 1.007, "the median of 0.938, 1.064 and 1.007");
    assert.equal(results.figures.toMatrix10RoomsRequestsPerMessage, 1);
    assert.deepEqual(results.figures.catchUpMsgsPerSec, { toMatrix: 20, toXmpp: 100 });
    assert.equal(catchUpRate(10, 0), 10_000_000);
  });

  it("says which database and load each part ran with", () => {
    assert.equal(results.figures.toMatrixSynapseDatabase, "postgres");
    assert.equal(results.figures.toMatrix10RoomsSynapseDatabase, "postgres");
    assert.equal(results.figures.catchUpSynapseDatabase, "postgres");
    assert.deepEqual(results.figures.catchUpLoadAverage, [3.1, 3]);
  });

  it("says which targets are met", () => {
    const table = toMatrixTable(results);
    assert.match(table, /1 room: 0\.955 .*MISSES target/);
    assert.match(table, /10 rooms: 150 msgs\/s,.*meets target/);
  });

  it("misses the ten-room target with one message out of order, however fast", () => {
    const unordered = toMatrixResults({
      tenRooms: {
        ...on,
        ceiling: [run(300, 2000)],
        bridge: [ordered(290, 1, 2000)],
        requestsInFlight: 10,
        requestsPerMessage: 1,
      },
      bridgeWarnings: 0,
    });
    assert.equal(unordered.figures.toMatrix10RoomsOutOfOrder, 1);
    assert.match(toMatrixTable(unordered), /10 rooms: 290 msgs\/s,.*MISSES target/);
  });

  it("writes only the parts that ran", () => {
    const alone = toMatrixResults({
      catchUp: { ...on, synapseDatabase: "sqlite", messages: 100, toMatrixMs: 10_000, toXmppMs: 1000 },
      bridgeWarnings: 2,
    });
    assert.deepEqual(alone.ratios, {});
    assert.equal(alone.figures.toMatrixMsgsPerSec, undefined);
    assert.equal(alone.figures.toMatrix10RoomsMsgsPerSec, undefined);
    assert.deepEqual(alone.figures.catchUpMsgsPerSec, { toMatrix: 10, toXmpp: 100 });
    const table = toMatrixTable(alone);
    assert.match(table, /catch-up of 100 \(0 missing\), XMPP -> Matrix \(sqlite\)/);
    assert.doesNotMatch(table, /1 room/);
  });
});

describe("XMPP -> Matrix bench settings", () => {
  it("runs every part on PostgreSQL unless told otherwise", () => {
    assert.deepEqual([...benchParts(undefined)], ["one-room", "ten-rooms", "catch-up"]);
    assert.deepEqual([...benchParts(" catch-up ")], ["catch-up"]);
    assert.equal(synapseDatabase(undefined), "postgres");
    assert.equal(synapseDatabase("sqlite"), "sqlite");
  });

  it("names the setting and the choices for a value it does not know", () => {
    assert.throws(() => benchParts("catchup"), /PARLEY_BENCH_PARTS: "catchup" .*one-room, ten-rooms, catch-up/);
    assert.throws(() => synapseDatabase("mysql"), /PARLEY_BENCH_SYNAPSE_DB must be postgres or sqlite/);
  });
});
