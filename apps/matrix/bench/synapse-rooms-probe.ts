/**
 * Probe (not part of `npm run bench`): what Synapse allows a bare client
 * across many rooms at once. One application service speaks as one ghost per
 * room; each room gets a chain of sequential PUTs (each waits for the
 * previous answer), all rooms at once, and the rate is counted from the
 * first PUT to the last answer. The application service's push endpoint
 * answers at once, as the bridge does.
 *
 *   node bench/synapse-rooms-probe.ts <sqlite|postgres> <messages per room> <rooms...>
 *
 * e.g. `node bench/synapse-rooms-probe.ts postgres 100 1 10 20`. With
 * PARLEY_PROBE_PASSES=2 the room counts are run twice, in order (1 10 20 1 10
 * 20), so a load swing on the machine shows as a difference between the two.
 * PARLEY_PROBE_CP_MAX sets the PostgreSQL pool's size (the testkit's is 5).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { findProcess, freePort, processCpuMs, startPostgres, startSynapse } from "@parley/testkit";

const [db = "sqlite", perRoomArg = "100", ...roomArgs] = process.argv.slice(2);
if (db !== "sqlite" && db !== "postgres") throw new Error("the first argument must be sqlite or postgres");
const perRoom = Number(perRoomArg);
const roomCounts = (roomArgs.length > 0 ? roomArgs : ["1", "10", "20"]).map(Number);
const cpMax = process.env.PARLEY_PROBE_CP_MAX;
const passes = Number(process.env.PARLEY_PROBE_PASSES ?? 1);

const asPort = await freePort();
let pushed = 0;
const push = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    if (req.url?.includes("/transactions/")) pushed += (JSON.parse(body).events as unknown[]).length;
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
await new Promise<void>((r) => push.listen(asPort, "127.0.0.1", r));
const pg = db === "postgres" ? await startPostgres() : undefined;
if (pg) await pg.createDatabase("synapse");
const asToken = `as-${randomBytes(8).toString("hex")}`;
const synapse = await startSynapse({
  appservices: [
    {
      id: "probe",
      url: `http://127.0.0.1:${asPort}`,
      as_token: asToken,
      hs_token: `hs-${randomBytes(8).toString("hex")}`,
      sender_localpart: "probebot",
      namespaces: { users: [{ exclusive: true, regex: "@probe_.*:localhost" }] },
    },
  ],
  ...(pg && { postgres: { host: pg.host, port: pg.port, user: pg.user, database: "synapse" } }),
  ...(pg && cpMax !== undefined && { extraConfig: { database: { args: { cp_max: Number(cpMax) } } } }),
});

const call = async (method: string, path: string, token: string, body?: unknown) => {
  const r = await fetch(`${synapse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const t = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${t.slice(0, 200)}`);
  return JSON.parse(t) as Record<string, unknown>;
};
const owner = await synapse.registerUser("owner");
const maxRooms = Math.max(...roomCounts);
const rooms: { roomId: string; ghost: string }[] = [];
for (let r = 0; r < maxRooms; r++) {
  const roomId = (await call("POST", "/_matrix/client/v3/createRoom", owner.accessToken, { preset: "public_chat" }))
    .room_id as string;
  const ghost = `@probe_${r}:localhost`;
  await call("POST", "/_matrix/client/v3/register", asToken, {
    type: "m.login.application_service",
    username: `probe_${r}`,
  });
  await call(
    "POST",
    `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=${encodeURIComponent(ghost)}`,
    asToken,
    {},
  );
  rooms.push({ roomId, ghost });
}

// CPU of Synapse's process, and of PostgreSQL's (the server and its backends, which are its children).
const synapsePid = findProcess(synapse.dataDir);
const postgresPid = pg ? findProcess(pg.dir) : undefined;
const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const cpu = () => ({
  synapse: processCpuMs(synapsePid) ?? Number.NaN,
  postgres:
    postgresPid === undefined
      ? 0
      : [postgresPid, ...children(postgresPid)].reduce((n, p) => n + (processCpuMs(p) ?? 0), 0),
});

let txn = 0;
const run = async (count: number) => {
  const before = pushed;
  const cpuBefore = cpu();
  const started = performance.now();
  await Promise.all(
    rooms.slice(0, count).map(async ({ roomId, ghost }) => {
      for (let i = 0; i < perRoom; i++) {
        await call(
          "PUT",
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${++txn}?user_id=${encodeURIComponent(ghost)}`,
          asToken,
          { msgtype: "m.text", body: `m${i}` },
        );
      }
    }),
  );
  const ms = performance.now() - started;
  const total = count * perRoom;
  while (pushed - before < total && performance.now() - started < ms + 30_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const load = (await import("node:os")).loadavg()[0]?.toFixed(1);
  const cpuAfter = cpu();
  const perMsg = (k: "synapse" | "postgres") => ((cpuAfter[k] - cpuBefore[k]) / total).toFixed(1);
  console.log(
    `${db}${cpMax ? ` cp_max ${cpMax}` : ""}, ${count} rooms x ${perRoom}: ${((total * 1000) / ms).toFixed(1)} msgs/s ` +
      `(${Math.round(ms)} ms); pushed ${pushed - before}; CPU ms per message: Synapse ${perMsg("synapse")}` +
      `${pg ? `, PostgreSQL ${perMsg("postgres")}` : ""}; load ${load}`,
  );
};
for (let pass = 1; pass <= passes; pass++) {
  for (const count of roomCounts) await run(count);
}
await synapse.stop();
await pg?.stop();
push.close();
