/** The media store: content-addressed files with sanitized metadata, atomic writes, strict ids. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import { MediaTooLargeError } from "../src/media/media-errors.ts";
import { sanitizeContentType, sanitizeFilename } from "../src/media/media-names.ts";
import { isMediaId, MediaStore } from "../src/media/media-store.ts";

const enc = new TextEncoder();

async function* chunks(parts: string[], pulled: string[] = []): AsyncGenerator<Uint8Array> {
  for (const p of parts) {
    pulled.push(p);
    yield enc.encode(p);
  }
}

describe("media store", () => {
  let dir: string;
  let store: MediaStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "parley-media-"));
    store = new MediaStore({ dir: join(dir, "media"), now: () => 1_700_000_000_000 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stores bytes under their SHA-256 with an extension from the content type, and serves them back", async () => {
    const bytes = enc.encode("a small png, honestly");
    const put = await store.put(bytes, { contentType: "image/PNG", filename: "cat.png" }, 1000);
    const digest = createHash("sha256").update(bytes).digest("base64url");
    assert.deepEqual(put, { id: `${digest}.png`, size: bytes.byteLength, contentType: "image/png" });
    assert.ok(isMediaId(put.id));
    const got = await store.open(put.id);
    assert.ok(got);
    assert.equal(got.contentType, "image/png");
    assert.equal(got.size, bytes.byteLength);
    assert.equal(got.filename, "cat.png");
    assert.equal(await text(got.body), "a small png, honestly");
    const sidecar = JSON.parse(await readFile(join(dir, "media", `${put.id}.meta.json`), "utf8"));
    assert.deepEqual(sidecar, {
      contentType: "image/png",
      filename: "cat.png",
      size: 21,
      createdAt: 1_700_000_000_000,
    });
    const read = await store.read(put.id);
    assert.deepEqual(read?.bytes, new Uint8Array(bytes));
  });

  it("takes async iterables and web streams, and stores identical content once", async () => {
    const fromIterable = await store.put(chunks(["hello ", "world"]), { contentType: "text/plain" }, 100);
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode("hello "));
        c.enqueue(enc.encode("world"));
        c.close();
      },
    });
    const fromWeb = await store.put(web, { contentType: "text/plain; charset=UTF-8" }, 100);
    assert.equal(fromIterable.id, fromWeb.id);
    assert.ok(fromIterable.id.endsWith(".txt"));
    assert.equal(fromWeb.contentType, "text/plain; charset=utf-8");
    const files = (await readdir(join(dir, "media"))).filter((f) => f.startsWith(fromWeb.id.slice(0, 20)));
    assert.deepEqual(files.sort(), [fromWeb.id, `${fromWeb.id}.meta.json`]);
  });

  it("refuses a file over the limit as soon as the limit is passed, leaving nothing on disk", async () => {
    const own = new MediaStore({ dir: join(dir, "limits") });
    await assert.rejects(own.put(enc.encode("0123456789"), {}, 9), (e: unknown) => {
      assert.ok(e instanceof MediaTooLargeError);
      assert.equal(e.size, 10);
      assert.equal(e.limit, 9);
      return true;
    });
    const pulled: string[] = [];
    await assert.rejects(own.put(chunks(["aaaa", "bbbb", "cccc", "dddd"], pulled), {}, 6), (e: unknown) => {
      assert.ok(e instanceof MediaTooLargeError);
      assert.equal(e.size, 8);
      assert.equal(e.limit, 6);
      return true;
    });
    assert.deepEqual(pulled, ["aaaa", "bbbb"], "reading stops at the chunk that passes the limit");
    assert.deepEqual(await readdir(join(dir, "limits")), [], "no partial or temporary file is left");
    // Exactly at the limit is fine.
    assert.equal((await own.put(chunks(["abc", "def"]), {}, 6)).size, 6);
  });

  it("leaves nothing behind when the source fails mid-way", async () => {
    const own = new MediaStore({ dir: join(dir, "broken") });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield enc.encode("first part");
      throw new Error("connection reset by peer");
    }
    await assert.rejects(own.put(failing(), {}, 1000), /connection reset/);
    await assert.rejects(own.put(enc.encode("ok"), {}, -1), TypeError);
    const notBytes = (async function* () {
      yield "a string, not bytes";
    })() as unknown as AsyncIterable<Uint8Array>;
    await assert.rejects(own.put(notBytes, {}, 1000), TypeError);
    assert.deepEqual(await readdir(join(dir, "broken")), []);
  });

  it("refuses malformed ids and never reaches sidecars, temporary files or other directories", async () => {
    const put = await store.put(enc.encode("secret?"), { contentType: "application/json" }, 100);
    await writeFile(join(dir, "outside.txt"), "outside");
    for (const id of [
      "../outside.txt",
      "..",
      "a/b",
      "a\\b",
      `${put.id}.meta.json`,
      ".tmp-x",
      "",
      "x".repeat(129),
      "abc.toolongextension123",
      "abc.d-e",
      "%2e%2e",
    ]) {
      assert.equal(isMediaId(id), false, id);
      assert.equal(await store.open(id), undefined, id);
      assert.equal(await store.read(id), undefined, id);
    }
    assert.equal(await store.open("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png"), undefined, "unknown id");
    assert.throws(() => store.urlFor("../x", "https://b.example"), TypeError);
    assert.equal(
      store.urlFor(put.id, "https://bridge.example.org/parley/"),
      `https://bridge.example.org/parley/media/${put.id}`,
    );
    assert.equal(await store.remove(put.id), true);
    assert.equal(await store.open(put.id), undefined);
    assert.equal(await store.remove(put.id), false);
  });

  it("sanitizes hostile content types and filenames before they reach headers or the disk", async () => {
    const put = await store.put(
      enc.encode("<script>alert(1)</script>"),
      { contentType: "text/html\r\nSet-Cookie: session=stolen", filename: "../../etc/\u202Egnp.exe\u0000\n" },
      100,
    );
    assert.equal(put.contentType, "application/octet-stream");
    assert.ok(put.id.endsWith(".bin"));
    const got = await store.open(put.id);
    assert.equal(got?.filename, "gnp.exe");
    got?.body.resume();
    const html = await store.put(enc.encode("<b>hi</b>"), { contentType: "text/html" }, 100);
    assert.equal(html.contentType, "text/html", "an honest text/html is kept; serving it safely is the server's job");
    assert.ok(html.id.endsWith(".html"));
    // A sidecar edited on disk is sanitized again when read.
    await writeFile(
      join(dir, "media", `${html.id}.meta.json`),
      JSON.stringify({ contentType: "text/html\nX-Evil: 1", filename: "a/b\u0007.txt" }),
    );
    const again = await store.open(html.id);
    assert.equal(again?.contentType, "application/octet-stream");
    assert.equal(again?.filename, "b.txt");
    again?.body.resume();
    await writeFile(join(dir, "media", `${html.id}.meta.json`), "{ not json");
    assert.equal(await store.open(html.id), undefined);
  });
});

describe("content types and filenames", () => {
  it("keeps well-formed content types and drops anything that could break a header", () => {
    assert.equal(sanitizeContentType("Image/JPEG"), "image/jpeg");
    assert.equal(sanitizeContentType('text/plain; format=flowed; charset="UTF-8"'), "text/plain; charset=utf-8");
    assert.equal(sanitizeContentType("text/plain; charset=utf-8\r\nX: y"), "text/plain");
    assert.equal(sanitizeContentType("image/svg+xml"), "image/svg+xml");
    for (const bad of [
      undefined,
      null,
      "",
      "png",
      "text/",
      "/html",
      "te xt/html",
      "text/ht\u00e9ml",
      "a/b/c",
      "x".repeat(2000),
    ]) {
      assert.equal(sanitizeContentType(bad), "application/octet-stream", String(bad));
    }
  });

  it("keeps the last path segment, without controls or bidi tricks, within 255 bytes", () => {
    assert.equal(sanitizeFilename("C:\\Users\\me\\report.pdf"), "report.pdf");
    assert.equal(sanitizeFilename("  ..hidden.txt.. "), "hidden.txt");
    assert.equal(sanitizeFilename("photo\u202Egpj.exe"), "photogpj.exe");
    assert.equal(sanitizeFilename("👨‍👩‍👧 family.jpg"), "👨‍👩‍👧 family.jpg", "emoji joiners are kept");
    assert.equal(sanitizeFilename("../.."), undefined);
    assert.equal(sanitizeFilename("\u0000\u0001"), undefined);
    assert.equal(sanitizeFilename(undefined), undefined);
    const long = `${"é".repeat(300)}.jpeg`;
    const cut = sanitizeFilename(long);
    assert.ok(cut);
    assert.ok(Buffer.byteLength(cut) <= 255);
    assert.ok(cut.endsWith("é.jpeg"), "the extension survives, and no character is cut in half");
    const emoji = sanitizeFilename("😀".repeat(100));
    assert.ok(emoji && Buffer.byteLength(emoji) <= 255 && emoji.isWellFormed());
  });
});
