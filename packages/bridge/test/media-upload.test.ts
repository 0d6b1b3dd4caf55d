/** XEP-0363 uploads against a fake slot responder and a local PUT server that checks what it is sent. */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  buildIqError,
  buildIqResult,
  buildUploadSlot,
  type Element,
  element,
  type Iq,
  NS,
  parseIq,
  parseUploadRequest,
  type StanzaErrorInput,
} from "@parley/stanza";
import { IqTimeoutError } from "../src/component/iq-router.ts";
import { HttpUploader } from "../src/media/http-upload.ts";
import { MediaTooLargeError, UploadError } from "../src/media/media-errors.ts";

interface Put {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type SlotRequest = { type: "get" | "set"; to: string; from: string; payload: Element };

/** Headers undici adds to every request; anything else the PUT carries must come from the slot. */
const FETCH_DEFAULTS = new Set([
  "host",
  "connection",
  "accept",
  "accept-language",
  "accept-encoding",
  "sec-fetch-mode",
  "user-agent",
  "content-length",
]);

function answerOf(el: Element): Iq {
  const r = parseIq(el);
  assert.ok(r.ok, "the fake service builds valid iqs");
  return r.value;
}

describe("HttpUploader", () => {
  const puts: Put[] = [];
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        puts.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(parts) });
        if (req.url?.startsWith("/forbidden")) res.writeHead(403).end("expired slot");
        else res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** A service that answers every request with `answer(request)`, recording what it was asked. */
  /** Plain http slots work here only because the PUT server is on loopback. */
  function uploaderWith(answer: (r: SlotRequest) => Element, asked: SlotRequest[] = []) {
    return new HttpUploader({
      service: "upload.example.org",
      from: "discord.example.org",
      request: async (r) => {
        asked.push(r);
        return answerOf(answer(r));
      },
    });
  }

  const req = { id: "x1", from: "discord.example.org", to: "upload.example.org" };

  it("asks for a slot, PUTs with exactly the slot's allowed headers, and returns the GET URL", async () => {
    const asked: SlotRequest[] = [];
    const slot = element(
      "slot",
      { xmlns: NS.httpUpload },
      element(
        "put",
        { url: `${base}/up/abc/cat.png` },
        element("header", { name: "Authorization" }, "Basic Zm9vOmJhcg=="),
        element("header", { name: "X-Evil" }, "must be ignored"),
        element("header", { name: "cookie" }, "session=1\r\nX-Injected: yes"),
        element("header", { name: "Expires" }, "Fri, 01 Jan 2100 00:00:00 GMT"),
      ),
      element("get", { url: "https://files.example.org/abc/cat.png" }),
    );
    const uploader = uploaderWith((r) => buildIqResult({ ...req, from: r.from, to: r.to }, slot), asked);
    const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const url = await uploader.upload(bytes, { filename: "../cat.png", contentType: "image/png" });
    assert.equal(url, "https://files.example.org/abc/cat.png");

    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.type, "get");
    assert.equal(asked[0]?.to, "upload.example.org");
    assert.equal(asked[0]?.from, "discord.example.org");
    const request = asked[0] ? parseUploadRequest(asked[0].payload) : undefined;
    assert.deepEqual(request?.ok && request.value, { filename: "cat.png", size: 7, contentType: "image/png" });

    const put = puts.at(-1);
    assert.ok(put);
    assert.equal(put.method, "PUT");
    assert.equal(put.url, "/up/abc/cat.png");
    assert.deepEqual(new Uint8Array(put.body), bytes);
    assert.equal(put.headers.authorization, "Basic Zm9vOmJhcg==");
    assert.equal(put.headers.cookie, "session=1X-Injected: yes", "newlines are stripped, no header is injected");
    assert.equal(put.headers.expires, "Fri, 01 Jan 2100 00:00:00 GMT");
    assert.equal(put.headers["content-type"], "image/png");
    assert.equal(put.headers["content-length"], "7");
    const extra = Object.keys(put.headers).filter(
      (h) => !FETCH_DEFAULTS.has(h) && !["authorization", "cookie", "expires", "content-type"].includes(h),
    );
    assert.deepEqual(extra, [], "no header the slot did not allow");
  });

  it("turns the service's file-too-large into MediaTooLargeError with its maximum size", async () => {
    const tooLarge: StanzaErrorInput = {
      condition: "not-acceptable",
      text: "File too large",
      application: element("file-too-large", { xmlns: NS.httpUpload }, element("max-file-size", {}, "5000")),
    };
    const uploader = uploaderWith((r) => buildIqError({ ...req, from: r.from, to: r.to }, tooLarge));
    await assert.rejects(
      uploader.upload(new Uint8Array(6000), { filename: "big.bin", contentType: "x/y" }),
      (e: unknown) => {
        assert.ok(e instanceof MediaTooLargeError);
        assert.equal(e.limit, 5000);
        assert.equal(e.size, 6000);
        return true;
      },
    );
    const withoutMax = uploaderWith((r) =>
      buildIqError(
        { ...req, from: r.from, to: r.to },
        { condition: "not-acceptable", application: element("file-too-large", { xmlns: NS.httpUpload }) },
      ),
    );
    await assert.rejects(
      withoutMax.upload(new Uint8Array(10), { filename: "a", contentType: "x/y" }),
      (e: unknown) => e instanceof UploadError && e.condition === "file-too-large",
    );
  });

  it("reports other refusals as UploadError with the condition and the retry time", async () => {
    const notAllowed = uploaderWith((r) =>
      buildIqError({ ...req, from: r.from, to: r.to }, { condition: "not-allowed", text: "only local users" }),
    );
    await assert.rejects(
      notAllowed.upload(new Uint8Array(1), { filename: "a.txt", contentType: "text/plain" }),
      (e: unknown) => {
        assert.ok(e instanceof UploadError);
        assert.equal(e.condition, "not-allowed");
        assert.match(e.message, /only local users/);
        return true;
      },
    );
    const quota = uploaderWith((r) =>
      buildIqError(
        { ...req, from: r.from, to: r.to },
        {
          condition: "resource-constraint",
          application: element("retry", { xmlns: NS.httpUpload, stamp: "2100-01-01T00:00:00Z" }),
        },
      ),
    );
    await assert.rejects(
      quota.upload(new Uint8Array(1), { filename: "a.txt", contentType: "text/plain" }),
      (e: unknown) =>
        e instanceof UploadError && e.condition === "resource-constraint" && e.retryAt === "2100-01-01T00:00:00Z",
    );
  });

  it("refuses unusable slots (incomplete, or plain http to another machine) without PUTting anything", async () => {
    const before = puts.length;
    const empty = uploaderWith((r) => buildIqResult({ ...req, from: r.from, to: r.to }));
    await assert.rejects(
      empty.upload(new Uint8Array(1), { filename: "a", contentType: "x/y" }),
      (e: unknown) => e instanceof UploadError && e.condition === "bad-slot",
    );
    const noGet = uploaderWith((r) =>
      buildIqResult(
        { ...req, from: r.from, to: r.to },
        element("slot", { xmlns: NS.httpUpload }, element("put", { url: `${base}/x` })),
      ),
    );
    await assert.rejects(
      noGet.upload(new Uint8Array(1), { filename: "a", contentType: "x/y" }),
      (e: unknown) => e instanceof UploadError && e.condition === "bad-slot",
    );
    const plainHttp = uploaderWith((r) =>
      buildIqResult(
        { ...req, from: r.from, to: r.to },
        buildUploadSlot({ putUrl: "http://upload.example.org/x", getUrl: `${base}/x`, putHeaders: [] }),
      ),
    );
    await assert.rejects(
      plainHttp.upload(new Uint8Array(1), { filename: "a", contentType: "x/y" }),
      (e: unknown) => e instanceof UploadError && e.condition === "bad-slot" && /https/.test(e.message),
    );
    assert.equal(puts.length, before);
  });

  it("reports a refused PUT with its status, and lets an iq timeout through", async () => {
    const uploader = uploaderWith((r) =>
      buildIqResult(
        { ...req, from: r.from, to: r.to },
        buildUploadSlot({ putUrl: `${base}/forbidden/a`, getUrl: "https://files.example.org/a", putHeaders: [] }),
      ),
    );
    await assert.rejects(uploader.upload(new Uint8Array(3), { filename: "a", contentType: "x/y" }), (e: unknown) => {
      assert.ok(e instanceof UploadError);
      assert.equal(e.condition, "put-failed");
      assert.equal(e.status, 403);
      return true;
    });
    const silent = new HttpUploader({
      service: "upload.example.org",
      from: "discord.example.org",
      request: () => Promise.reject(new IqTimeoutError("no answer")),
    });
    await assert.rejects(silent.upload(new Uint8Array(1), { filename: "a", contentType: "x/y" }), IqTimeoutError);
  });
});
