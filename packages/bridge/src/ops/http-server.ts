/**
 * The bridge's HTTP endpoint: liveness, readiness and metrics for the
 * operator, and stored media for remote networks to fetch. Media ids are
 * matched against a strict pattern before anything else looks at them, so
 * no request can name a path; files are served with headers that stop a
 * browser from running or sniffing them. A failing handler answers 500
 * without detail and logs why; it never takes the process down.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "./logger-types.ts";
import { silentLogger } from "./logger-types.ts";
import type { MediaFile, MediaSource } from "./media-source.ts";
import type { BridgeMetrics } from "./metrics.ts";

export type { MediaFile, MediaSource } from "./media-source.ts";

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, boolean>;
}

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is in the result. */
  readonly port: number;
  readonly metrics: BridgeMetrics;
  /** Asked on every GET /readyz; answers 200 when `ready`, else 503, with the checks. */
  readonly readiness: () => Readiness;
  /** Serves /media/<id>; without it every media request is a 404. */
  readonly media?: MediaSource;
  readonly logger?: Logger;
}

export interface RunningHttpServer {
  /** Base URL, e.g. http://127.0.0.1:8787 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections; safe to call twice. */
  close(): Promise<void>;
}

/** The endpoint could not listen (port taken, address not local...). */
export class HttpListenError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = "HttpListenError";
    this.code = code;
  }
}

const ALLOW = "GET, HEAD";
const ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);
const MEDIA_PREFIX = "/media/";
/** A token and an optional extension; nothing else reaches MediaSource.open, so no request can name a path. */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,128}(\.[A-Za-z0-9]{1,16})?$/;
const MEDIA_CACHE = "public, max-age=31536000, immutable";
/** A media type as a token/token pair with optional parameters; anything else is served as bytes. */
const MEDIA_TYPE =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const logger = o.logger ?? silentLogger;
  const server = createServer((req, res) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    route(o, req, res).catch((e: unknown) => fail(logger, req, res, e));
  });
  server.on("error", (e) => logger.error("http server error", { error: e }));

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      const code = "code" in e ? String(e.code) : undefined;
      reject(
        new HttpListenError(
          `the HTTP endpoint could not listen on ${o.host}:${o.port} (${code ?? e.message}); set http.host/http.port to a free local address, or http.port to 0`,
          code,
          e,
        ),
      );
    };
    server.once("error", onError);
    server.listen(o.port, o.host, () => {
      server.off("error", onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") && !o.host.startsWith("[") ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function route(o: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = requestPath(req.url);
  const known = path !== undefined && (ROUTES.has(path) || path.startsWith(MEDIA_PREFIX));
  if (!known) return plain(res, 404, "not found");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", ALLOW);
    return plain(res, 405, "method not allowed");
  }
  if (path === "/healthz") return json(res, 200, { status: "ok" });
  if (path === "/readyz") {
    const r = o.readiness();
    const checks: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(r.checks ?? {})) checks[k] = v === true;
    const ready = r.ready === true;
    return json(res, ready ? 200 : 503, { ready, checks });
  }
  if (path === "/metrics") {
    const text = await o.metrics.text();
    res.writeHead(200, { "Content-Type": o.metrics.contentType, "Cache-Control": "no-store" });
    res.end(text);
    return;
  }
  const id = path.slice(MEDIA_PREFIX.length);
  if (!o.media || !MEDIA_ID.test(id)) return plain(res, 404, "not found");
  const file = await o.media.open(id);
  if (!file) return plain(res, 404, "not found");
  await serveMedia(req, res, file);
}

/** The path of an origin-form request target, undecoded; undefined for any other form. */
function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith("/")) return undefined;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end(`${text}\n`);
}

function fail(logger: Logger, req: IncomingMessage, res: ServerResponse, e: unknown): void {
  const aborted = res.destroyed || (e instanceof Error && "code" in e && e.code === "ERR_STREAM_PREMATURE_CLOSE");
  if (aborted) logger.debug("http response aborted", { method: req.method, path: requestPath(req.url), error: e });
  else logger.error("http handler failed", { method: req.method, path: requestPath(req.url), error: e });
  if (!res.headersSent) {
    try {
      plain(res, 500, "internal error");
      return;
    } catch {
      // the response is unusable; drop the connection below
    }
  }
  res.destroy();
}
