/**
 * The bridge's public HTTP endpoint (config `http`): stored media, under
 * /media/<id>, for remote networks to fetch. Nothing else is served here;
 * health and metrics are on the operator's endpoint (ops-server.ts). Media
 * ids are matched against a strict pattern before anything else looks at
 * them, so no request can name a path; files are served with headers that
 * stop a browser from running or sniffing them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type RunningHttpServer, startHttpListener } from "./http-listener.ts";
import { notFound, refusedMethod, requestPath } from "./http-replies.ts";
import { type Logger, silentLogger } from "./logger-types.ts";
import type { MediaFile, MediaSource } from "./media-source.ts";

export type { MediaFile, MediaSource } from "./media-source.ts";

export interface MediaServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is in the result. */
  readonly port: number;
  /** Serves /media/<id>; without it every request is a 404. */
  readonly media?: MediaSource;
  readonly logger?: Logger;
}

const MEDIA_PREFIX = "/media/";
/** A token and an optional extension; nothing else reaches MediaSource.open, so no request can name a path. */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,128}(\.[A-Za-z0-9]{1,16})?$/;
const MEDIA_CACHE = "public, max-age=31536000, immutable";
/** A media type as a token/token pair with optional parameters; anything else is served as bytes. */
const MEDIA_TYPE =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

export function startMediaServer(o: MediaServerOptions): Promise<RunningHttpServer> {
  return startHttpListener({
    host: o.host,
    port: o.port,
    name: "the media endpoint",
    section: "http",
    handle: (req, res) => route(o.media, req, res),
    logger: o.logger ?? silentLogger,
  });
}

async function route(media: MediaSource | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = requestPath(req.url);
  if (path === undefined || !path.startsWith(MEDIA_PREFIX)) return notFound(res);
  if (refusedMethod(req, res)) return;
  const id = path.slice(MEDIA_PREFIX.length);
  if (!media || !MEDIA_ID.test(id)) return notFound(res);
  const file = await media.open(id);
  if (!file) return notFound(res);
  await serveMedia(req, res, file);
}

async function serveMedia(req: IncomingMessage, res: ServerResponse, file: MediaFile): Promise<void> {
  const bytes = file.body instanceof Uint8Array ? file.body : undefined;
  const size = bytes ? bytes.byteLength : file.size;
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`media source gave an invalid size (${String(size)})`);
  const type =
    typeof file.contentType === "string" && MEDIA_TYPE.test(file.contentType)
      ? file.contentType
      : "application/octet-stream";
  res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": String(size),
    "Cache-Control": MEDIA_CACHE,
    "Content-Security-Policy": "default-src 'none'",
    "Content-Disposition": disposition(type, file.filename),
  });
  const stream = bytes ? undefined : file.body;
  if (req.method === "HEAD") {
    res.end();
    if (stream && "destroy" in stream && typeof stream.destroy === "function") stream.destroy();
    return;
  }
  if (bytes) {
    res.end(bytes);
    return;
  }
  if (stream === undefined) return;
  await pipeline(stream instanceof Readable ? stream : Readable.from(stream), exactly(size), res);
}

/** Passes a stream through, failing it when it yields more or fewer bytes than the Content-Length sent. */
function exactly(size: number) {
  return async function* (source: AsyncIterable<unknown>) {
    let n = 0;
    for await (const chunk of source) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk instanceof Uint8Array ? chunk : undefined;
      if (!buf) throw new Error("media stream yielded something other than bytes");
      n += buf.byteLength;
      if (n > size) throw new Error(`media stream is longer than its declared size ${size}`);
      yield buf;
    }
    if (n !== size) throw new Error(`media stream ended after ${n} of ${size} bytes`);
  };
}

/**
 * Images, audio and video may show inline (avatars, previews); anything
 * else is a download. SVG can carry script, so it is a download too.
 */
function disposition(type: string, filename: string | undefined): string {
  const lower = type.toLowerCase();
  const inline = /^(image|audio|video)\//.test(lower) && !lower.startsWith("image/svg");
  const kind = inline ? "inline" : "attachment";
  if (typeof filename !== "string" || filename === "") return kind;
  const ascii = filename.replace(/[^A-Za-z0-9._ -]/g, "_").slice(0, 200);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(filename.slice(0, 200))}`;
}

function encodeRfc5987(s: string): string {
  return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "_")).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
