/**
 * The two HTTP endpoints, over real HTTP on free ports: the public one serves
 * media and nothing else; the operator's serves health, readiness and
 * metrics (behind a token when one is set) and no media.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { RunningHttpServer } from "../src/ops/http-listener.ts";
import { createLogger } from "../src/ops/logger.ts";
import { type MediaFile, type MediaSource, startMediaServer } from "../src/ops/media-server.ts";
import { BridgeMetrics } from "../src/ops/metrics.ts";
import { isLoopbackHost, startOpsServer } from "../src/ops/ops-server.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

/** A media source over fixed files that records every id it was asked for. */
class FakeMedia implements MediaSource {
  readonly opened: string[] = [];
  readonly streams: Readable[] = [];
  async open(id: string): Promise<MediaFile | undefined> {
    this.opened.push(id);
    switch (id) {
      case "avatar.png":
        return { body: PNG, contentType: "image/png", size: PNG.byteLength };
      case "report.pdf":
        return { body: new Uint8Array(3), contentType: "application/pdf", size: 3, filename: 'q3 "final"€.pdf' };
      case "clip":
        return this.stream(["hello ", "world"], "video/mp4", 11);
      case "short":
        return this.stream(["only this"], "audio/ogg", 100);
      case "drawing.svg":
        return { body: new Uint8Array(4), contentType: "image/svg+xml", size: 4 };
      case "badtype":
        return { body: new Uint8Array(1), contentType: "text/html\r\nX-Injected: 1", size: 1 };
      case "broken":
        throw new Error("disk on fire at /var/secret/path");
      default:
        return undefined;
    }
  }
  private stream(chunks: string[], contentType: string, size: number): MediaFile {
    const body = Readable.from(chunks.map((c) => Buffer.from(c)));
    this.streams.push(body);
    return { body, contentType, size };
  }
}

/** A raw HTTP request, so paths reach the server exactly as written (fetch would normalize `..`). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the media endpoint (public)", () => {
  let server: RunningHttpServer;
  const media = new FakeMedia();
  const logLines: Record<string, unknown>[] = [];

  before(async () => {
    server = await startMediaServer({
      host: "127.0.0.1",
      port: 0,
      media,
      logger: createLogger({ level: "debug", write: (l) => logLines.push(JSON.parse(l)) }),
    });
  });
  after(async () => {
    await server?.close();
  });

  it("listens on the free port it reports", () => {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  it("refuses the operator's paths: /healthz, /readyz and /metrics are not found here", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics", "/metrics?x=1"]) {
      const res = await raw(server.url, "GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, "not found\n");
    }
    assert.equal((await raw(server.url, "POST", "/metrics")).status, 404, "not even a 405 gives them away");
  });

  it("serves an image inline with the hardening headers", async () => {
    const res = await fetch(`${server.url}/media/avatar.png`);
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), PNG);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(res.headers.get("content-length"), String(PNG.byteLength));
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(res.headers.get("content-security-policy"), "default-src 'none'");
    assert.equal(res.headers.get("content-disposition"), "inline");
  });
  it("serves anything not image/audio/video (and SVG) as an attachment, with a safe filename", async () => {
    const pdf = await fetch(`${server.url}/media/report.pdf`);
    assert.equal(pdf.status, 200);
    assert.equal(
      pdf.headers.get("content-disposition"),
      `attachment; filename="q3 _final__.pdf"; filename*=UTF-8''q3%20%22final%22%E2%82%AC.pdf`,
    );
    await pdf.arrayBuffer();
    const svg = await fetch(`${server.url}/media/drawing.svg`);
    assert.equal(svg.headers.get("content-disposition"), "attachment");
    await svg.arrayBuffer();
    const bad = await fetch(`${server.url}/media/badtype`);
    assert.equal(bad.status, 200);
    assert.equal(bad.headers.get("content-type"), "application/octet-stream");
    assert.equal(bad.headers.get("x-injected"), null);
    assert.equal(bad.headers.get("content-disposition"), "attachment");
    await bad.arrayBuffer();
  });
  it("streams a stream body", async () => {
    const res = await fetch(`${server.url}/media/clip`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), "11");
    assert.equal(res.headers.get("content-disposition"), "inline");
    assert.equal(await res.text(), "hello world");
  });
  it("HEAD sends the headers without the body, and releases a stream", async () => {
    const res = await fetch(`${server.url}/media/avatar.png`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(PNG.byteLength));
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(await res.text(), "");
    const before = media.streams.length;
    const clip = await fetch(`${server.url}/media/clip`, { method: "HEAD" });
    assert.equal(clip.status, 200);
    assert.equal(clip.headers.get("content-length"), "11");
    assert.equal(await clip.text(), "");
    assert.equal(media.streams.length, before + 1);
    assert.equal(media.streams.at(-1)?.destroyed, true);
  });
  it("cuts the connection when a stream is shorter than its size, and keeps serving", async () => {
    const res = await fetch(`${server.url}/media/short`);
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
    assert.equal((await fetch(`${server.url}/media/avatar.png`)).status, 200);
  });
  it("answers 404 to unknown media and to ids outside the pattern, without asking the source", async () => {
    assert.equal((await fetch(`${server.url}/media/nothing-here.png`)).status, 404);
    media.opened.length = 0;
    const hostile = [
      "/media/../../etc/passwd",
      "/media/..%2F..%2Fetc%2Fpasswd",
      "/media/%2e%2e",
      "/media/..",
      "/media/a/b",
      "/media/",
      "/media/.png",
      "/media/a.b.c",
      "/media/a%00.png",
      `/media/${"a".repeat(129)}`,
      `/media/a.${"b".repeat(17)}`,
      "/media//etc/passwd",
      "/media/avatar.png/",
    ];
    for (const path of hostile) {
      const res = await raw(server.url, "GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, "not found\n");
    }
    assert.deepEqual(media.opened, []);
    assert.equal((await raw(server.url, "GET", `/media/${"a".repeat(128)}.${"b".repeat(16)}`)).status, 404);
    assert.deepEqual(
      media.opened,
      [`${"a".repeat(128)}.${"b".repeat(16)}`],
      "the longest valid id does reach the source",
    );
  });

  it("answers 404 to any other path, and 405 to other methods on media", async () => {
    for (const path of ["/", "/nope", "/mediax/avatar.png", "/MEDIA/avatar.png"]) {
      assert.equal((await raw(server.url, "GET", path)).status, 404, path);
    }
    for (const method of ["POST", "DELETE", "OPTIONS"]) {
      const res = await fetch(`${server.url}/media/avatar.png`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      await res.text();
    }
  });

  it("turns a failing source into a bare 500 and a log line, then keeps serving", async () => {
    logLines.length = 0;
    const res = await fetch(`${server.url}/media/broken`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "internal error\n");
    const errors = logLines.filter((l) => l.level === "error" && l.msg === "http handler failed");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, "/media/broken");
    assert.match(JSON.stringify(errors[0]), /disk on fire/);
    assert.equal((await fetch(`${server.url}/media/avatar.png`)).status, 200);
  });
});

describe("the ops endpoint (operator)", () => {
  let server: RunningHttpServer;
  const metrics = new BridgeMetrics();
  const logLines: Record<string, unknown>[] = [];
  let state = { ready: false, checks: { xmpp: false, store: true } as Record<string, boolean> };
  let readinessThrows = false;

  before(async () => {
    server = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      readiness: () => {
        if (readinessThrows) throw new Error("readiness exploded with internal detail");
        return state;
      },
      logger: createLogger({ level: "debug", write: (l) => logLines.push(JSON.parse(l)) }),
    });
  });
  after(async () => {
    await server?.close();
  });

  it("GET /healthz answers ok", async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.deepEqual(await res.json(), { status: "ok" });
    const head = await fetch(`${server.url}/healthz?probe=1`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("GET /readyz follows readiness and shows the checks", async () => {
    let res = await fetch(`${server.url}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { ready: false, checks: { xmpp: false, store: true } });
    state = { ready: true, checks: { xmpp: true, store: true } };
    res = await fetch(`${server.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ready: true, checks: { xmpp: true, store: true } });
    state = { ready: false, checks: { xmpp: false, store: true } };
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
  });

  it("GET /metrics serves the Prometheus text, without a token when none is set", async () => {
    metrics.xmppConnected(true);
    metrics.badInput("xmpp");
    metrics.pruned("messages", 3);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), metrics.contentType);
    const text = await res.text();
    assert.match(text, /^parley_xmpp_connected 1$/m);
    assert.match(text, /^parley_bad_input_total\{source="xmpp"\} 1$/m);
    assert.match(text, /^parley_store_pruned_rows_total\{records="messages"\} 3$/m);
  });

  it("refuses media: /media/<id> is not found here", async () => {
    for (const path of ["/media/avatar.png", "/media/", "/media/clip"]) {
      const res = await raw(server.url, "GET", path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, "not found\n");
    }
  });

  it("answers 404 to any other path, and 405 to other methods on its own", async () => {
    for (const path of ["/", "/nope", "/healthz/", "/HEALTHZ", "/metrics/x"]) {
      assert.equal((await raw(server.url, "GET", path)).status, 404, path);
    }
    assert.equal((await raw(server.url, "POST", "/nope")).status, 404);
    for (const [method, path] of [
      ["POST", "/healthz"],
      ["PUT", "/readyz"],
      ["OPTIONS", "/metrics"],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      await res.text();
    }
  });

  it("turns a failing readiness check into a bare 500 and a log line, then keeps serving", async () => {
    logLines.length = 0;
    readinessThrows = true;
    const ready = await fetch(`${server.url}/readyz`);
    readinessThrows = false;
    assert.equal(ready.status, 500);
    assert.ok(!(await ready.text()).includes("exploded"));
    const errors = logLines.filter((l) => l.level === "error" && l.msg === "http handler failed");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, "/readyz");
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

describe("the ops endpoint with ops.metricsToken", () => {
  const token = "m3tr1cs-t0ken-0123456789abcdef";
  let server: RunningHttpServer;

  before(async () => {
    server = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      metrics: new BridgeMetrics(),
      readiness: () => ({ ready: true, checks: {} }),
      metricsToken: token,
    });
  });
  after(async () => {
    await server?.close();
  });

  it("requires the bearer token for /metrics", async () => {
    const none = await raw(server.url, "GET", "/metrics");
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.body, /parley_/);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="parley metrics"');
    await res.text();
    for (const header of [`Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, "Bearer "]) {
      assert.equal((await raw(server.url, "GET", "/metrics", { authorization: header })).status, 401, header);
    }
    const good = await raw(server.url, "GET", "/metrics", { authorization: `Bearer ${token}` });
    assert.equal(good.status, 200);
    assert.match(good.body, /^parley_xmpp_connected 0$/m);
    assert.equal((await raw(server.url, "GET", "/metrics", { authorization: `bearer  ${token}` })).status, 200);
  });

  it("leaves /healthz and /readyz open to probes", async () => {
    assert.equal((await raw(server.url, "GET", "/healthz")).status, 200);
    assert.equal((await raw(server.url, "GET", "/readyz")).status, 200);
  });
});

describe("listening and closing", () => {
  it("answers 404 to media when no source is given, and stops on close", async () => {
    const s = await startMediaServer({ host: "127.0.0.1", port: 0 });
    assert.equal((await fetch(`${s.url}/media/avatar.png`)).status, 404);
    await s.close();
    await s.close();
    await assert.rejects(fetch(`${s.url}/media/avatar.png`));
  });

  it("rejects with an HttpListenError naming the config fields when the port is taken", async () => {
    const media = await startMediaServer({ host: "127.0.0.1", port: 0 });
    try {
      await assert.rejects(
        startOpsServer({
          host: "127.0.0.1",
          port: media.port,
          metrics: new BridgeMetrics(),
          readiness: () => ({ ready: true, checks: {} }),
        }),
        (e: unknown) =>
          e instanceof Error &&
          e.name === "HttpListenError" &&
          /^the ops endpoint could not listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); set ops\.host\/ops\.port .*ops\.port to 0$/.test(
            e.message,
          ),
      );
      await assert.rejects(
        startMediaServer({ host: "127.0.0.1", port: media.port }),
        (e: unknown) => e instanceof Error && /^the media endpoint .*set http\.host\/http\.port/.test(e.message),
      );
    } finally {
      await media.close();
    }
  });

  it("tells loopback hosts from the others", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "bridge.example.org"]) assert.equal(isLoopbackHost(h), false, h);
  });
});
