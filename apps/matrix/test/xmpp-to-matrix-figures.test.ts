/** The XMPP -> Matrix bench's arithmetic and names (the servers' figures themselves are not tested). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BurstFigures } from "@parley/testkit";
import { catchUpRate, type OrderedBurst, toMatrixResults, toMatrixTable } from "../bench/xmpp-to-matrix-figures.ts";

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

describe("XMPP -> Matrix bench results", () => {
  const results = toMatrixResults({
    ceiling: [run(20), run(24), run(22)],
    bridge: [ordered(19, 0), ordered(23, 2), ordered(21, 0)],
    tenRooms: ordered(150.04, 0, 2000),
    tenRoomsCeiling: run(160, 2000),
    catchUp: { messages: 10_000, toMatrixMs: 500_000, toXmppMs: 100_000 },
    bridgeWarnings: 0,
    requestsPerMessage: 1,
    tenRoomsRequestsInFlight: 10,
    synapseCpuMsPerMessage: { ceiling: [40, 42, 41], bridge: [43, 41, 45] },
    plainRoom: { msgsPerSec: 24.04, synapseCpuMsPerMsg: 30.01 },
  });

  it("names the ratio toMatrixVsCeiling: median bridge over median ceiling", () => {
    assert.deepEqual(results.ratios, { toMatrixVsCeiling: 0.955 });
    assert.equal(results.figures.toMatrixMsgsPerSec, 21);
    assert.equal(results.figures.toMatrixCeilingMsgsPerSec, 22);
    assert.deepEqual(results.figures.toMatrixRoundRatios, [0.95, 0.958, 0.955]);
  });

  it("keeps the worst out-of-order count over rounds", () => {
    assert.equal(results.figures.toMatrixOutOfOrder, 2);
    assert.equal(results.figures.toMatrixSynapseCpuMsPerMsg, 43);
    assert.equal(results.figures.toMatrixCeilingSynapseCpuMsPerMsg, 41);
  });

  it("reports the ten rooms and the catch-up in each direction", () => {
    assert.equal(results.figures.toMatrix10RoomsMsgsPerSec, 150);
    assert.deepEqual(results.figures.catchUpMsgsPerSec, { toMatrix: 20, toXmpp: 100 });
    assert.equal(catchUpRate(10, 0), 10_000_000);
  });

  it("says which targets are met", () => {
    const table = toMatrixTable(results);
    assert.match(table, /1 room: 0\.955 .*MISSES target/);
    assert.match(table, /10 rooms: 150 msgs\/s .*meets target/);
  });
});
