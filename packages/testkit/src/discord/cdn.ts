/**
 * The fake CDN: serves what the asset store holds under Discord's CDN paths
 * (`/avatars/{user}/{hash}.png`, `/emojis/{id}.gif`, `/stickers/{id}.png`,
 * `/attachments/{channel}/{id}/{filename}`, `/embed/avatars/{n}.png`), with the
 * signed-URL query of attachments accepted and ignored. Images are PNG bytes
 * whatever extension is asked for.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AssetStore } from "./assets.ts";
import { tinyPng } from "./png.ts";

export function handleCdn(assets: AssetStore, req: IncomingMessage, res: ServerResponse, path: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  const defaultAvatar = /^\/embed\/avatars\/(\d)\.png$/.exec(decoded);
  const asset = defaultAvatar
    ? { bytes: tinyPng(`default-avatar-${defaultAvatar[1]}`), contentType: "image/png" }
    : assets.lookup(decoded);
  if (!asset || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("404: Not Found");
    return;
  }
  res.writeHead(200, {
    "Content-Type": asset.contentType,
    "Content-Length": asset.bytes.byteLength,
    "Cache-Control": "public, max-age=31536000",
  });
  res.end(req.method === "HEAD" ? undefined : Buffer.from(asset.bytes));
}
