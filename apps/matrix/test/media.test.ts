import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { silentLogger } from "@parley/bridge";
import { attachmentOf, downloadUrlOf, MediaProxy, msgtypeFor, parseMxc } from "../src/media.ts";

let homeserver: Server;
let front: Server;
let proxy: MediaProxy;
let hsUrl = "";
let frontUrl = "";
const AS = "as-token-media-0001";

before(async () => {
  homeserver = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${AS}`) return void res.writeHead(401).end();
    if (req.url === "/_matrix/client/v1/media/download/example.org/abcDEF123") {
      return void res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from("PNGDATA"));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => homeserver.listen(0, "127.0.0.1", r));
  hsUrl = `http://127.0.0.1:${(homeserver.address() as AddressInfo).port}`;
  proxy = new MediaProxy({ key: "k", homeserverUrl: hsUrl, asToken: AS, logger: silentLogger, maxBytes: 1024 });
  front = createServer((req, res) => {
    void proxy.handle(req, res, new URL(req.url ?? "/", "http://x")).then((handled) => {
      if (!handled) res.writeHead(418).end();
    });
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  proxy.setBaseUrl(frontUrl);
});
after(async () => {
  await new Promise((r) => homeserver.close(r));
  await new Promise((r) => front.close(r));
});

describe("Matrix media", () => {
  test("mxc URIs are validated and mapped to authenticated-media downloads", () => {
    assert.deepEqual(parseMxc("mxc://example.org/abc_D-1"), { server: "example.org", mediaId: "abc_D-1" });
    for (const bad of [
      "mxc://example.org/",
      "mxc://ex ample/x",
      "http://example.org/x",
      "mxc://e.org/a/b",
      "mxc://e.org/../x",
    ]) {
      assert.equal(parseMxc(bad), undefined, bad);
    }
    assert.equal(downloadUrlOf("http://hs", "mxc://e.org/x1"), "http://hs/_matrix/client/v1/media/download/e.org/x1");
  });

  test("a file message is an ephemeral attachment downloaded with the as_token; a caption is not the filename", () => {
    const a = attachmentOf(
      { msgtype: "m.image", body: "cat.png", url: "mxc://e.org/x1", info: { mimetype: "image/png", size: 12 } },
      { homeserverUrl: "http://hs", asToken: AS },
    );
    assert.deepEqual(a, {
      url: "http://hs/_matrix/client/v1/media/download/e.org/x1",
      ephemeral: true,
      headers: { Authorization: `Bearer ${AS}` },
      filename: "cat.png",
      contentType: "image/png",
      size: 12,
    });
    assert.equal(
      attachmentOf({ msgtype: "m.file", body: "x", file: {} }, { homeserverUrl: "h", asToken: AS }),
      undefined,
    );
    assert.equal(attachmentOf({ url: "javascript:1" }, { homeserverUrl: "h", asToken: AS }), undefined);
    assert.equal(msgtypeFor("image/gif"), "m.image");
    assert.equal(msgtypeFor("video/mp4"), "m.video");
    assert.equal(msgtypeFor("audio/ogg"), "m.audio");
    assert.equal(msgtypeFor(undefined), "m.file");
  });

  test("the media proxy serves what it signed, with the as_token kept on its side", async () => {
    const url = proxy.urlFor("mxc://example.org/abcDEF123") ?? "";
    assert.ok(url.startsWith(frontUrl));
    assert.ok(!url.includes(AS));
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(await res.text(), "PNGDATA");
  });

  test("the media proxy refuses unsigned, tampered or re-targeted URLs", async () => {
    const url = new URL(proxy.urlFor("mxc://example.org/abcDEF123") ?? "");
    const other = new URL(url);
    other.pathname = other.pathname.replace("abcDEF123", "abcDEF124");
    const unsigned = new URL(url);
    unsigned.search = "";
    const tampered = new URL(url);
    tampered.searchParams.set("sig", "A".repeat(32));
    for (const u of [other, unsigned, tampered]) assert.equal((await fetch(u)).status, 404, u.toString());
    assert.equal((await fetch(`${frontUrl}/elsewhere`)).status, 418, "other paths are left to other handlers");
  });
});
