/** Downloading and re-hosting remote files: address checks, limits, redirects, timeouts, names. */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import { isTransientFailure } from "../src/delivery/delivery-errors.ts";
import { fetchMedia, filenameFromDisposition } from "../src/media/fetch-media.ts";
import { MediaFetchError, MediaTooLargeError } from "../src/media/media-errors.ts";
import { MediaStore } from "../src/media/media-store.ts";
import { rehost } from "../src/media/rehost.ts";

const PNG = new Uint8Array(Array.from({ length: 64 }, (_, i) => i));

interface Seen {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

function fetchError(reason: string) {
  return (e: unknown) => {
    assert.ok(e instanceof MediaFetchError, `expected a MediaFetchError, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    return true;
  };
}

describe("fetchMedia", () => {
  const seen: Seen[] = [];
  const seenOther: Seen[] = [];
  let server: Server;
  let other: Server;
  let base: string;
  let otherBase: string;
  let dir: string;

  before(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? "/";
      seen.push({ url, headers: req.headers });
      const hop = /^\/hop\/(\d+)$/.exec(url);
      if (hop) {
        const n = Number(hop[1]);
        res.writeHead(302, { location: n === 0 ? "/files/cat.png" : `/hop/${n - 1}` }).end();
      } else if (url === "/files/cat.png" || url === "/files/cat%20photo.png") {
        res.writeHead(200, { "content-type": "image/png", "content-length": PNG.byteLength }).end(PNG);
      } else if (url === "/octet/cat.png") {
        res.writeHead(200, { "content-type": "application/octet-stream" }).end(PNG);
      } else if (url === "/big-declared") {
        res.writeHead(200, { "content-type": "video/mp4", "content-length": 1000 }).end(Buffer.alloc(1000));
      } else if (url === "/big-streamed") {
        res.writeHead(200, { "content-type": "video/mp4" });
        let i = 0;
        const more = () => {
          if (res.destroyed || i++ === 20) return res.end();
          res.write(Buffer.alloc(50, 1), more);
        };
        more();
      } else if (url === "/dl") {
        res
          .writeHead(200, {
            "content-type": "application/pdf",
            "content-disposition": `attachment; filename="fallback.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
          })
          .end("%PDF");
      } else if (url === "/cross") {
        res.writeHead(307, { location: `${otherBase}/echo` }).end();
      } else if (url === "/to-ftp") {
        res.writeHead(302, { location: "ftp://example.org/x" }).end();
      } else if (url === "/no-location") {
        res.writeHead(302).end();
      } else if (url === "/missing") {
        res.writeHead(404).end("not here");
      } else if (url === "/unavailable") {
        res.writeHead(503).end("try later");
      } else if (url === "/hang") {
        // never answers
      } else if (url === "/slow-body") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("the first part, then nothing");
      } else {
        res.writeHead(500).end();
      }
    });
    other = createServer((req, res) => {
      seenOther.push({ url: req.url ?? "/", headers: req.headers });
      res.writeHead(200, { "content-type": "text/plain" }).end("other origin");
    });
    base = `http://127.0.0.1:${await listen(server)}`;
    otherBase = `http://127.0.0.1:${await listen(other)}`;
    dir = await mkdtemp(join(tmpdir(), "parley-fetch-"));
  });
  after(async () => {
    server.closeAllConnections();
    other.closeAllConnections();
    await new Promise((r) => server.close(r));
    await new Promise((r) => other.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const local = { allowPrivateAddresses: true, maxBytes: 10_000 } as const;

  it("downloads a file with its type, size and the name from the URL", async () => {
    const got = await fetchMedia(`${base}/files/cat%20photo.png`, local);
    assert.equal(got.contentType, "image/png");
    assert.equal(got.size, PNG.byteLength);
    assert.equal(got.filename, "cat photo.png");
    assert.deepEqual(await collect(got.body), PNG);
  });

  it("refuses loopback, private and IPv6 loopback addresses by default, before connecting", async () => {
    const before = seen.length;
    await assert.rejects(fetchMedia(`${base}/files/cat.png`, { maxBytes: 10_000 }), fetchError("private-address"));
    const port = new URL(base).port;
    await assert.rejects(
      fetchMedia(`http://[::1]:${port}/files/cat.png`, { maxBytes: 10 }),
      fetchError("private-address"),
    );
    await assert.rejects(
      fetchMedia(`http://[::ffff:127.0.0.1]:${port}/files/cat.png`, { maxBytes: 10 }),
      fetchError("private-address"),
    );
    await assert.rejects(fetchMedia("http://10.1.2.3/secret", { maxBytes: 10 }), fetchError("private-address"));
    await assert.rejects(
      fetchMedia("http://169.254.169.254/latest/meta-data/", { maxBytes: 10 }),
      fetchError("private-address"),
    );
    await assert.rejects(
      fetchMedia(`http://localhost:${port}/files/cat.png`, { maxBytes: 10 }),
      fetchError("private-address"),
    );
    assert.equal(seen.length, before, "the server never saw a request");
  });

  it("checks the address it connects to: a name that resolves to a public address, then to loopback, is refused (DNS rebinding)", async () => {
    const before = seen.length;
    const port = new URL(base).port;
    let lookups = 0;
    // The first answer (the early check) is public; every later one (the connection's own) points at this machine.
    const rebinding = async () => [{ address: lookups++ === 0 ? "93.184.216.34" : "127.0.0.1" }];
    await assert.rejects(
      fetchMedia(`http://rebind.example:${port}/files/cat.png`, { maxBytes: 10_000, lookup: rebinding }),
      fetchError("private-address"),
    );
    assert.ok(lookups >= 2, "the connection resolved the name again, through the same check");
    assert.equal(seen.length, before, "the server never saw a request");
  });

  it("checks every address a name resolves to", async () => {
    let fetched = 0;
    const never: typeof fetch = async () => {
      fetched++;
      return new Response("should not happen");
    };
    await assert.rejects(
      fetchMedia("https://cdn.example/x.png", {
        maxBytes: 10,
        fetch: never,
        lookup: async () => [{ address: "93.184.216.34" }, { address: "fd00::5" }],
      }),
      fetchError("private-address"),
    );
    await assert.rejects(
      fetchMedia("https://cdn.example/x.png", {
        maxBytes: 10,
        fetch: never,
        lookup: async () => {
          throw Object.assign(new Error("getaddrinfo ENOTFOUND cdn.example"), { code: "ENOTFOUND" });
        },
      }),
      fetchError("dns"),
    );
    await assert.rejects(
      fetchMedia("https://cdn.example/x.png", { maxBytes: 10, fetch: never, lookup: async () => [] }),
      fetchError("dns"),
    );
    assert.equal(fetched, 0);
    const ok = await fetchMedia("https://cdn.example/x.png", {
      maxBytes: 100,
      lookup: async () => [{ address: "93.184.216.34" }, { address: "2606:2800:220:1::1" }],
      fetch: async () => new Response("public bytes", { headers: { "content-type": "image/png" } }),
    });
    assert.equal(Buffer.from(await collect(ok.body)).toString(), "public bytes");
  });

  it("re-checks every redirect target: a public URL redirecting to loopback is refused", async () => {
    const asked: string[] = [];
    const port = new URL(base).port;
    const redirector: typeof fetch = async (input) => {
      const url = String(input);
      asked.push(url);
      const target = url.endsWith("/v4") ? `${base}/files/cat.png` : `http://[::ffff:7f00:1]:${port}/files/cat.png`;
      return new Response(null, { status: 302, headers: { location: target } });
    };
    const before = seen.length;
    await assert.rejects(
      fetchMedia("http://93.184.216.34/v4", { maxBytes: 10_000, fetch: redirector }),
      fetchError("private-address"),
    );
    await assert.rejects(
      fetchMedia("http://93.184.216.34/v6", { maxBytes: 10_000, fetch: redirector }),
      fetchError("private-address"),
    );
    assert.deepEqual(asked, ["http://93.184.216.34/v4", "http://93.184.216.34/v6"]);
    assert.equal(seen.length, before);
  });

  it("follows at most 5 redirects", async () => {
    const got = await fetchMedia(`${base}/hop/4`, local);
    assert.equal(got.url, `${base}/files/cat.png`);
    assert.deepEqual(await collect(got.body), PNG);
    await assert.rejects(fetchMedia(`${base}/hop/5`, local), fetchError("too-many-redirects"));
    await assert.rejects(fetchMedia(`${base}/to-ftp`, local), fetchError("bad-redirect"));
    await assert.rejects(fetchMedia(`${base}/no-location`, local), fetchError("bad-redirect"));
  });

  it("does not send the caller's headers on to another origin", async () => {
    const got = await fetchMedia(`${base}/cross`, { ...local, headers: { authorization: "Bearer secret-token" } });
    assert.equal(Buffer.from(await collect(got.body)).toString(), "other origin");
    const first = seen.findLast((s) => s.url === "/cross");
    assert.equal(first?.headers.authorization, "Bearer secret-token");
    assert.equal(seenOther.at(-1)?.headers.authorization, undefined);
  });

  it("refuses early when Content-Length is over the limit", async () => {
    await assert.rejects(fetchMedia(`${base}/big-declared`, { ...local, maxBytes: 100 }), (e: unknown) => {
      assert.ok(e instanceof MediaTooLargeError);
      assert.equal(e.size, 1000);
      assert.equal(e.limit, 100);
      return true;
    });
  });

  it("counts bytes while streaming when there is no Content-Length, leaving no partial file", async () => {
    const got = await fetchMedia(`${base}/big-streamed`, { ...local, maxBytes: 120 });
    assert.equal(got.size, undefined);
    await assert.rejects(collect(got.body), (e: unknown) => e instanceof MediaTooLargeError && e.limit === 120);
    const store = new MediaStore({ dir: join(dir, "streamed") });
    await assert.rejects(
      rehost(`${base}/big-streamed`, { ...local, maxBytes: 120, store, publicBaseUrl: "https://b.example" }),
      (e: unknown) => e instanceof MediaTooLargeError && e.size > 120 && e.limit === 120,
    );
    assert.deepEqual(await readdir(join(dir, "streamed")), []);
  });

  it("gives up after the timeout, while waiting for headers or for the body", async () => {
    await assert.rejects(fetchMedia(`${base}/hang`, { ...local, timeoutMs: 50 }), fetchError("timeout"));
    // Long enough for the headers to come on a busy machine; the body never ends, so the wait is the timeout's.
    const got = await fetchMedia(`${base}/slow-body`, { ...local, timeoutMs: 1500 });
    await assert.rejects(collect(got.body), fetchError("timeout"));
  });

  it("reports HTTP errors with their status, 5xx being worth a retry", async () => {
    await assert.rejects(fetchMedia(`${base}/missing`, local), (e: unknown) => {
      assert.ok(e instanceof MediaFetchError);
      assert.equal(e.status, 404);
      assert.equal(isTransientFailure(e), false);
      return true;
    });
    await assert.rejects(fetchMedia(`${base}/unavailable`, local), (e: unknown) => {
      assert.ok(e instanceof MediaFetchError && e.status === 503);
      assert.equal(isTransientFailure(e), true);
      return true;
    });
  });

  it("refuses other schemes and malformed URLs", async () => {
    await assert.rejects(fetchMedia("file:///etc/passwd", local), fetchError("unsupported-scheme"));
    await assert.rejects(fetchMedia("data:text/plain,hi", local), fetchError("unsupported-scheme"));
    await assert.rejects(fetchMedia("not a url", local), fetchError("invalid-url"));
  });

  it("takes the filename from Content-Disposition, preferring filename*", async () => {
    const got = await fetchMedia(`${base}/dl`, local);
    assert.equal(got.filename, "résumé.pdf");
    await collect(got.body);
    assert.equal(filenameFromDisposition('attachment; filename="a \\"quoted\\" name.txt"'), 'a "quoted" name.txt');
    assert.equal(filenameFromDisposition("inline; filename=plain.gif"), "plain.gif");
    assert.equal(filenameFromDisposition("attachment; filename*=iso-8859-1''caf%E9.txt"), "café.txt");
    assert.equal(filenameFromDisposition('attachment; filename="../../x.sh"'), "x.sh");
    assert.equal(filenameFromDisposition("attachment; filename*=UTF-8''%E0%A4%A; filename=ok.txt"), "ok.txt");
    assert.equal(filenameFromDisposition("attachment"), undefined);
  });

  it("re-hosts a file into the store under the bridge's URL", async () => {
    const store = new MediaStore({ dir: join(dir, "rehost") });
    const r = await rehost(`${base}/octet/cat.png`, {
      ...local,
      store,
      publicBaseUrl: "https://bridge.example.org/",
      contentType: "image/png",
      filename: "kitten.png",
    });
    assert.ok(r.id.endsWith(".png"), "the network's type replaces the CDN's application/octet-stream");
    assert.deepEqual(r, {
      id: r.id,
      url: `https://bridge.example.org/media/${r.id}`,
      size: PNG.byteLength,
      contentType: "image/png",
      filename: "kitten.png",
    });
    const served = await store.open(r.id);
    assert.ok(served);
    assert.equal(served.filename, "kitten.png");
    const bytes = await text(served.body);
    assert.equal(bytes.length, PNG.byteLength);
  });
});
