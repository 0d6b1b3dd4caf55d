/** The one bounded download helper and the one bounded stream reader every connector uses. */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { downloadMedia } from "../src/media/download-media.ts";
import { MediaFetchError, MediaTooLargeError } from "../src/media/media-errors.ts";
import { readStreamWithLimit } from "../src/media/read-stream.ts";

describe("readStreamWithLimit", () => {
  it("reads a stream of exactly the limit, strings as UTF-8", async () => {
    const bytes = await readStreamWithLimit(Readable.from([Buffer.from("ab"), "cé"]), 5);
    assert.equal(bytes.toString("utf8"), "abcé");
  });

  it("refuses one byte over the limit with MediaTooLargeError, and ends the stream there", async () => {
    let ended = false;
    async function* source() {
      try {
        yield new Uint8Array(4);
        yield new Uint8Array(4);
        yield new Uint8Array(4);
      } finally {
        ended = true;
      }
    }
    await assert.rejects(
      readStreamWithLimit(source(), 7),
      (e: unknown) => e instanceof MediaTooLargeError && e.size === 8 && e.limit === 7,
    );
    assert.equal(ended, true);
  });

  it("throws the caller's own error when given one", async () => {
    class BodyTooLarge extends Error {}
    await assert.rejects(
      readStreamWithLimit(Readable.from([Buffer.alloc(3)]), 2, (size) => new BodyTooLarge(`${size}`)),
      (e: unknown) => e instanceof BodyTooLarge && e.message === "3",
    );
  });
});

describe("downloadMedia", () => {
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/cat.png") {
        res.writeHead(200, { "content-type": "image/png", "content-disposition": 'attachment; filename="cat.png"' });
        res.end(Buffer.alloc(100, 7));
      } else if (req.url === "/endless") {
        // No Content-Length: only counting while reading can stop it.
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const more = () => res.write(Buffer.alloc(1024), () => setImmediate(more));
        more();
      } else if (req.url === "/silent") {
        // Never answers: the time limit ends it.
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("returns the whole file with its type and name", async () => {
    const got = await downloadMedia(`${base}/cat.png`, { maxBytes: 100, allowPrivateAddresses: true });
    assert.equal(got.bytes.byteLength, 100);
    assert.equal(got.bytes[99], 7);
    assert.equal(got.contentType, "image/png");
    assert.equal(got.filename, "cat.png");
    assert.equal(got.url, `${base}/cat.png`);
  });

  it("refuses a private address unless allowed", async () => {
    await assert.rejects(
      downloadMedia(`${base}/cat.png`, { maxBytes: 1000 }),
      (e: unknown) => e instanceof MediaFetchError && e.reason === "private-address",
    );
  });

  it("stops a body with no length at the cap", async () => {
    await assert.rejects(
      downloadMedia(`${base}/endless`, { maxBytes: 10_000, allowPrivateAddresses: true }),
      (e: unknown) => e instanceof MediaTooLargeError && e.limit === 10_000,
    );
  });

  it("gives up at the time limit with a typed error", async () => {
    await assert.rejects(
      downloadMedia(`${base}/silent`, { maxBytes: 100, timeoutMs: 200, allowPrivateAddresses: true }),
      (e: unknown) => e instanceof MediaFetchError && e.reason === "timeout",
    );
  });

  it("says which status the server answered", async () => {
    await assert.rejects(
      downloadMedia(`${base}/gone`, { maxBytes: 100, allowPrivateAddresses: true }),
      (e: unknown) => e instanceof MediaFetchError && e.reason === "http-status" && e.status === 404,
    );
  });
});
