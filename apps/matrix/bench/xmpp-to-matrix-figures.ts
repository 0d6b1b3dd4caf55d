/**
 * What the XMPP -> Matrix bench keeps in results.json and prints: one XMPP
 * user's bursts into one room through the bridge against a bare Matrix
 * client's sequential PUTs to one room (the ceiling) over alternating
 * rounds, bursts into ten rooms at once likewise, and catch-up after an
 * outage in each direction. Kept next to the Matrix -> XMPP figures, under
 * names of their own (`toMatrix…`, `catchUp…`).
 *
 * The three parts can run on their own (PARLEY_BENCH_PARTS): a part's figures
 * are written only when it ran, and each part says which database its
 * Synapse ran on and how loaded the machine was, since the parts of
 * results.json may come from different runs.
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

/** The parts of the bench, as PARLEY_BENCH_PARTS names them. */
export const BENCH_PARTS = ["one-room", "ten-rooms", "catch-up"] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** Where Synapse keeps its data in a run (PARLEY_BENCH_SYNAPSE_DB). */
export type SynapseDatabase = "postgres" | "sqlite";

/** A burst seen on the Matrix side: its figures and how many messages the room shows out of order. */
export interface OrderedBurst extends BurstFigures {
  readonly outOfOrder: number;
}

/** The conditions a part ran in: the database, and the 1-minute load average before and after it. */
export interface PartConditions {
  readonly synapseDatabase: SynapseDatabase;
  readonly loadAverage: readonly [number, number];
}

export interface OneRoomFigures {
  readonly toMatrixSynapseDatabase: SynapseDatabase;
  readonly toMatrixLoadAverage: readonly number[];
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
  /** The bridge's requests to the homeserver per message of a one-room burst (the most over rounds; 1 is the least). */
  readonly toMatrixRequestsPerMessage: number;
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

export interface TenRoomsFigures {
  readonly toMatrix10RoomsSynapseDatabase: SynapseDatabase;
  readonly toMatrix10RoomsLoadAverage: readonly number[];
  readonly toMatrix10RoomsRounds: number;
  /** Messages per run, all ten rooms together. */
  readonly toMatrix10RoomsMessages: number;
  /** Medians over rounds, all ten rooms together: first send to last arrival. */
  readonly toMatrix10RoomsMsgsPerSec: number;
  /** The bare client's sequential PUTs, one chain per room, all ten at once. */
  readonly toMatrix10RoomsCeilingMsgsPerSec: number;
  readonly toMatrix10RoomsRoundRatios: readonly number[];
  /** The most messages out of order in one run of the bridge, all rooms counted (target 0). */
  readonly toMatrix10RoomsOutOfOrder: number;
  /** The most requests the bridge had in flight at once during a ten-room run (rooms in parallel: about 10). */
  readonly toMatrix10RoomsRequestsInFlight: number;
  /** The bridge's requests to the homeserver per message across the ten rooms (the most over rounds). */
  readonly toMatrix10RoomsRequestsPerMessage: number;
}

export interface CatchUpFigures {
  readonly catchUpSynapseDatabase: SynapseDatabase;
  readonly catchUpLoadAverage: readonly number[];
  /** Messages said while the bridge was down, per direction, relayed once it is back: start to last arrival. */
  readonly catchUpMessages: number;
  readonly catchUpMsgsPerSec: { readonly toMatrix: number; readonly toXmpp: number };
  /** Messages said during the outage that the catch-up did not bring to Matrix (expected 0). */
  readonly catchUpMissingToMatrix: number;
  /** Messages the Matrix room shows out of order after the catch-up (expected 0). */
  readonly catchUpOutOfOrderToMatrix: number;
}

export type ToMatrixFigures = Partial<OneRoomFigures> &
  Partial<TenRoomsFigures> &
  Partial<CatchUpFigures> & { readonly toMatrixBridgeWarnings: number };

export type ToMatrixResults = BenchResults<
  ToMatrixFigures,
  { readonly toMatrixVsCeiling?: number; readonly toMatrix10RoomsVsCeiling?: number }
>;

/** Messages per second of `messages` relayed in `durationMs`, whole. */
export function catchUpRate(messages: number, durationMs: number): number {
  return Math.round(messages / (Math.max(durationMs, 0.001) / 1000));
}

/** Which parts PARLEY_BENCH_PARTS asks for (all when unset); throws naming the setting for an unknown one. */
export function benchParts(value: string | undefined): ReadonlySet<BenchPart> {
  if (value === undefined || value.trim() === "") return new Set(BENCH_PARTS);
  const parts = new Set<BenchPart>();
  for (const p of value.split(",").map((s) => s.trim())) {
    if (!(BENCH_PARTS as readonly string[]).includes(p)) {
      throw new Error(
        `PARLEY_BENCH_PARTS: "${p}" is not a part; use a comma-separated list of ${BENCH_PARTS.join(", ")}`,
      );
    }
    parts.add(p as BenchPart);
  }
  return parts;
}

/** PARLEY_BENCH_SYNAPSE_DB: postgres (the default, what a homeserver at scale runs) or sqlite. */
export function synapseDatabase(value: string | undefined): SynapseDatabase {
  if (value === undefined || value === "" || value === "postgres") return "postgres";
  if (value === "sqlite") return "sqlite";
  throw new Error(`PARLEY_BENCH_SYNAPSE_DB must be postgres or sqlite, not "${value}"`);
}

const load = (c: PartConditions) => c.loadAverage.map((l) => roundTo(l, 1));

export function toMatrixResults(o: {
  readonly oneRoom?: PartConditions & {
    readonly ceiling: readonly BurstFigures[];
    readonly bridge: readonly OrderedBurst[];
    readonly requestsPerMessage: number;
    readonly synapseCpuMsPerMessage: { readonly ceiling: readonly number[]; readonly bridge: readonly number[] };
    readonly plainRoom: { readonly msgsPerSec: number; readonly synapseCpuMsPerMsg: number };
  };
  readonly tenRooms?: PartConditions & {
    readonly ceiling: readonly BurstFigures[];
    readonly bridge: readonly OrderedBurst[];
    readonly requestsInFlight: number;
    readonly requestsPerMessage: number;
  };
  readonly catchUp?: PartConditions & {
    readonly messages: number;
    readonly toMatrixMs: number;
    /** How many of them reached Matrix (default: all). */
    readonly toMatrixArrived?: number;
    readonly toMatrixOutOfOrder?: number;
    readonly toXmppMs: number;
  };
  readonly bridgeWarnings: number;
}): ToMatrixResults {
  let figures: ToMatrixFigures = { toMatrixBridgeWarnings: o.bridgeWarnings };
  let ratios: ToMatrixResults["ratios"] = {};
  if (o.oneRoom) {
    const one = o.oneRoom;
    const c = compareRounds(one.ceiling, one.bridge);
    const oneRoom: OneRoomFigures = {
      toMatrixSynapseDatabase: one.synapseDatabase,
      toMatrixLoadAverage: load(one),
      toMatrixRounds: c.rounds,
      toMatrixMessages: c.burstMessages,
      toMatrixMsgsPerSec: c.msgsPerSec,
      toMatrixCeilingMsgsPerSec: c.ceilingMsgsPerSec,
      toMatrixP50ms: c.p50ms,
      toMatrixP99ms: c.p99ms,
      toMatrixCeilingP50ms: c.ceilingP50ms,
      toMatrixCeilingP99ms: c.ceilingP99ms,
      toMatrixRoundRatios: c.roundRatios,
      toMatrixOutOfOrder: Math.max(...one.bridge.map((b) => b.outOfOrder)),
      toMatrixRequestsPerMessage: roundTo(one.requestsPerMessage, 3),
      toMatrixSynapseCpuMsPerMsg: roundTo(median(one.synapseCpuMsPerMessage.bridge), 1),
      toMatrixCeilingSynapseCpuMsPerMsg: roundTo(median(one.synapseCpuMsPerMessage.ceiling), 1),
      unbridgedRoomMsgsPerSec: roundTo(one.plainRoom.msgsPerSec, 1),
      unbridgedRoomSynapseCpuMsPerMsg: roundTo(one.plainRoom.synapseCpuMsPerMsg, 1),
    };
    figures = { ...figures, ...oneRoom };
    ratios = { ...ratios, toMatrixVsCeiling: c.vsCeiling };
  }
  if (o.tenRooms) {
    const ten = o.tenRooms;
    const c = compareRounds(ten.ceiling, ten.bridge);
    const medianRate = (runs: readonly BurstFigures[]) => roundTo(median(runs.map((r) => r.msgsPerSec)), 1);
    const tenRooms: TenRoomsFigures = {
      toMatrix10RoomsSynapseDatabase: ten.synapseDatabase,
      toMatrix10RoomsLoadAverage: load(ten),
      toMatrix10RoomsRounds: c.rounds,
      toMatrix10RoomsMessages: c.burstMessages,
      toMatrix10RoomsMsgsPerSec: medianRate(ten.bridge),
      toMatrix10RoomsCeilingMsgsPerSec: medianRate(ten.ceiling),
      toMatrix10RoomsRoundRatios: c.roundRatios,
      toMatrix10RoomsOutOfOrder: Math.max(...ten.bridge.map((b) => b.outOfOrder)),
      toMatrix10RoomsRequestsInFlight: ten.requestsInFlight,
      toMatrix10RoomsRequestsPerMessage: roundTo(ten.requestsPerMessage, 3),
    };
    figures = { ...figures, ...tenRooms };
    ratios = { ...ratios, toMatrix10RoomsVsCeiling: c.vsCeiling };
  }
  if (o.catchUp) {
    const cu = o.catchUp;
    const arrived = cu.toMatrixArrived ?? cu.messages;
    const catchUp: CatchUpFigures = {
      catchUpSynapseDatabase: cu.synapseDatabase,
      catchUpLoadAverage: load(cu),
      catchUpMessages: cu.messages,
      catchUpMsgsPerSec: {
        toMatrix: catchUpRate(arrived, cu.toMatrixMs),
        toXmpp: catchUpRate(cu.messages, cu.toXmppMs),
      },
      catchUpMissingToMatrix: cu.messages - arrived,
      catchUpOutOfOrderToMatrix: cu.toMatrixOutOfOrder ?? 0,
    };
    figures = { ...figures, ...catchUp };
  }
  return { figures, ratios };
}

/** The printed table (Markdown) of the parts that ran, and the verdicts under it. */
export function toMatrixTable(r: ToMatrixResults): string {
  const f = r.figures;
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const ms = (v: number | undefined) => (v === undefined ? "" : v.toFixed(1));
  if (f.toMatrixMsgsPerSec !== undefined && r.ratios.toMatrixVsCeiling !== undefined) {
    rows.push(
      [
        `bare client, sequential PUTs, 1 room (${f.toMatrixSynapseDatabase})`,
        String(f.toMatrixCeilingMsgsPerSec),
        ms(f.toMatrixCeilingP50ms),
        ms(f.toMatrixCeilingP99ms),
        "-",
      ],
      [
        "bridge, 1 room",
        String(f.toMatrixMsgsPerSec),
        ms(f.toMatrixP50ms),
        ms(f.toMatrixP99ms),
        String(f.toMatrixOutOfOrder),
      ],
      ["(for comparison: a Matrix user's PUTs, unbridged room)", String(f.unbridgedRoomMsgsPerSec), "", "", "-"],
    );
    const met = r.ratios.toMatrixVsCeiling >= TO_MATRIX_TARGETS.vsCeiling && f.toMatrixOutOfOrder === 0;
    verdicts.push(
      `bridge / ceiling, 1 room: ${r.ratios.toMatrixVsCeiling} (rounds: ${f.toMatrixRoundRatios?.join(", ")}; ` +
        `target ${TO_MATRIX_TARGETS.vsCeiling} and 0 out of order: ${targetVerdict(met)})`,
      `the bridge's requests per message: ${f.toMatrixRequestsPerMessage}; Synapse CPU per message: ` +
        `${f.toMatrixSynapseCpuMsPerMsg} ms (bridge), ${f.toMatrixCeilingSynapseCpuMsPerMsg} ms (bare client), ` +
        `${f.unbridgedRoomSynapseCpuMsPerMsg} ms (unbridged room)`,
    );
  }
  if (f.toMatrix10RoomsMsgsPerSec !== undefined && r.ratios.toMatrix10RoomsVsCeiling !== undefined) {
    rows.push(
      [
        `bare client, 10 rooms at once (${f.toMatrix10RoomsSynapseDatabase})`,
        String(f.toMatrix10RoomsCeilingMsgsPerSec),
        "",
        "",
        "-",
      ],
      ["bridge, 10 rooms at once", String(f.toMatrix10RoomsMsgsPerSec), "", "", String(f.toMatrix10RoomsOutOfOrder)],
    );
    const met =
      f.toMatrix10RoomsMsgsPerSec >= TO_MATRIX_TARGETS.tenRoomsMsgsPerSec && f.toMatrix10RoomsOutOfOrder === 0;
    verdicts.push(
      `10 rooms: ${f.toMatrix10RoomsMsgsPerSec} msgs/s, bridge / ceiling ${r.ratios.toMatrix10RoomsVsCeiling} ` +
        `(rounds: ${f.toMatrix10RoomsRoundRatios?.join(", ")}; target ${TO_MATRIX_TARGETS.tenRoomsMsgsPerSec} msgs/s ` +
        `in order: ${targetVerdict(met)})`,
    );
  }
  if (f.catchUpMsgsPerSec !== undefined) {
    rows.push(
      [
        `catch-up of ${f.catchUpMessages} (${f.catchUpMissingToMatrix} missing), XMPP -> Matrix (${f.catchUpSynapseDatabase})`,
        String(f.catchUpMsgsPerSec.toMatrix),
        "",
        "",
        String(f.catchUpOutOfOrderToMatrix),
      ],
      [`catch-up of ${f.catchUpMessages}, Matrix -> XMPP`, String(f.catchUpMsgsPerSec.toXmpp), "", "", ""],
    );
  }
  const table = markdownTable(["XMPP -> Matrix", "msgs/s", "p50 ms", "p99 ms", "out of order"], rows);
  return [table, "", ...verdicts].join("\n");
}
