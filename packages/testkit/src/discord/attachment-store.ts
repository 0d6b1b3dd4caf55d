/**
 * Message attachments: their bytes go to the CDN's asset store, and their
 * URLs look like Discord's signed CDN links
 * (`/attachments/{channel}/{id}/{filename}?ex=..&is=..&hm=..&`). A file given
 * without bytes gets real ones: a small PNG for images, a line of text
 * otherwise.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { APIAttachment } from "discord-api-types/v10";
import type { AssetStore } from "./assets.ts";
import { pngSize, tinyPng } from "./png.ts";
import type { SnowflakeSource } from "./snowflake.ts";

export interface NewAttachment {
  readonly filename: string;
  readonly contentType?: string;
  readonly bytes?: Uint8Array;
  readonly description?: string;
  readonly title?: string;
}

/** How long a signed attachment URL claims to stay valid (Discord: about a day). */
const URL_LIFETIME_SECONDS = 86_400;

export class AttachmentStore {
  private readonly ids: SnowflakeSource;
  private readonly assets: AssetStore;
  private readonly cdnUrl: string;
  private readonly signKey = randomBytes(16);

  constructor(o: { ids: SnowflakeSource; assets: AssetStore; cdnUrl: string }) {
    this.ids = o.ids;
    this.assets = o.assets;
    this.cdnUrl = o.cdnUrl;
  }

  store(channelId: string, a: NewAttachment): APIAttachment {
    const id = this.ids.next();
    const image = (a.contentType ?? "").startsWith("image/") || /\.(png|jpe?g|gif|webp)$/i.test(a.filename);
    const bytes = a.bytes ?? (image ? tinyPng(`${channelId}/${id}`, 32) : new TextEncoder().encode(`${a.filename}\n`));
    const contentType = a.contentType ?? (image ? "image/png" : "application/octet-stream");
    const path = `attachments/${channelId}/${id}/${a.filename}`;
    this.assets.put(path, { bytes, contentType });
    const now = Math.floor(Date.now() / 1000);
    const ex = (now + URL_LIFETIME_SECONDS).toString(16);
    const is = now.toString(16);
    const hm = createHmac("sha256", this.signKey).update(`${path}${ex}${is}`).digest("hex");
    const file = encodeURIComponent(a.filename);
    const url = `${this.cdnUrl}/attachments/${channelId}/${id}/${file}?ex=${ex}&is=${is}&hm=${hm}&`;
    const size = pngSize(bytes);
    return {
      id,
      filename: a.filename,
      size: bytes.byteLength,
      url,
      proxy_url: url,
      content_type: contentType,
      ...(size ? { width: size.width, height: size.height } : {}),
      ...(a.description ? { description: a.description } : {}),
      ...(a.title ? { title: a.title } : {}),
    };
  }
}
