/**
 * Probe: does Synapse lose application-service pushes across a restart?
 * A bare AS (acks every transaction after ackDelayMs), one sender sending one at a time,
 * Synapse restarted every `every` messages. Prints which sent events never reached the AS.
 */

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { freePort, startPostgres, startSynapse } from "@parley/testkit";

const n = Number(process.argv[2] ?? 300);
const every = Number(process.argv[3] ?? 50);
const ackDelayMs = Number(process.argv[4] ?? 30);
const usePg = process.argv[5] === "pg";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const asPort = await freePort();
const received = new Map<string, string>();
const txnLog: string[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", async () => {
    const m = /\/transactions\/([^/?]+)/.exec(req.url ?? "");
    if (m) {
      const b = JSON.parse(body) as { events: Array<{ event_id: string; type: string; content?: { body?: string } }> };
      const bodies = b.events.filter((e) => e.type === "m.room.message").map((e) => e.content?.body);
      txnLog.push(`${new Date().toISOString()} txn ${m[1]}: ${bodies.join(",")}`);
      await sleep(ackDelayMs);
      for (const e of b.events) if (e.type === "m.room.message") received.set(e.event_id, e.content?.body ?? "");
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
await new Promise<void>((r) => server.listen(asPort, "127.0.0.1", r));
const pg = usePg ? await startPostgres() : undefined;
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
{
  const { readFileSync, writeFileSync } = await import("node:fs");
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
  (await import("node:fs")).writeFileSync(`${synapse.dataDir}/probe.log`, txnLog.join("\n"));
  await synapse.stop({ keep: true });
} else await synapse.stop();
await pg?.stop();
server.close();
