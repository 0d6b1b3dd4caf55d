/**
 * Probe: does Synapse give one room two orders? Messages sent `window` at a time; the order the
 * application service is pushed them in (the stream order, which /sync follows too) against the
 * order `/messages` gives (the room's topological order). Prints how many messages of the second
 * come after one the first puts later, with the first few pairs.
 */

import { tally } from "../src/numbered.ts";
import { startProbeWorld } from "./probe-world.ts";

const n = Number(process.argv[2] ?? 500);
const db = process.argv[3] === "sqlite" ? "sqlite" : "pg";
const window = Number(process.argv[4] ?? 8);
const pushedOrder: number[] = [];
const world = await startProbeWorld({
  db,
  onTransaction: ({ events }) => {
    for (const e of events) {
      const m = /^m(\d+)$/.exec(e.content?.body ?? "");
      if (e.type === "m.room.message" && m) pushedOrder.push(Number(m[1]));
    }
  },
});
const { call } = world;
const room = encodeURIComponent(await world.createRoom());
let next = 1;
await Promise.all(
  Array.from({ length: window }, async () => {
    while (next <= n) {
      const i = next++;
      await call("PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/s${i}`, {
        msgtype: "m.text",
        body: `m${i}`,
      });
    }
  }),
);
const started = Date.now();
while (pushedOrder.length < n && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
const timeline: number[] = [];
let from: string | undefined;
for (;;) {
  const q = new URLSearchParams({ dir: "f", limit: "100", ...(from && { from }) });
  const page = await call("GET", `/_matrix/client/v3/rooms/${room}/messages?${q}`);
  for (const e of page.chunk as { type: string; content?: { body?: string } }[]) {
    const m = /^m(\d+)$/.exec(e.content?.body ?? "");
    if (e.type === "m.room.message" && m) timeline.push(Number(m[1]));
  }
  if (!page.end || page.chunk.length === 0) break;
  from = page.end;
}
const t = tally(n, timeline, [pushedOrder]);
console.log(
  `${db}, ${window} at a time: pushed ${pushedOrder.length}, /messages ${timeline.length}; ` +
    `/messages against the pushed order: ${t.outOfOrder} out of order (${t.late || "none"})`,
);
await world.stop();
