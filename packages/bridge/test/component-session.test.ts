/** The XEP-0114 session against real Prosody and ejabberd, and against a scripted server for failure modes. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildMessage, parseMessage } from "@parley/stanza";
import { isMessage, startXmppServer, TestClient, XMPP_SERVER_KINDS, type XmppServer } from "@parley/testkit";
import { backoffDelay, ComponentAuthError, ComponentSession, OutboundQueue, QueueFullError } from "../src/internals.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`component session on ${kind}`, () => {
    let server: XmppServer;
    let alice: TestClient;
    const sessions: ComponentSession[] = [];
    const session = (extra: Partial<ConstructorParameters<typeof ComponentSession>[0]> = {}) => {
      const c = server.components[0];
      assert.ok(c);
      const s = new ComponentSession({
        host: server.host,
        port: server.componentPort,
        domain: c.domain,
        secret: c.secret,
        reconnect: { minDelayMs: 50, maxDelayMs: 200 },
        ...extra,
      });
      sessions.push(s);
      return s;
    };

    before(async () => {
      server = await startXmppServer(kind);
      const a = server.accounts[0];
      assert.ok(a);
      alice = await TestClient.connect(server, a);
    });
    after(async () => {
      for (const s of sessions) await s.stop();
      await alice?.stop();
      await server?.stop();
    });

    it("authenticates and carries stanzas both ways", async () => {
      const s = session();
      const inbound: string[] = [];
      s.on("stanza", (el) => {
        const m = parseMessage(el);
        if (m.ok && m.value.body) inbound.push(m.value.body);
      });
      await s.start();
      assert.equal(s.state, "online");
      await s.send(
        buildMessage({
          type: "chat",
          id: "c1",
          from: `puppet@${s.options.domain}/b`,
          to: alice.jid,
          body: "over the component",
        }),
      );
      await alice.waitFor(isMessage((m) => m.body === "over the component"));
      await alice.send(buildMessage({ type: "chat", to: `puppet@${s.options.domain}`, body: "back to the bridge" }));
      for (let i = 0; i < 50 && !inbound.includes("back to the bridge"); i++) await sleep(20);
      assert.deepEqual(inbound, ["back to the bridge"]);
      await s.stop();
    });

    it("writes the serialised text it is given beside the element, not the element again", async () => {
      const s = session();
      await s.start();
      const stanza = (body: string) =>
        buildMessage({ type: "chat", id: "c2", from: `puppet@${s.options.domain}/b`, to: alice.jid, body });
      await s.send(stanza("the element"), stanza("the text given").toString());
      await alice.waitFor(isMessage((m) => m.body === "the text given"));
      await s.stop();
    });

    it("refuses a wrong secret with a configuration error and does not retry", async () => {
      const s = session({ secret: "wrong-secret" });
      await assert.rejects(s.start(), ComponentAuthError);
      assert.equal(s.state, "stopped");
      await sleep(300);
      assert.equal(s.connections, 0);
    });

    it("reconnects after the link drops and delivers what was queued meanwhile, in order, once", async () => {
      const s = session();
      await s.start();
      const offline = once(s, "offline");
      s.dropConnection();
      await offline;
      const sent = Array.from({ length: 20 }, (_, i) =>
        s.send(
          buildMessage({
            type: "chat",
            id: `q${i}`,
            from: `puppet@${s.options.domain}/b`,
            to: alice.jid,
            body: `queued ${i}`,
          }),
        ),
      );
      await Promise.all(sent);
      assert.equal(s.connections, 2);
      const got: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await alice.waitFor(isMessage((m) => m.body?.startsWith("queued ") ?? false));
        if (r.stanza?.kind === "message") got.push(r.stanza.body ?? "");
      }
      assert.deepEqual(
        got,
        Array.from({ length: 20 }, (_, i) => `queued ${i}`),
      );
      await assert.rejects(
        alice.waitFor(
          isMessage((m) => m.body?.startsWith("queued ") ?? false),
          { timeoutMs: 300 },
        ),
      );
      await s.stop();
    });

    it("keeps the link alive with pings the server answers", async () => {
      const s = session({ keepaliveIntervalMs: 100, keepaliveTimeoutMs: 2000 });
      const warnings: string[] = [];
      s.on("warning", (w) => warnings.push(w));
      await s.start();
      await sleep(700);
      assert.equal(s.state, "online");
      assert.equal(s.connections, 1);
      assert.deepEqual(warnings, []);
      await s.stop();
    });
  });
}

/**
 * A server that speaks just enough XEP-0114 to accept a component, then
 * ignores everything; with `chatterMs`, it sends the component a message
 * that often (a busy server whose answers to pings are late).
 */
async function silentServer(
  secret: string,
  chatterMs?: number,
): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((sock: Socket) => {
    if (chatterMs !== undefined) {
      const chatter = setInterval(
        () =>
          sock.writable &&
          sock.write("<message from='room@muc.example' to='x@bridge.example'><body>busy</body></message>"),
        chatterMs,
      );
      sock.on("close", () => clearInterval(chatter));
    }
    sock.setEncoding("utf8");
    let buf = "";
    sock.on("data", (d: string) => {
      buf += d;
      if (buf.includes("<stream:stream") && !buf.includes("sent-header")) {
        buf += "sent-header";
        sock.write(
          `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='3BF96D32'>`,
        );
      }
      const m = /<handshake>([0-9a-f]+)<\/handshake>/.exec(buf);
      if (m && !buf.includes("sent-handshake")) {
        buf += "sent-handshake";
        const want = createHash("sha1").update(`3BF96D32${secret}`).digest("hex");
        if (m[1] === want) {
          accepted++;
          sock.write("<handshake/>");
        } else
          sock.end(
            "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>",
          );
      }
    });
    sock.on("error", () => undefined);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : 0, accepted: () => accepted };
}

describe("component session failure modes", () => {
  it("reconnects when keepalive pings go unanswered", async () => {
    const fake = await silentServer("s3cret");
    const s = new ComponentSession({
      host: "127.0.0.1",
      port: fake.port,
      domain: "bridge.example",
      secret: "s3cret",
      keepaliveIntervalMs: 50,
      keepaliveTimeoutMs: 100,
      reconnect: { minDelayMs: 20, maxDelayMs: 50 },
    });
    await s.start();
    for (let i = 0; i < 100 && s.connections < 2; i++) await sleep(20);
    assert.ok(s.connections >= 2, `reconnected (${s.connections} connections)`);
    assert.ok(fake.accepted() >= 2);
    await s.stop();
    fake.server.close();
  });

  it("keeps a link that carries traffic even when pings are answered late", async () => {
    const fake = await silentServer("s3cret", 20);
    const warnings: string[] = [];
    const s = new ComponentSession({
      host: "127.0.0.1",
      port: fake.port,
      domain: "bridge.example",
      secret: "s3cret",
      keepaliveIntervalMs: 50,
      // Many times the server's chatter, so that a busy machine's late timers do not make a silence.
      keepaliveTimeoutMs: 400,
      reconnect: { minDelayMs: 20, maxDelayMs: 50 },
    });
    s.on("warning", (w: string) => warnings.push(w));
    try {
      await s.start();
      await sleep(1500);
      assert.equal(s.connections, 1, "not dropped while the server is busy sending");
      assert.deepEqual(warnings, []);
    } finally {
      await s.stop();
      fake.server.close();
    }
  });

  it("survives garbage from the server and comes back", async () => {
    const server = createServer((sock) => {
      // The session may reset the connection while this end still writes: not this test's concern.
      sock.on("error", () => undefined);
      sock.end("<<<not xml at all & <stream:stream>");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const s = new ComponentSession({
      host: "127.0.0.1",
      port,
      domain: "b.example",
      secret: "x",
      reconnect: { minDelayMs: 20, maxDelayMs: 40 },
    });
    const warnings: string[] = [];
    s.on("warning", (w) => warnings.push(w));
    s.start().catch(() => undefined);
    for (let i = 0; i < 500 && warnings.length < 2; i++) await sleep(20);
    assert.ok(warnings.length >= 2, "keeps retrying with a warning each time");
    assert.equal(s.state === "waiting" || s.state === "connecting", true);
    await s.stop();
    server.close();
  });
});

describe("outbound queue", () => {
  it("holds at most maxItems and makes producers wait, then fail, instead of growing", async () => {
    const q = new OutboundQueue({ maxItems: 3, maxWaitMs: 100 });
    const accepted = [q.push("a"), q.push("b"), q.push("c")];
    assert.equal(q.length, 3);
    const fourth = q.push("d");
    await sleep(20);
    assert.equal(q.length, 3, "the fourth waits for room");
    q.shift()?.resolve();
    await sleep(5);
    assert.equal(q.length, 3, "room made, the fourth got in");
    await assert.rejects(q.push("e"), QueueFullError);
    for (let item = q.shift(); item; item = q.shift()) item.resolve();
    await Promise.all([...accepted.slice(1), fourth]);
  });
  it("bounds bytes as well as items", async () => {
    const q = new OutboundQueue({ maxItems: 100, maxBytes: 10, maxWaitMs: 50 });
    void q.push("12345678");
    await assert.rejects(q.push("abcdef"), QueueFullError);
    assert.equal(q.bytes, 8);
  });
});

describe("backoff", () => {
  it("grows exponentially up to the cap, with jitter below the ceiling", () => {
    assert.equal(
      backoffDelay(0, 100, 10_000, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(3, 100, 10_000, () => 0.999),
      799,
    );
    assert.equal(
      backoffDelay(20, 100, 10_000, () => 0.999),
      9990,
    );
    assert.equal(
      backoffDelay(5, 100, 10_000, () => 0),
      50,
    );
  });
});
