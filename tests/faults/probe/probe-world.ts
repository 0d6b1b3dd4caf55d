/**
 * What the probes share: a bare application service (an HTTP server that
 * hands each transaction to the probe and answers 200), a Synapse on SQLite
 * or PostgreSQL with it registered, and a client for one of its users.
 */

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { freePort, type Synapse, startPostgres, startSynapse } from "@parley/testkit";

/** A transaction as Synapse pushes it: its id and its timeline events. */
export interface PushedTransaction {
  readonly txnId: string;
  readonly events: ReadonlyArray<{ event_id: string; type: string; content?: { body?: string } }>;
}

export interface ProbeWorld {
  readonly synapse: Synapse;
  /** A call as the user `bob`: JSON in, JSON out, throwing on an error status. */
  // biome-ignore lint/suspicious/noExplicitAny: a probe reads Synapse's answers as they come
  readonly call: (method: string, path: string, body?: unknown) => Promise<any>;
  /** A new public room of bob's. */
  readonly createRoom: () => Promise<string>;
  /** Stops Synapse (its directory kept with `keep`), PostgreSQL and the application service. */
  readonly stop: (o?: { keep?: boolean }) => Promise<void>;
}

export async function startProbeWorld(o: {
  readonly db: "sqlite" | "pg";
  /** Called for each transaction before it is answered. */
  readonly onTransaction: (txn: PushedTransaction) => void | Promise<void>;
  readonly extraConfig?: Record<string, unknown>;
}): Promise<ProbeWorld> {
  const asPort = await freePort();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const m = /\/transactions\/([^/?]+)/.exec(req.url ?? "");
      if (m?.[1] !== undefined) await o.onTransaction({ txnId: m[1], events: JSON.parse(body).events ?? [] });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(asPort, "127.0.0.1", r));
  const pg = o.db === "pg" ? await startPostgres() : undefined;
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
    ...(o.extraConfig && { extraConfig: o.extraConfig }),
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
  return {
    synapse,
    call,
    createRoom: async () =>
      String((await call("POST", "/_matrix/client/v3/createRoom", { preset: "public_chat" })).room_id),
    stop: async (s = {}) => {
      await synapse.stop(s.keep ? { keep: true } : undefined);
      await pg?.stop();
      server.close();
    },
  };
}
