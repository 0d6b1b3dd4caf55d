/**
 * Files the bridge re-hosts (attachments behind short-lived links, avatars),
 * kept in one directory and served by the bridge's HTTP server at
 * `/media/<id>`.
 *
 * Content-addressed: the id is the SHA-256 of the bytes (base64url) plus an
 * extension derived from the content type, so the same file stored twice is
 * one file, and an id cannot be guessed from anything but the content. Each
 * file has a JSON sidecar `<id>.meta.json` (content type, filename, size,
 * creation time); that name can never be a valid id, so no id reaches it.
 *
 * Writes stream to a temporary file and are renamed into place, so a reader
 * never sees half a file and a file over the limit leaves nothing behind.
 */
import { createHash, randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { logFailure } from "../delivery/delivery-errors.ts";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import { MediaTooLargeError } from "./media-errors.ts";
import { extensionFor, sanitizeContentType, sanitizeFilename } from "./media-names.ts";

/** What `open()` gives the HTTP server to serve. */
export interface StoredMedia {
  readonly body: NodeJS.ReadableStream;
  readonly contentType: string;
  readonly size: number;
  readonly filename?: string;
}

export interface PutResult {
  readonly id: string;
  readonly size: number;
  readonly contentType: string;
}

export type MediaBody = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

interface Sidecar {
  readonly contentType: string;
  readonly filename?: string;
  readonly size: number;
  readonly createdAt: number;
}

/** What a media id looks like; anything else is refused before touching the disk. */
export const MEDIA_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}(\.[A-Za-z0-9]{1,16})?$/;

export function isMediaId(id: unknown): id is string {
  return typeof id === "string" && MEDIA_ID_PATTERN.test(id);
}

const SIDECAR_SUFFIX = ".meta.json";
const MAX_SIDECAR_BYTES = 4096;

export interface MediaStoreOptions {
  /** The directory; created on first write. */
  readonly dir: string;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export class MediaStore {
  readonly dir: string;
  private readonly logger: Logger;
  private readonly now: () => number;
  private ready: Promise<void> | undefined;

  constructor(o: MediaStoreOptions) {
    this.dir = o.dir;
    this.logger = (o.logger ?? silentLogger).child({ part: "media-store" });
    this.now = o.now ?? Date.now;
  }

  /**
   * Stores `source`, refusing it with MediaTooLargeError as soon as more than
   * `maxBytes` have arrived (the rest is not read, nothing is left on disk).
   * A stream that fails mid-way rejects with its error, also leaving nothing.
   */
  async put(
    source: MediaBody,
    meta: { contentType?: string; filename?: string },
    maxBytes: number,
  ): Promise<PutResult> {
    if (!(maxBytes >= 0)) throw new TypeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
    const contentType = sanitizeContentType(meta.contentType);
    const filename = sanitizeFilename(meta.filename);
    if (source instanceof Uint8Array && source.byteLength > maxBytes) {
      throw new MediaTooLargeError(source.byteLength, maxBytes);
    }
    await this.ensureDir();
    const tmp = join(this.dir, `.tmp-${randomUUID()}`);
    const hash = createHash("sha256");
    let size = 0;
    let handle: FileHandle | undefined;
    try {
      handle = await open(tmp, "wx", 0o640);
      for await (const chunk of chunksOf(source)) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError("a media body must yield Uint8Array chunks");
        size += chunk.byteLength;
        if (size > maxBytes) throw new MediaTooLargeError(size, maxBytes);
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      const id = `${hash.digest("base64url")}.${extensionFor(contentType)}`;
      const sidecar: Sidecar = {
        contentType,
        ...(filename !== undefined && { filename }),
        size,
        createdAt: this.now(),
      };
      // Sidecar first: a data file is only ever visible with its metadata next to it.
      const tmpMeta = `${tmp}.meta`;
      await writeNew(tmpMeta, JSON.stringify(sidecar));
      await rename(tmpMeta, this.pathOf(id) + SIDECAR_SUFFIX);
      await rename(tmp, this.pathOf(id));
      this.logger.debug("stored", { id, size, contentType });
      return { id, size, contentType };
    } catch (e) {
      // The write's own failure is what is thrown; a close that fails too changes nothing.
      await handle?.close().catch(() => undefined);
      for (const file of [tmp, `${tmp}.meta`]) {
        await rm(file, { force: true }).catch(
          logFailure(this.logger, "a partial media file could not be removed", "warn", { file }),
        );
      }
      throw e;
    }
  }

  /**
   * Opens a stored file for serving; undefined when the id is malformed or
   * unknown. The stream is opened here, so a file that exists now is readable
   * whole even if it is removed while being served.
   */
  async open(id: string): Promise<StoredMedia | undefined> {
    if (!isMediaId(id)) return undefined;
    const meta = await this.readSidecar(id);
    if (!meta) return undefined;
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(id), "r");
    } catch {
      return undefined; // no such file (removed by retention, or never stored): served as absent
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) {
        await handle.close();
        return undefined;
      }
      const body = handle.createReadStream({ autoClose: true });
      return {
        body,
        contentType: meta.contentType,
        size: st.size,
        ...(meta.filename !== undefined && { filename: meta.filename }),
      };
    } catch {
      // Gone between open and stat, or not a file: served as absent; a close that fails too changes nothing.
      await handle.close().catch(() => undefined);
      return undefined;
    }
  }

  /** The whole file in memory, for small things such as avatars; undefined when unknown or over `maxBytes`. */
  async read(
    id: string,
    maxBytes = 8 * 1024 * 1024,
  ): Promise<{ bytes: Uint8Array; contentType: string; filename?: string } | undefined> {
    if (!isMediaId(id)) return undefined;
    const meta = await this.readSidecar(id);
    if (!meta) return undefined;
    try {
      const st = await stat(this.pathOf(id));
      if (!st.isFile() || st.size > maxBytes) return undefined;
      const bytes = new Uint8Array(await readFile(this.pathOf(id)));
      return { bytes, contentType: meta.contentType, ...(meta.filename !== undefined && { filename: meta.filename }) };
    } catch {
      return undefined; // removed meanwhile: absent
    }
  }

  /** Whether `id` is stored. */
  async has(id: string): Promise<boolean> {
    if (!isMediaId(id)) return false;
    try {
      return (await stat(this.pathOf(id))).isFile();
    } catch {
      return false; // nothing there
    }
  }

  /** Removes a file and its sidecar (retention); true when something was there. */
  async remove(id: string): Promise<boolean> {
    if (!isMediaId(id)) return false;
    const existed = await this.has(id);
    await rm(this.pathOf(id), { force: true });
    await rm(this.pathOf(id) + SIDECAR_SUFFIX, { force: true });
    return existed;
  }

  /** The public URL of `id` under the bridge's base URL (which may carry a path prefix). */
  urlFor(id: string, publicBaseUrl: string): string {
    if (!isMediaId(id)) throw new TypeError(`not a media id: ${JSON.stringify(String(id).slice(0, 200))}`);
    return `${publicBaseUrl.replace(/\/+$/, "")}/media/${id}`;
  }

  private pathOf(id: string): string {
    return join(this.dir, id);
  }

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o750 }).then(
      () => undefined,
      (e: unknown) => {
        this.ready = undefined; // let a later put try again
        throw e;
      },
    );
    return this.ready;
  }

  /** The sidecar, re-sanitized: it is a file on disk and may have been edited. */
  private async readSidecar(id: string): Promise<Sidecar | undefined> {
    let text: string;
    try {
      const handle = await open(this.pathOf(id) + SIDECAR_SUFFIX, "r");
      try {
        const buf = Buffer.alloc(MAX_SIDECAR_BYTES + 1);
        const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
        if (bytesRead > MAX_SIDECAR_BYTES) return undefined;
        text = buf.subarray(0, bytesRead).toString("utf8");
      } finally {
        await handle.close();
      }
    } catch {
      return undefined; // no sidecar, no file: a data file is only ever visible with its sidecar
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.logger.warn("unreadable media sidecar", { id });
      return undefined;
    }
    if (raw === null || typeof raw !== "object") return undefined;
    const r = raw as Record<string, unknown>;
    const filename = typeof r.filename === "string" ? sanitizeFilename(r.filename) : undefined;
    return {
      contentType: sanitizeContentType(typeof r.contentType === "string" ? r.contentType : undefined),
      ...(filename !== undefined && { filename }),
      size: typeof r.size === "number" ? r.size : 0,
      createdAt: typeof r.createdAt === "number" ? r.createdAt : 0,
    };
  }
}

async function writeNew(path: string, text: string): Promise<void> {
  const h = await open(path, "wx", 0o640);
  try {
    await h.writeFile(text);
  } finally {
    await h.close();
  }
}

/** Every source kind as chunks; a ReadableStream is async-iterable in Node, and leaving the loop cancels it. */
function chunksOf(source: MediaBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (source instanceof Uint8Array) return [source];
  return source as AsyncIterable<Uint8Array>;
}
