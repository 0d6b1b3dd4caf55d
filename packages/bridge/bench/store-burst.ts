/**
 * `node bench/store-burst.ts [messages] [per-second]`: the store's share of
 * relaying a burst to XMPP, without a server, to compare store changes
 * quickly. Messages are handed over at a steady rate (default 1,200 a
 * second, about what the relay-burst bench relays), and for each, as the
 * engine asks for them: the lookup of the remote id, the map's insert and
 * the unconfirmed record; once those are committed and a round trip later,
 * as the room's reflection would, the stanza-id and the delivery's
 * confirmation. Prints the CPU of the whole process (the WAL checkpointer's
 * thread included) per message, the wall time, the writes that failed (a
 * failed message is counted and the burst goes on), the largest the WAL file
 * was (sampled every tick) and the longest the event loop was stalled
 * (`monitorEventLoopDelay`, 10 ms resolution) during the measured burst. The relay-burst bench
 * stays the measure of record; this one only isolates the store.
 * PARLEY_BENCH_CPU_PROFILE=<dir> profiles the measured burst as relay-burst
 * does (`<dir>/store.cpuprofile`). PARLEY_STORE_BENCH_WAL=keep checkpoints
 * nothing during the run and prints the WAL pages written per message
 * (warm-up included), which unlike CPU time does not move with the
 * machine's load. */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { buildMessage } from "@parley/stanza";
import { stanzaIdFor } from "../src/engine/stanza-ids.ts";
import { openSqliteStore } from "../src/store/sqlite-store.ts";
import { burstProfiler } from "./burst-profile.ts";

const messages = Number(process.argv[2] ?? 5000);
/** Messages a second handed over; the engine relayed about 1,200 a second in the relay-burst bench. */
const rate = Number(process.argv[3] ?? 1200);
const TICK_MS = 5;
const REFLECTION_MS = 20;
const NETWORK = "reference";
const ROOM = "bench@conference.parley.test";

const dir = mkdtempSync(join(tmpdir(), "parley-store-burst-"));
// Kept, the WAL holds every page the commits wrote: its size is a measure that does not depend on the machine's load.
const keepWal = process.env.PARLEY_STORE_BENCH_WAL === "keep";
const store = await openSqliteStore(join(dir, "parley.db"), keepWal ? { walCheckpoints: { intervalMs: 2 ** 30 } } : {});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function stanza(i: number): { id: string; xml: string } {
  const id = stanzaIdFor(`to-xmpp ${NETWORK} m${i} ${ROOM}`, "bridge.parley.test");
  const el = buildMessage({
    type: "groupchat",
    body: `bench message ${i} with a little text in it`,
    id,
    originId: id,
    from: "u1@bridge.parley.test",
    to: ROOM,
  });
  return { id, xml: el.toString() };
}

let failed = 0;
let firstFailure: unknown;
let walPeak = 0;

/** Relays message `i`, counting it as failed if a store call rejects. */
async function relay(i: number): Promise<void> {
  try {
    await relayOnce(i);
  } catch (e) {
    failed++;
    firstFailure ??= e;
  }
}

/** Relays message `i`: looked up, mapped and kept unconfirmed; resolves once the room has "reflected" it. */
async function relayOnce(i: number): Promise<void> {
  const remoteId = `m${i}`;
  await store.byRemoteId(NETWORK, remoteId);
  const key = `to-xmpp ${NETWORK} ${remoteId} ${ROOM}`;
  const { id, xml } = stanza(i);
  const now = Date.now();
  const recorded = store.recordMessage({
    network: NETWORK,
    channel: "general",
    remoteId,
    room: ROOM,
    originId: id,
    sender: "u1",
    direction: "to-xmpp",
    createdAt: now,
  });
  const unconfirmed = store.recordUnconfirmed({
    key,
    network: NETWORK,
    target: ROOM,
    sender: "u1",
    id,
    data: xml,
    at: now,
    seq: i,
  });
  await Promise.all([recorded, unconfirmed]);
  // Sent once on record; the room's reflection comes back a round trip later.
  await sleep(REFLECTION_MS);
  // A room's stanza-ids are its own (Prosody's are random UUIDs): they land all over their index.
  await Promise.all([store.setStanzaId(NETWORK, ROOM, id, randomUUID()), store.confirmDelivery(key, id)]);
}

/** `count` messages handed over at `rate` a second, in ticks of TICK_MS, as a connector would in a burst. */
async function burst(from: number, count: number): Promise<void> {
  const relayed: Array<Promise<void>> = [];
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  for (let i = from; i < from + count; i += perTick) {
    for (let j = i; j < Math.min(i + perTick, from + count); j++) relayed.push(relay(j));
    await sleep(TICK_MS);
    walPeak = Math.max(walPeak, walSize(join(dir, "parley.db-wal")));
  }
  await Promise.all(relayed);
}

const WARM_UP = 1000;
await burst(0, WARM_UP); // statements prepared, code optimised
const failedInWarmUp = failed;
walPeak = 0;
const stalls = monitorEventLoopDelay({ resolution: 10 });
stalls.enable();
const cpu = process.cpuUsage();
const start = performance.now();
const window = burstProfiler(process.env.PARLEY_BENCH_CPU_PROFILE, "store", messages);
await (window ? window(() => burst(WARM_UP, messages)) : burst(WARM_UP, messages));
const used = process.cpuUsage(cpu);
const wallMs = performance.now() - start;
stalls.disable();
const walPages = Math.round(walSize(join(dir, "parley.db-wal")) / (4096 + 24)); // frames of 4 KiB pages
const left = await store.unconfirmed(NETWORK);
await store.close();
rmSync(dir, { recursive: true, force: true });
if (failed === 0 && left.length > 0) throw new Error(`${left.length} deliveries left unconfirmed`);
const us = (used.user + used.system) / messages;
process.stdout.write(
  `${messages} messages at ${rate}/s: ${us.toFixed(1)} µs CPU per message ` +
    `(user ${(used.user / messages).toFixed(1)}, system ${(used.system / messages).toFixed(1)}), ` +
    `${wallMs.toFixed(0)} ms wall${keepWal ? `, ${(walPages / (messages + WARM_UP)).toFixed(2)} WAL pages per message` : ""}; ` +
    `${failed - failedInWarmUp} messages failed (${failedInWarmUp} in the warm-up), ` +
    `WAL at most ${(walPeak / 2 ** 20).toFixed(1)} MiB, longest event-loop stall ${(stalls.max / 1e6).toFixed(0)} ms\n`,
);
if (firstFailure !== undefined) {
  const e = firstFailure as { message?: string; errcode?: number; errstr?: string };
  process.stdout.write(`first failure: ${e.message} (errcode ${e.errcode}, ${e.errstr})\n`);
}

function walSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
