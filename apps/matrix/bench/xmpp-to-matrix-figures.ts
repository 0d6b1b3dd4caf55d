/**
 * What the XMPP -> Matrix bench keeps in results.json and prints: one XMPP
 * user's bursts into one room through the bridge against a bare Matrix
 * client's sequential PUTs to one room (the ceiling) over alternating
 * rounds, bursts into ten rooms at once, and catch-up after an outage in
 * each direction. Kept next to the Matrix -> XMPP figures, under names of
 * their own (`toMatrix…`, `catchUp…`).
 */
import {
  type BenchResults,
  type BurstFigures,
  compareRounds,
  markdownTable,
  median,
  roundTo,
  targetVerdict,
} from "@parley/testkit";

/** Targets of issue 16: the ceiling's pace in one room, and matrix-bifrost's 148 msgs/s across ten. */
export const TO_MATRIX_TARGETS = { vsCeiling: 0.9, tenRoomsMsgsPerSec: 148 } as const;

/** A burst seen on the Matrix side: its figures and how many messages the room shows out of order. */
export interface OrderedBurst extends BurstFigures {
  readonly outOfOrder: number;
}

export interface ToMatrixFigures {
  readonly toMatrixRounds: number;
  readonly toMatrixMessages: number;
  readonly toMatrixMsgsPerSec: number;
  readonly toMatrixCeilingMsgsPerSec: number;
  readonly toMatrixP50ms: number;
  readonly toMatrixP99ms: number;
  readonly toMatrixCeilingP50ms: number;
  readonly toMatrixCeilingP99ms: number;
  readonly toMatrixRoundRatios: readonly number[];
  /** The most messages out of order in one run of the bridge (target 0). */
  readonly toMatrixOutOfOrder: number;
  readonly toMatrix10RoomsMessages: number;
  readonly toMatrix10RoomsMsgsPerSec: number;
  /** The bare client's sequential PUTs, one chain per room, all ten at once. */
  readonly toMatrix10RoomsCeilingMsgsPerSec: number;
  readonly toMatrix10RoomsOutOfOrder: number;
  /** Messages said while the bridge was down, per direction, relayed once it is back: start to last arrival. */
  readonly catchUpMessages: number;
  readonly catchUpMsgsPerSec: { readonly toMatrix: number; readonly toXmpp: number };
  /** Messages said during the outage that the catch-up did not bring to Matrix (expected 0). */
  readonly catchUpMissingToMatrix: number;
  readonly toMatrixBridgeWarnings: number;
  /** The bridge's requests to the homeserver per message of a one-room burst (the most over rounds; 1 is the least). */
  readonly toMatrixRequestsPerMessage: number;
  /** The most requests the bridge had in flight at once during the ten-room run (rooms in parallel: about 10). */
  readonly toMatrix10RoomsRequestsInFlight: number;
  /** Synapse's CPU per message, medians over rounds: where the machine's time went in each run. */
  readonly toMatrixSynapseCpuMsPerMsg: number;
  readonly toMatrixCeilingSynapseCpuMsPerMsg: number;
  /**
   * For comparison, not a ceiling: a Matrix user's sequential PUTs into a room
   * the bridge is not in (Synapse pushes nothing to an application service
   * and notifies fewer members there).
   */
  readonly unbridgedRoomMsgsPerSec: number;
  readonly unbridgedRoomSynapseCpuMsPerMsg: number;
}

export type ToMatrixResults = BenchResults<ToMatrixFigures, { readonly toMatrixVsCeiling: number }>;

/** Messages per second of `messages` relayed in `durationMs`, whole. */
export function catchUpRate(messages: number, durationMs: number): number {
  return Math.round(messages / (Math.max(durationMs, 0.001) / 1000));
}

export function toMatrixResults(o: {
  readonly ceiling: readonly BurstFigures[];
  readonly bridge: readonly OrderedBurst[];
  readonly tenRooms: OrderedBurst;
  readonly tenRoomsCeiling: BurstFigures;
  readonly catchUp: {
    readonly messages: number;
    readonly toMatrixMs: number;
    /** How many of them reached Matrix (default: all). */
    readonly toMatrixArrived?: number;
    readonly toXmppMs: number;
  };
  readonly bridgeWarnings: number;
  readonly requestsPerMessage: number;
  readonly tenRoomsRequestsInFlight: number;
  readonly synapseCpuMsPerMessage: { readonly ceiling: readonly number[]; readonly bridge: readonly number[] };
  readonly plainRoom: { readonly msgsPerSec: number; readonly synapseCpuMsPerMsg: number };
}): ToMatrixResults {
  const c = compareRounds(o.ceiling, o.bridge);
  return {
    figures: {
      toMatrixRounds: c.rounds,
      toMatrixMessages: c.burstMessages,
      toMatrixMsgsPerSec: c.msgsPerSec,
      toMatrixCeilingMsgsPerSec: c.ceilingMsgsPerSec,
      toMatrixP50ms: c.p50ms,
      toMatrixP99ms: c.p99ms,
      toMatrixCeilingP50ms: c.ceilingP50ms,
      toMatrixCeilingP99ms: c.ceilingP99ms,
      toMatrixRoundRatios: c.roundRatios,
      toMatrixOutOfOrder: Math.max(...o.bridge.map((b) => b.outOfOrder)),
      toMatrix10RoomsMessages: o.tenRooms.messages,
      toMatrix10RoomsMsgsPerSec: roundTo(o.tenRooms.msgsPerSec, 1),
      toMatrix10RoomsCeilingMsgsPerSec: roundTo(o.tenRoomsCeiling.msgsPerSec, 1),
      toMatrix10RoomsOutOfOrder: o.tenRooms.outOfOrder,
      catchUpMessages: o.catchUp.messages,
      catchUpMissingToMatrix: o.catchUp.messages - (o.catchUp.toMatrixArrived ?? o.catchUp.messages),
      catchUpMsgsPerSec: {
        toMatrix: catchUpRate(o.catchUp.toMatrixArrived ?? o.catchUp.messages, o.catchUp.toMatrixMs),
        toXmpp: catchUpRate(o.catchUp.messages, o.catchUp.toXmppMs),
      },
      toMatrixBridgeWarnings: o.bridgeWarnings,
      toMatrixRequestsPerMessage: roundTo(o.requestsPerMessage, 3),
      toMatrix10RoomsRequestsInFlight: o.tenRoomsRequestsInFlight,
      toMatrixSynapseCpuMsPerMsg: roundTo(median(o.synapseCpuMsPerMessage.bridge), 1),
      toMatrixCeilingSynapseCpuMsPerMsg: roundTo(median(o.synapseCpuMsPerMessage.ceiling), 1),
      unbridgedRoomMsgsPerSec: roundTo(o.plainRoom.msgsPerSec, 1),
      unbridgedRoomSynapseCpuMsPerMsg: roundTo(o.plainRoom.synapseCpuMsPerMsg, 1),
    },
    ratios: { toMatrixVsCeiling: c.vsCeiling },
  };
}

/** The printed table (Markdown) and the verdicts under it. */
export function toMatrixTable(r: ToMatrixResults): string {
  const f = r.figures;
  const table = markdownTable(
    ["XMPP -> Matrix", "msgs/s", "p50 ms", "p99 ms", "out of order"],
    [
      [
        "bare client, sequential PUTs, 1 room",
        String(f.toMatrixCeilingMsgsPerSec),
        f.toMatrixCeilingP50ms.toFixed(1),
        f.toMatrixCeilingP99ms.toFixed(1),
        "-",
      ],
      [
        "bridge, 1 room",
        String(f.toMatrixMsgsPerSec),
        f.toMatrixP50ms.toFixed(1),
        f.toMatrixP99ms.toFixed(1),
        String(f.toMatrixOutOfOrder),
      ],
      ["(for comparison: a Matrix user's PUTs, unbridged room)", String(f.unbridgedRoomMsgsPerSec), "", "", "-"],
      ["bare client, 10 rooms at once", String(f.toMatrix10RoomsCeilingMsgsPerSec), "", "", "-"],
      ["bridge, 10 rooms at once", String(f.toMatrix10RoomsMsgsPerSec), "", "", String(f.toMatrix10RoomsOutOfOrder)],
      [
        `catch-up of ${f.catchUpMessages} (${f.catchUpMissingToMatrix} missing), XMPP -> Matrix`,
        String(f.catchUpMsgsPerSec.toMatrix),
        "",
        "",
        "",
      ],
      [`catch-up of ${f.catchUpMessages}, Matrix -> XMPP`, String(f.catchUpMsgsPerSec.toXmpp), "", "", ""],
    ],
  );
  const oneRoom = r.ratios.toMatrixVsCeiling >= TO_MATRIX_TARGETS.vsCeiling && f.toMatrixOutOfOrder === 0;
  const tenRooms =
    f.toMatrix10RoomsMsgsPerSec >= TO_MATRIX_TARGETS.tenRoomsMsgsPerSec && f.toMatrix10RoomsOutOfOrder === 0;
  return (
    `${table}\n\n` +
    `bridge / ceiling, 1 room: ${r.ratios.toMatrixVsCeiling} (rounds: ${f.toMatrixRoundRatios.join(", ")}; ` +
    `target ${TO_MATRIX_TARGETS.vsCeiling} and 0 out of order: ${targetVerdict(oneRoom)})\n` +
    `10 rooms: ${f.toMatrix10RoomsMsgsPerSec} msgs/s (target ${TO_MATRIX_TARGETS.tenRoomsMsgsPerSec} in order: ${targetVerdict(tenRooms)})` +
    `\nthe bridge's requests per message: ${f.toMatrixRequestsPerMessage}; Synapse CPU per message: ` +
    `${f.toMatrixSynapseCpuMsPerMsg} ms (bridge), ${f.toMatrixCeilingSynapseCpuMsPerMsg} ms (bare client), ` +
    `${f.unbridgedRoomSynapseCpuMsPerMsg} ms (unbridged room)`
  );
}
