/**
 * The bytes behind every CDN URL the fake hands out: avatars, guild icons,
 * custom emoji, stickers and message attachments. Keys are CDN paths without
 * the image extension (`avatars/<user>/<hash>`), because Discord's CDN serves
 * one image under .png, .webp, .jpg and .gif alike.
 */
import { imageHash, tinyPng } from "./png.ts";

export interface Asset {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

export class AssetStore {
  private readonly assets = new Map<string, Asset>();

  put(key: string, asset: Asset): void {
    this.assets.set(key, asset);
  }

  /** A generated PNG under `key`, its colour chosen by `seed`. */
  putImage(key: string, seed: string): void {
    this.put(key, { bytes: tinyPng(seed), contentType: "image/png" });
  }

  /** A generated avatar for a user or webhook; returns the hash that goes in its `avatar` field. */
  newAvatar(ownerId: string, seed: string): string {
    const hash = imageHash(seed);
    this.putImage(`avatars/${ownerId}/${hash}`, seed);
    return hash;
  }

  /** Serves `path` (after the CDN prefix): exact match first, then without the image extension. */
  lookup(path: string): Asset | undefined {
    const key = path.replace(/^\/+/, "");
    return this.assets.get(key) ?? this.assets.get(key.replace(/\.(png|webp|jpe?g|gif|json)$/i, ""));
  }
}
