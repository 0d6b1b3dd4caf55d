import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { silentLogger } from "@parley/bridge";
import { type AppserviceServer, startAppserviceServer, type TransactionBody } from "../src/appservice-server.ts";

const HS = "hs-token-unit-0001";
const calls: string[] = [];
let failNext = false;
let server: AppserviceServer;

before(async () => {
  server = await startAppserviceServer({
    host: "127.0.0.1",
    port: 0,
    hsToken: HS,
    logger: silentLogger,
    maxBodyBytes: 64 * 1024,
    handlers: {
      async transaction(id: string, body: TransactionBody) {
        if (failNext) {
          failNext = false;
          throw new Error("the store is down");
        }
        calls.push(`txn ${id} ${body.events.length} ${body.ephemeral?.length ?? 0}`);
      },
      async queryUser(userId) {
        calls.push(`user ${userId}`);
        return userId.startsWith("@_xmpp_");
      },
      async queryAlias(alias) {
        calls.push(`alias ${alias}`);
        return alias.includes("=");
      },
      async other(_req, res, url) {
        if (url.pathname !== "/extra") return false;
        res.end("extra");
        return true;
      },
    },
  });
});
after(() => server.close());

async function req(method: string, path: string, o: { token?: string; body?: string } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(o.token !== undefined && { authorization: `Bearer ${o.token}` }),
    },
    ...(o.body !== undefined && { body: o.body }),
  });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : { text }) as Record<string, unknown> };
}

describe("the application-service HTTP server", () => {
  test("no token: 401 M_UNAUTHORIZED; a wrong token: 403 M_FORBIDDEN; the handler is never called", async () => {
    calls.length = 0;
    const body = JSON.stringify({ events: [{}] });
    assert.deepEqual(await req("PUT", "/_matrix/app/v1/transactions/1", { body }), {
      status: 401,
      body: { errcode: "M_UNAUTHORIZED", error: "no hs_token was given" },
    });
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/1", { body, token: "nope" })).status, 403);
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/1?access_token=nope", { body })).status, 403);
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/1", { body, token: "" })).status, 401);
    assert.equal((await req("GET", "/_matrix/app/v1/users/%40_xmpp_a%3Ax", { token: `${HS}x` })).status, 403);
    assert.equal((await req("POST", "/_matrix/app/v1/ping", { body: "{}" })).status, 401);
    assert.deepEqual(calls, []);
  });

  test("transactions with the token (header or legacy query, prefixed or legacy path) reach the handler", async () => {
    calls.length = 0;
    const body = JSON.stringify({ events: [{}, {}], ephemeral: [{}] });
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/a%20b", { body, token: HS })).status, 200);
    assert.equal((await req("PUT", `/transactions/legacy?access_token=${HS}`, { body })).status, 200);
    const msc = JSON.stringify({ events: [], "de.sorunome.msc2409.ephemeral": [{}, {}] });
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/msc", { body: msc, token: HS })).status, 200);
    assert.deepEqual(calls, ["txn a b 2 1", "txn legacy 2 1", "txn msc 0 2"]);
  });

  test("bad bodies: malformed JSON 400, no events 400, too large 413", async () => {
    calls.length = 0;
    assert.equal(
      (await req("PUT", "/_matrix/app/v1/transactions/x", { body: "{", token: HS })).body.errcode,
      "M_NOT_JSON",
    );
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/x", { body: "[]", token: HS })).status, 400);
    assert.equal(
      (await req("PUT", "/_matrix/app/v1/transactions/x", { body: '{"events":{}}', token: HS })).status,
      400,
    );
    const big = JSON.stringify({ events: [], pad: "x".repeat(70 * 1024) });
    assert.equal((await req("PUT", "/_matrix/app/v1/transactions/x", { body: big, token: HS })).status, 413);
    assert.deepEqual(calls, []);
  });

  test("a handler failure is a 500, so that the homeserver sends the transaction again", async () => {
    failNext = true;
    const r = await req("PUT", "/_matrix/app/v1/transactions/f", { body: '{"events":[]}', token: HS });
    assert.equal(r.status, 500);
    assert.ok(!JSON.stringify(r.body).includes("store is down"), "internal errors are not shown to the caller");
  });

  test("user and alias queries: 200 when the handler says so, else 404; ping 200", async () => {
    calls.length = 0;
    assert.equal((await req("GET", "/_matrix/app/v1/users/%40_xmpp_a%3Ax", { token: HS })).status, 200);
    assert.equal((await req("GET", "/users/%40bob%3Ax", { token: HS })).status, 404);
    assert.equal((await req("GET", "/_matrix/app/v1/rooms/%23_xmpp_a%3Dm%3Ax", { token: HS })).status, 200);
    assert.equal((await req("GET", "/rooms/%23nope%3Ax", { token: HS })).status, 404);
    assert.equal(
      (await req("POST", "/_matrix/app/v1/ping", { token: HS, body: '{"transaction_id":"t"}' })).status,
      200,
    );
    assert.deepEqual(calls, ["user @_xmpp_a:x", "user @bob:x", "alias #_xmpp_a=m:x", "alias #nope:x"]);
  });

  test("wrong methods are 405, unknown paths 404, bad percent-encoding 400; other routes are offered on", async () => {
    assert.equal((await req("GET", "/_matrix/app/v1/transactions/1", { token: HS })).status, 405);
    assert.equal((await req("POST", "/_matrix/app/v1/users/x", { token: HS, body: "{}" })).status, 405);
    assert.equal((await req("GET", "/_matrix/app/v1/nothing", { token: HS })).status, 404);
    assert.equal((await req("GET", "/_matrix/app/v1/users/%E0%A4%A", { token: HS })).status, 400);
    assert.equal((await req("GET", "/extra")).body.text, "extra");
  });
});

describe("the application-service HTTP server tells when the homeserver went away", () => {
  /** A server whose transaction handler waits for `release`, and what it reported as gone. */
  async function watched(idleCloseMs?: number) {
    const reasons: string[] = [];
    let release: () => void = () => {};
    const holding = new Promise<void>((r) => {
      release = r;
    });
    const s = await startAppserviceServer({
      host: "127.0.0.1",
      port: 0,
      hsToken: HS,
      logger: silentLogger,
      homeserverGone: (reason) => reasons.push(reason),
      ...(idleCloseMs !== undefined && { idleCloseMs }),
      handlers: {
        transaction: async (id) => {
          if (id === "slow") await holding;
        },
        queryUser: async () => false,
        queryAlias: async () => false,
      },
    });
    return { s, reasons, release };
  }

  /** One PUT over a raw socket; resolves with the socket once the answer's head is in (or at once when `wait` is false). */
  async function rawPut(url: string, txnId: string, token: string, wait: boolean): Promise<Socket> {
    const { port } = new URL(url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const body = JSON.stringify({ events: [] });
    socket.write(
      `PUT /_matrix/app/v1/transactions/${txnId} HTTP/1.1\r\nhost: hs\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    if (wait) await new Promise((r) => socket.once("data", r));
    return socket;
  }

  const settle = () => new Promise((r) => setTimeout(r, 100));

  test("a transaction cut off before its answer, and a connection the homeserver closes, are reported", async () => {
    const { s, reasons, release } = await watched();
    try {
      const cut = await rawPut(s.url, "slow", HS, false);
      await settle();
      cut.destroy();
      await settle();
      assert.ok(
        reasons.some((r) => r.includes("cut off")),
        `reported: ${reasons.join("; ")}`,
      );
      release();

      reasons.length = 0;
      const idle = await rawPut(s.url, "quick", HS, true);
      idle.end();
      await settle();
      assert.deepEqual(reasons, ["the homeserver closed its connection"]);
    } finally {
      release();
      await s.close();
    }
  });

  test("a homeserver back after this side closed its idle connection is reported once; requests close together are not", async () => {
    const { s, reasons } = await watched(400);
    try {
      const first = await rawPut(s.url, "quick", HS, true);
      await new Promise((r) => first.once("close", r));
      await settle();
      assert.deepEqual(reasons, [], "an idle connection this side closed says nothing by itself");
      const back = await rawPut(s.url, "quick", HS, true);
      assert.equal(reasons.length, 1, `reported: ${reasons.join("; ")}`);
      assert.match(reasons[0] ?? "", /quiet for .* may have restarted unseen/);
      const next = await rawPut(s.url, "quick", HS, true);
      assert.equal(reasons.length, 1, "a request right after another is no gap");
      back.destroy();
      next.destroy();
    } finally {
      await s.close();
    }
  });

  test("connections without the hs_token, and those this side closes when stopping, are not reported", async () => {
    const { s, reasons } = await watched();
    const stranger = await rawPut(s.url, "quick", "not-the-token", true);
    stranger.end();
    await settle();
    assert.deepEqual(reasons, []);
    const open = await rawPut(s.url, "quick", HS, true);
    const closed = new Promise((r) => open.once("close", r));
    await s.close();
    await closed;
    await settle();
    assert.deepEqual(reasons, []);
  });
});
