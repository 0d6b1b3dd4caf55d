/**
 * Files across the bridge. Matrix media sits behind authenticated media
 * (`/_matrix/client/v1/media/download`, which wants a bearer token), so a
 * Matrix file reaches XMPP as an ephemeral attachment the engine downloads
 * with the as_token and re-hosts; an XMPP file is downloaded (defensively,
 * through the engine's fetchMedia) and uploaded to the media repository as
 * the ghost who sent it. Avatars and inline images of Matrix users, which the
 * engine or XMPP clients fetch by URL, go through a small proxy on the
 * application-service port whose URLs are signed, so it serves only media the
 * bridge itself pointed at.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { downloadMedia, type Logger, type RemoteAttachment } from "@parley/bridge";

export interface MxcParts {
  readonly server: string;
  readonly mediaId: string;
}

/** `mxc://<server>/<media id>`, validated: both parts from the characters the spec allows. */
export function parseMxc(mxc: string): MxcParts | undefined {
  const m = /^mxc:\/\/([A-Za-z0-9.\-:[\]]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
  return m ? { server: m[1] as string, mediaId: m[2] as string } : undefined;
}

/** The authenticated-media download URL of an mxc URI. */
export function downloadUrlOf(homeserverUrl: string, mxc: string): string | undefined {
  const p = parseMxc(mxc);
  if (!p) return undefined;
  return `${homeserverUrl}/_matrix/client/v1/media/download/${encodeURIComponent(p.server)}/${encodeURIComponent(p.mediaId)}`;
}

const FILE_TYPES = new Set(["m.image", "m.file", "m.video", "m.audio"]);

/** Whether a message type carries a file in `url`. */
export function isFileMsgtype(msgtype: unknown): boolean {
  return typeof msgtype === "string" && FILE_TYPES.has(msgtype);
}

/**
 * The attachment of an m.image/m.file/m.video/m.audio (or sticker) content,
 * downloaded by the engine with the as_token; undefined when it has no usable
 * `url` (encrypted files carry `file` instead and are not bridged).
 */
export function attachmentOf(
  content: Readonly<Record<string, unknown>>,
  o: { homeserverUrl: string; asToken: string },
): RemoteAttachment | undefined {
  const url = typeof content.url === "string" ? downloadUrlOf(o.homeserverUrl, content.url) : undefined;
  if (url === undefined) return undefined;
  const info = (typeof content.info === "object" && content.info !== null ? content.info : {}) as Record<
    string,
    unknown
  >;
  const filename =
    typeof content.filename === "string" && content.filename !== ""
      ? content.filename
      : typeof content.body === "string" && content.body !== ""
        ? content.body
        : undefined;
  return {
    url,
    ephemeral: true,
    headers: { Authorization: `Bearer ${o.asToken}` },
    ...(filename !== undefined && { filename }),
    ...(typeof info.mimetype === "string" && { contentType: info.mimetype }),
    ...(typeof info.size === "number" && Number.isFinite(info.size) && info.size >= 0 && { size: info.size }),
  };
}

/** The Matrix message type for a file of this content type. */
export function msgtypeFor(contentType: string | undefined): "m.image" | "m.video" | "m.audio" | "m.file" {
  const t = (contentType ?? "").toLowerCase();
  if (t.startsWith("image/")) return "m.image";
  if (t.startsWith("video/")) return "m.video";
  if (t.startsWith("audio/")) return "m.audio";
  return "m.file";
}

export interface DownloadedFile {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly filename: string;
}

/**
 * Downloads an XMPP-side file (or avatar) to upload it to Matrix, through the
 * engine's bounded download: MediaTooLargeError past `maxBytes`,
 * MediaFetchError otherwise.
 */
export async function downloadFile(
  url: string,
  o: { maxBytes: number; allowPrivateAddresses: boolean; filename?: string; contentType?: string },
): Promise<DownloadedFile> {
  const got = await downloadMedia(url, { maxBytes: o.maxBytes, allowPrivateAddresses: o.allowPrivateAddresses });
  return {
    bytes: got.bytes,
    contentType: o.contentType ?? got.contentType ?? "application/octet-stream",
    filename: o.filename ?? got.filename ?? "file",
  };
}

/**
 * Signed URLs on the application-service port for Matrix media: the engine
 * fetches Matrix users' avatars through them, and XMPP users open inline
 * images. The signature (an HMAC keyed by a secret of the bridge's) makes
 * the proxy serve only what the bridge handed out, not the whole media
 * repository.
 */
export class MediaProxy {
  static readonly PATH = "/_parley/media/";
  private readonly key: string;
  private readonly homeserverUrl: string;
  private readonly asToken: string;
  private readonly logger: Logger;
  private readonly maxBytes: number;
  private base: string | undefined;

  constructor(o: { key: string; homeserverUrl: string; asToken: string; logger: Logger; maxBytes: number }) {
    this.key = o.key;
    this.homeserverUrl = o.homeserverUrl;
    this.asToken = o.asToken;
    this.logger = o.logger;
    this.maxBytes = o.maxBytes;
  }

  /** Set once the application service listens: the URL its clients reach it at. */
  setBaseUrl(url: string): void {
    this.base = url.replace(/\/+$/, "");
  }

  private sign(p: MxcParts): string {
    return createHmac("sha256", this.key).update(`${p.server}/${p.mediaId}`).digest("base64url").slice(0, 32);
  }

  /** A URL anyone can fetch the media at, or undefined when the mxc URI is not valid (or not listening yet). */
  urlFor(mxc: string): string | undefined {
    const p = parseMxc(mxc);
    if (!p || this.base === undefined) return undefined;
    return `${this.base}${MediaProxy.PATH}${encodeURIComponent(p.server)}/${p.mediaId}?sig=${this.sign(p)}`;
  }

  /** Serves a proxied request; false when the path is not the proxy's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.startsWith(MediaProxy.PATH)) return false;
    const [serverPart, mediaId, ...more] = url.pathname.slice(MediaProxy.PATH.length).split("/");
    let server = "";
    try {
      server = decodeURIComponent(serverPart ?? "");
    } catch {
      server = ""; // a malformed path: answered as not found below
    }
    const parts = more.length === 0 ? parseMxc(`mxc://${server}/${mediaId ?? ""}`) : undefined;
    const sig = url.searchParams.get("sig") ?? "";
    const ok =
      parts !== undefined &&
      (req.method === "GET" || req.method === "HEAD") &&
      sig.length === 32 &&
      timingSafeEqual(Buffer.from(sig), Buffer.from(this.sign(parts)));
    if (!ok || !parts) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return true;
    }
    const upstream = `${downloadUrlOf(this.homeserverUrl, `mxc://${parts.server}/${parts.mediaId}`)}`;
    try {
      const r = await fetch(upstream, {
        headers: { Authorization: `Bearer ${this.asToken}` },
        signal: AbortSignal.timeout(30_000),
      });
      const length = Number(r.headers.get("content-length") ?? Number.NaN);
      if (!r.ok || !r.body || (Number.isFinite(length) && length > this.maxBytes)) {
        await r.body?.cancel();
        res.writeHead(r.ok ? 413 : 502, { "content-type": "text/plain" }).end("cannot serve this file\n");
        return true;
      }
      res.writeHead(200, {
        "content-type": r.headers.get("content-type") ?? "application/octet-stream",
        "cache-control": "public, max-age=86400",
        ...(Number.isFinite(length) && { "content-length": String(length) }),
      });
      if (req.method === "HEAD") {
        await r.body.cancel();
        res.end();
        return true;
      }
      let size = 0;
      for await (const chunk of r.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > this.maxBytes) break;
        res.write(chunk);
      }
      res.end();
    } catch (e) {
      this.logger.warn("a Matrix file could not be proxied", { error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end("cannot serve this file\n");
      else res.destroy();
    }
    return true;
  }
}
