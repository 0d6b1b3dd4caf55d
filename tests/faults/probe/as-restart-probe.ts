/**
 * Probe: does Synapse lose application-service pushes across a restart?
 * A bare AS (acks every transaction after ackDelayMs), one sender sending one at a time,
 * Synapse restarted every `every` messages. Prints which sent events never reached the AS.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { startProbeWorld } from "./probe-world.ts";

const n = Number(process.argv[2] ?? 300);
const every = Number(process.argv[3] ?? 50);
const ackDelayMs = Number(process.argv[4] ?? 30);
const db = process.argv[5] === "pg" ? "pg" : "sqlite";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const received = new Map<string, string>();
const txnLog: string[] = [];
const world = await startProbeWorld({
  db,
  onTransaction: async ({ txnId, events }) => {
    const bodies = events.filter((e) => e.type === "m.room.message").map((e) => e.content?.body);
    txnLog.push(`${new Date().toISOString()} txn ${txnId}: ${bodies.join(",")}`);
    await sleep(ackDelayMs);
    for (const e of events) if (e.type === "m.room.message") received.set(e.event_id, e.content?.body ?? "");
  },
});
const { synapse, call } = world;
{
  const f = `${synapse.dataDir}/log.config.yaml`;
  const c = JSON.parse(readFileSync(f, "utf8"));
  c.loggers = {
    "synapse.appservice": { level: "DEBUG" },
    "synapse.handlers.appservice": { level: "DEBUG" },
    "synapse.app": { level: "INFO" },
  };
  writeFileSync(f, JSON.stringify(c));
  await synapse.restart();
}
const roomId = await world.createRoom();
const sent = new Map<string, string>();
let restarting: Promise<void> | undefined;
const started = Date.now();
for (let i = 1; i <= n; i++) {
  if (i % every === 0 && !restarting) {
    const at = i;
    restarting = synapse.restart().then(() => {
      txnLog.push(`${new Date().toISOString()} restarted (at ${at})`);
      restarting = undefined;
    });
    txnLog.push(`${new Date().toISOString()} restarting at ${i}`);
  }
  for (;;) {
    try {
      const r = await call("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/p${i}`, {
        msgtype: "m.text",
        body: `m${i}`,
      });
      sent.set(r.event_id, `m${i}`);
      txnLog.push(`${new Date().toISOString()} sent m${i}`);
      break;
    } catch {
      await sleep(100);
    }
  }
}
const sendMs = Date.now() - started;
await restarting;
const deadline = Date.now() + 30_000;
while (Date.now() < deadline && [...sent.keys()].some((id) => !received.has(id))) await sleep(500);
const missing = [...sent].filter(([id]) => !received.has(id));
console.log(
  `sent ${sent.size} in ${sendMs} ms (${((sent.size * 1000) / sendMs).toFixed(1)}/s incl. restarts), received ${received.size}, missing: ${missing.map(([id, b]) => `${b} ${id}`).join("; ")}`,
);
if (missing.length > 0) {
  for (const [, b] of missing) {
    const i = txnLog.findIndex((l) => l.endsWith(`sent ${b}`));
    console.log(txnLog.slice(Math.max(0, i - 6), i + 8).join("\n"));
  }
  console.log(`synapse dir: ${synapse.dataDir}`);
  writeFileSync(`${synapse.dataDir}/probe.log`, txnLog.join("\n"));
  await world.stop({ keep: true });
} else await world.stop();
