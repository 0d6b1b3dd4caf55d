import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fetchOutgoingFiles, fileName } from "../src/outgoing-files.ts";

let server: Server;
let base = "";

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/small.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(Buffer.alloc(1000, 1));
    } else if (url === "/declared-big") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(5000) });
      res.end(Buffer.alloc(5000));
    } else if (url === "/streamed-big") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("files for Discord", () => {
  it("downloads files within the limit and links the rest", async () => {
    const links: string[] = [];
    const got = await fetchOutgoingFiles(
      [
        { url: `${base}/small.png`, filename: "cat.png" },
        { url: `${base}/declared-big` },
        { url: `${base}/streamed-big` },
        { url: `${base}/missing` },
        { url: `${base}/small.png`, size: 1_000_000 },
        { url: "ftp://example.org/file" },
      ],
      { maxBytes: 4000, allowPrivateAddresses: true, onLink: (url) => links.push(url) },
    );
    assert.equal(got.files.length, 1);
    assert.equal(got.files[0]?.name, "cat.png");
    assert.equal(got.files[0]?.contentType, "image/png");
    assert.equal(Buffer.from(got.files[0]?.data as Uint8Array).byteLength, 1000);
    assert.deepEqual(got.links, [
      `${base}/declared-big`,
      `${base}/streamed-big`,
      `${base}/missing`,
      `${base}/small.png`,
      "ftp://example.org/file",
    ]);
    assert.deepEqual(links, got.links);
  });

  it("counts the limit over the whole message and takes at most 10 files", async () => {
    const eleven = Array.from({ length: 11 }, () => ({ url: `${base}/small.png` }));
    const got = await fetchOutgoingFiles(eleven, { maxBytes: 100_000, allowPrivateAddresses: true });
    assert.equal(got.files.length, 10);
    assert.equal(got.links.length, 1);
    const tight = await fetchOutgoingFiles(eleven.slice(0, 3), { maxBytes: 2500, allowPrivateAddresses: true });
    assert.equal(tight.files.length, 2);
    assert.equal(tight.links.length, 1);
  });

  it("does not fetch from private addresses unless allowed: the file goes as a link", async () => {
    const got = await fetchOutgoingFiles([{ url: `${base}/small.png` }]);
    assert.deepEqual(got, { files: [], links: [`${base}/small.png`] });
  });

  it("names files from the URL when they have no name, safely", () => {
    assert.equal(fileName({ url: "https://x.test/media/ab%20c.jpg?x=1" }), "ab c.jpg");
    assert.equal(fileName({ url: "https://x.test/" }), "file");
    assert.equal(fileName({ url: "https://x.test/a", filename: 'evil"\r\nname/..' }), "evil_name_..");
  });
});
