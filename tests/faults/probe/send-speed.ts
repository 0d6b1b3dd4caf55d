/** Probe: how many messages a second Synapse takes from one sender, one at a time and `window` at a time, on SQLite and on PostgreSQL. */

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { freePort, startPostgres, startSynapse } from "@parley/testkit";

const n = Number(process.argv[2] ?? 300);
const db = process.argv[3] ?? "sqlite";
const window = Number(process.argv[4] ?? 1);
const asPort = await freePort();
let pushed = 0;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.url?.includes("/transactions/")) pushed += (JSON.parse(body).events as unknown[]).length;
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
await new Promise<void>((r) => server.listen(asPort, "127.0.0.1", r));
const pg = db === "pg" ? await startPostgres() : undefined;
if (pg) await pg.createDatabase("synapse");
const synapse = await startSynapse({
  appservices: [
    {
      id: "probe",
      url: `http://127.0.0.1:${asPort}`,
      as_token: `as-${randomBytes(8).toString("hex")}`,
      hs_token: `hs-${randomBytes(8).toString("hex")}`,
      sender_localpart: "probebot",
      namespaces: {
        users: [{ exclusive: true, regex: "@probe_.*:localhost" }],
        rooms: [{ exclusive: false, regex: ".*" }],
      },
    },
  ],
  ...(process.argv[5] === "lean" && {
    extraConfig: {
      presence: { enabled: false },
      stats: { enabled: false },
      user_directory: { enabled: false },
      caches: { global_factor: 4 },
    },
  }),
  ...(pg && { postgres: { host: pg.host, port: pg.port, user: pg.user, database: "synapse" } }),
});
const bob = await synapse.registerUser("bob");
const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${synapse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bob.accessToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const t = await r.text();
  if (!r.ok) throw new Error(`${r.status} ${t}`);
  return JSON.parse(t);
};
const roomId = (await call("POST", "/_matrix/client/v3/createRoom", { preset: "public_chat" })).room_id as string;
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
await synapse.stop();
await pg?.stop();
server.close();
