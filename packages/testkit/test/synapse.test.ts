/**
 * A real Synapse per test run: users registered over HTTP, an application
 * service that receives transactions with its hs_token and registers its
 * ghosts with its as_token, data that survives a restart, and nothing left
 * behind after stop().
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type AppserviceRegistration, portOpen, type Synapse, startPostgres, startSynapse } from "../src/index.ts";

interface Transaction {
  readonly txnId: string;
  readonly authorization: string | undefined;
  readonly body: { events?: MatrixEvent[]; ephemeral?: MatrixEvent[] };
}

interface MatrixEvent {
  type: string;
  room_id?: string;
  sender?: string;
  event_id?: string;
  content?: Record<string, unknown>;
}

/** The appservice side: an HTTP server that records Synapse's transactions and answers as an appservice must. */
class AppserviceInbox {
  readonly transactions: Transaction[] = [];
  readonly otherRequests: string[] = [];
  private readonly server: Server;
  private waiters: Array<() => void> = [];

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<AppserviceInbox> {
    const server = createServer();
    const inbox = new AppserviceInbox(server);
    server.on("request", (req, res) => {
      void readBody(req).then((text) => {
        const m = /^\/_matrix\/app\/v1\/transactions\/([^/?]+)$/.exec(req.url ?? "");
        if (req.method === "PUT" && m?.[1]) {
          inbox.transactions.push({
            txnId: decodeURIComponent(m[1]),
            authorization: req.headers.authorization,
            body: JSON.parse(text),
          });
          for (const w of inbox.waiters.splice(0)) w();
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
          return;
        }
        inbox.otherRequests.push(`${req.method} ${req.url}`);
        res.writeHead(404, { "content-type": "application/json" }).end('{"errcode":"M_NOT_FOUND","error":"nothing"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return inbox;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves with the first transaction that holds a matching event (events or ephemeral). */
  async waitForEvent(
    where: "events" | "ephemeral",
    match: (e: MatrixEvent) => boolean,
    timeoutMs = 20_000,
  ): Promise<{ txn: Transaction; event: MatrixEvent }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const txn of this.transactions) {
        const event = (txn.body[where] ?? []).find(match);
        if (event) return { txn, event };
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.transactions.flatMap((t) => [...(t.body.events ?? []), ...(t.body.ephemeral ?? [])]);
        throw new Error(`no matching ${where} event in ${timeoutMs} ms; seen: ${JSON.stringify(seen).slice(0, 2000)}`);
      }
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(Math.min(left, 500))]);
    }
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A client-server API call; resolves with the status and the JSON body, whatever the status. */
async function api(
  hs: Synapse,
  method: string,
  path: string,
  o: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const res = await fetch(`${hs.url}${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Live (not zombie) processes whose command line mentions `needle`. */
function liveProcesses(needle: string): string[] {
  return execFileSync("ps", ["-eo", "stat=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(needle) && !l.trimStart().startsWith("Z"));
}

function registration(url: string | null): AppserviceRegistration {
  return {
    id: "parley-test",
    url,
    as_token: randomBytes(16).toString("hex"),
    hs_token: randomBytes(16).toString("hex"),
    sender_localpart: "parleybot",
    namespaces: {
      users: [
        { exclusive: true, regex: "@_parley_.*:localhost" },
        { exclusive: true, regex: "@xmpp_.*:localhost" },
      ],
      // Room version 12 (Synapse's default) has room ids without a server name.
      rooms: [{ exclusive: false, regex: "^!.*" }],
    },
    rate_limited: false,
    receive_ephemeral: true,
  };
}

describe("startSynapse with an application service", () => {
  let inbox: AppserviceInbox;
  let reg: AppserviceRegistration;
  let hs: Synapse;
  let alice: { userId: string; accessToken: string; deviceId: string };
  let bob: { userId: string; accessToken: string; deviceId: string };
  let roomId: string;
  const alicePassword = "alice-secret-password";

  before(async () => {
    inbox = await AppserviceInbox.start();
    reg = registration(inbox.url);
    const t0 = performance.now();
    hs = await startSynapse({ appservices: [reg] });
    // Reported, not asserted: every Matrix test file pays this.
    console.log(`synapse answered /health ${Math.round(performance.now() - t0)} ms after startSynapse()`);
  });
  after(async () => {
    await hs?.stop();
    await inbox?.stop();
  });

  it("serves the client-server API on a loopback port under the given server name", async () => {
    assert.match(hs.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(hs.serverName, "localhost");
    const versions = await api(hs, "GET", "/_matrix/client/versions");
    assert.equal(versions.status, 200);
    assert.ok(Array.isArray(versions.body.versions) && versions.body.versions.includes("v1.11"));
    const config = JSON.parse(readFileSync(join(hs.dataDir, "homeserver.yaml"), "utf8"));
    assert.equal(config.database.name, "sqlite3");
    assert.equal(config.report_stats, false);
    assert.deepEqual(config.listeners[0].bind_addresses, ["127.0.0.1"]);
  });

  it("registers users through the client-server API, with display names and admins", async () => {
    alice = await hs.registerUser("alice", { password: alicePassword, displayName: "Alice A." });
    bob = await hs.registerUser("bob");
    assert.equal(alice.userId, "@alice:localhost");
    assert.equal(bob.userId, "@bob:localhost");
    assert.ok(alice.deviceId.length > 0 && alice.accessToken !== bob.accessToken);
    const who = await api(hs, "GET", "/_matrix/client/v3/account/whoami", { token: bob.accessToken });
    assert.deepEqual([who.status, who.body.user_id, who.body.device_id], [200, bob.userId, bob.deviceId]);
    const name = await api(hs, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/displayname`);
    assert.equal(name.body.displayname, "Alice A.");

    const root = await hs.registerUser("root", { admin: true, displayName: "Root" });
    const asAdmin = await api(hs, "GET", `/_synapse/admin/v2/users/${encodeURIComponent(alice.userId)}`, {
      token: root.accessToken,
    });
    assert.equal(asAdmin.status, 200);
    const self = await api(hs, "GET", `/_synapse/admin/v2/users/${encodeURIComponent(root.userId)}`, {
      token: root.accessToken,
    });
    assert.equal(self.body.admin, true);
    assert.equal(self.body.displayname, "Root");
    const notAdmin = await api(hs, "GET", `/_synapse/admin/v2/users/${encodeURIComponent(root.userId)}`, {
      token: bob.accessToken,
    });
    assert.equal(notAdmin.status, 403);

    await assert.rejects(hs.registerUser("alice"), /registering "alice" failed: HTTP 400 M_USER_IN_USE/);
    await assert.rejects(hs.registerUser("no spaces"), /M_INVALID_USERNAME/);
    await assert.rejects(hs.registerUser(""), /the localpart is empty/);
  });

  it("pushes a room message to the appservice in a transaction authorised with the hs_token", async () => {
    const created = await api(hs, "POST", "/_matrix/client/v3/createRoom", {
      token: alice.accessToken,
      body: { name: "bridge test", preset: "public_chat", invite: [bob.userId] },
    });
    assert.equal(created.status, 200);
    roomId = String(created.body.room_id);
    const joined = await api(hs, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
      token: bob.accessToken,
      body: {},
    });
    assert.equal(joined.status, 200);
    const sent = await api(
      hs,
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-1`,
      { token: alice.accessToken, body: { msgtype: "m.text", body: "hello from alice" } },
    );
    assert.equal(sent.status, 200);

    const { txn, event } = await inbox.waitForEvent("events", (e) => e.event_id === sent.body.event_id);
    assert.equal(event.type, "m.room.message");
    assert.equal(event.room_id, roomId);
    assert.equal(event.sender, alice.userId);
    assert.deepEqual(event.content, { msgtype: "m.text", body: "hello from alice" });
    assert.equal(txn.authorization, `Bearer ${reg.hs_token}`);
    assert.ok(txn.txnId.length > 0);
  });

  it("lets the appservice register and act as a ghost in its namespace with the as_token", async () => {
    const ghost = await api(hs, "POST", "/_matrix/client/v3/register", {
      token: reg.as_token,
      body: { type: "m.login.application_service", username: "_parley_carol" },
    });
    assert.equal(ghost.status, 200, JSON.stringify(ghost.body));
    assert.equal(ghost.body.user_id, "@_parley_carol:localhost");

    // The namespaces are exclusive: nobody else may take a name in them.
    await assert.rejects(hs.registerUser("xmpp_mallory"), /M_EXCLUSIVE/);
    // And the appservice may not register outside it.
    const outside = await api(hs, "POST", "/_matrix/client/v3/register", {
      token: reg.as_token,
      body: { type: "m.login.application_service", username: "dave" },
    });
    assert.equal(outside.body.errcode, "M_EXCLUSIVE");

    // Masquerading as the ghost through the as_token (?user_id=), as the Matrix bridge does.
    const asGhost = `user_id=${encodeURIComponent("@_parley_carol:localhost")}`;
    const join = await api(hs, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?${asGhost}`, {
      token: reg.as_token,
      body: {},
    });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    const said = await api(
      hs,
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/ghost-1?${asGhost}`,
      { token: reg.as_token, body: { msgtype: "m.text", body: "hello from xmpp" } },
    );
    assert.equal(said.status, 200);
    const messages = await api(
      hs,
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=5`,
      { token: bob.accessToken },
    );
    const chunk = messages.body.chunk as MatrixEvent[];
    assert.ok(chunk.some((e) => e.sender === "@_parley_carol:localhost" && e.content?.body === "hello from xmpp"));
  });

  it("pushes typing and presence to an appservice that asked for ephemeral events", async () => {
    const typing = await api(
      hs,
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(bob.userId)}`,
      { token: bob.accessToken, body: { typing: true, timeout: 30_000 } },
    );
    assert.equal(typing.status, 200);
    const typed = await inbox.waitForEvent(
      "ephemeral",
      (e) => e.type === "m.typing" && e.room_id === roomId && JSON.stringify(e.content).includes(bob.userId),
    );
    assert.equal(typed.txn.authorization, `Bearer ${reg.hs_token}`);

    const presence = await api(hs, "PUT", `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, {
      token: alice.accessToken,
      body: { presence: "unavailable", status_msg: "out for lunch" },
    });
    assert.equal(presence.status, 200);
    const seen = await inbox.waitForEvent(
      "ephemeral",
      (e) => e.type === "m.presence" && e.sender === alice.userId && e.content?.status_msg === "out for lunch",
    );
    assert.equal(seen.event.content?.presence, "unavailable");
  });

  it("keeps users, tokens and rooms across a restart on the same port", async () => {
    const { url, dataDir } = hs;
    await hs.restart();
    assert.equal(hs.url, url);
    assert.equal(hs.dataDir, dataDir);
    const who = await api(hs, "GET", "/_matrix/client/v3/account/whoami", { token: alice.accessToken });
    assert.equal(who.body.user_id, alice.userId);
    const login = await api(hs, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: alicePassword },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.user_id, alice.userId);
    const rooms = await api(hs, "GET", "/_matrix/client/v3/joined_rooms", { token: bob.accessToken });
    assert.deepEqual(rooms.body.joined_rooms, [roomId]);

    // The appservice still gets transactions after the restart.
    const sent = await api(
      hs,
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-2`,
      { token: bob.accessToken, body: { msgtype: "m.text", body: "after the restart" } },
    );
    const { txn } = await inbox.waitForEvent("events", (e) => e.event_id === sent.body.event_id);
    assert.equal(txn.authorization, `Bearer ${reg.hs_token}`);
  });

  it("shows the log tail for failure messages", () => {
    const tail = hs.logTail(20);
    assert.match(tail, /homeserver\.log/);
    assert.match(tail, /STARTING SERVER/);
    assert.ok(!tail.includes(reg.as_token) && !tail.includes(alice.accessToken), "no tokens in the log tail");
  });
});

describe("startSynapse on PostgreSQL", () => {
  it("keeps its data in the given database, across a restart", async () => {
    const pg = await startPostgres();
    try {
      const database = "synapse_data";
      await pg.createDatabase(database);
      const hs = await startSynapse({ postgres: { ...pg, database } });
      try {
        const user = await hs.registerUser("pat");
        await hs.restart();
        const who = await api(hs, "GET", "/_matrix/client/v3/account/whoami", { token: user.accessToken });
        assert.equal(who.body.user_id, user.userId);
        const rows = await pg.psql("SELECT name FROM users", { database });
        assert.ok(rows.split("\n").includes(user.userId), rows);
        assert.equal(existsSync(join(hs.dataDir, "homeserver.db")), false, "no SQLite file");
      } finally {
        await hs.stop();
      }
    } finally {
      await pg.stop();
    }
  });
});

describe("Synapse stop", () => {
  it("kills the homeserver's process group and removes its directory", async () => {
    const hs = await startSynapse({ serverName: "parley.localhost" });
    const user = await hs.registerUser("eve");
    assert.equal(user.userId, "@eve:parley.localhost");
    assert.ok(liveProcesses(hs.dataDir).length > 0, "synapse runs with its config in its own directory");
    await hs.stop();
    assert.equal(existsSync(hs.dataDir), false);
    assert.deepEqual(liveProcesses(hs.dataDir), []);
    assert.equal(await portOpen(Number(new URL(hs.url).port)), false);
    await assert.rejects(hs.restart(), /stopped/);
    await hs.stop(); // twice is harmless
  });
});

describe("startSynapse with bad input", () => {
  it("names the field of a registration Synapse would refuse, before starting anything", async () => {
    const bad = { ...registration(null), hs_token: "" };
    await assert.rejects(startSynapse({ appservices: [bad] }), /registration 0 \("parley-test"\): hs_token/);
    const clash = [registration(null), { ...registration(null), id: "other" }];
    const second = clash[1];
    if (second) second.as_token = clash[0]?.as_token ?? "";
    await assert.rejects(startSynapse({ appservices: clash }), /as_token is used by another registration/);
    const noNamespaces = { ...registration(null), namespaces: { users: [{ regex: "@x.*" }] } };
    await assert.rejects(
      startSynapse({ appservices: [noNamespaces as unknown as AppserviceRegistration] }),
      /namespaces\.users entries need a string regex and a boolean exclusive/,
    );
  });

  it("refuses a server name that is not one", async () => {
    await assert.rejects(startSynapse({ serverName: "bad name/with slash" }), /invalid Matrix server name/);
  });

  it("fails with Synapse's own words when it refuses the configuration", async () => {
    let dir: string | undefined;
    try {
      await assert.rejects(startSynapse({ extraConfig: { database: { name: "no-such-engine" } } }), (e: Error) => {
        assert.match(e.message, /synapse exited before it was ready/);
        assert.match(e.message, /no-such-engine/);
        dir = /directory kept for a post-mortem: ([^\s)]+)/.exec(e.message)?.[1];
        return true;
      });
      assert.ok(dir && existsSync(join(dir, "homeserver.yaml")));
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});
