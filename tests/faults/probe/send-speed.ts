/** Probe: how many messages a second Synapse takes from one sender, one at a time and `window` at a time, on SQLite and on PostgreSQL. */

import { startProbeWorld } from "./probe-world.ts";

const n = Number(process.argv[2] ?? 300);
const db = process.argv[3] === "pg" ? "pg" : "sqlite";
const window = Number(process.argv[4] ?? 1);
let pushed = 0;
const world = await startProbeWorld({
  db,
  onTransaction: ({ events }) => {
    pushed += events.length;
  },
  ...(process.argv[5] === "lean" && {
    extraConfig: {
      presence: { enabled: false },
      stats: { enabled: false },
      user_directory: { enabled: false },
      caches: { global_factor: 4 },
    },
  }),
});
const { call } = world;
const roomId = await world.createRoom();
const started = Date.now();
let next = 1;
await Promise.all(
  Array.from({ length: window }, async () => {
    while (next <= n) {
      const i = next++;
      await call("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/s${i}`, {
        msgtype: "m.text",
        body: `m${i}`,
      });
    }
  }),
);
const ms = Date.now() - started;
while (pushed < n && Date.now() - started < ms + 30_000) await new Promise((r) => setTimeout(r, 100));
console.log(
  `${db} window ${window}: ${n} sent in ${ms} ms = ${((n * 1000) / ms).toFixed(1)} msgs/s; pushed ${pushed} by ${Date.now() - started} ms`,
);
await world.stop();
