/**
 * Probe: does Synapse give one room two orders? Messages sent `window` at a time; the order the
 * application service is pushed them in (the stream order, which /sync follows too) against the
 * order `/messages` gives (the room's topological order). Prints how many messages of the second
 * come after one the first puts later, with the first few pairs.
 */

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { freePort, startPostgres, startSynapse } from "@parley/testkit";
import { tally } from "../src/numbered.ts";

const n = Number(process.argv[2] ?? 500);
const db = process.argv[3] ?? "pg";
const window = Number(process.argv[4] ?? 8);
const asPort = await freePort();
const pushedOrder: number[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.url?.includes("/transactions/")) {
      for (const e of JSON.parse(body).events as { type: string; content?: { body?: string } }[]) {
        const m = /^m(\d+)$/.exec(e.content?.body ?? "");
        if (e.type === "m.room.message" && m) pushedOrder.push(Number(m[1]));
      }
    }
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
const room = encodeURIComponent(roomId);
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
await synapse.stop();
await pg?.stop();
server.close();
