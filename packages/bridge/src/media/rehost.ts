/**
 * Re-hosting: a remote file whose URL XMPP users cannot use (signed CDN links
 * that expire, media behind a login) is downloaded into the bridge's media
 * store and served from the bridge's own URL instead.
 */
import { type FetchMediaOptions, fetchMedia } from "./fetch-media.ts";
import { FALLBACK_CONTENT_TYPE, sanitizeContentType, sanitizeFilename } from "./media-names.ts";
import type { MediaStore } from "./media-store.ts";

export interface RehostOptions extends FetchMediaOptions {
  readonly store: MediaStore;
  /** The bridge's public base URL, e.g. `https://bridge.example.org` (a path prefix is kept). */
  readonly publicBaseUrl: string;
  /** What the network said the file is: used when the server does not say better. */
  readonly contentType?: string;
  /** The name the user gave the file: preferred over what the server or URL suggests. */
  readonly filename?: string;
}

export interface RehostedMedia {
  readonly id: string;
  /** The public URL on the bridge. */
  readonly url: string;
  readonly size: number;
  readonly contentType: string;
  readonly filename?: string;
}

/** Downloads `url` (see `fetchMedia` for the rules) and stores it; MediaTooLargeError past `maxBytes`. */
export async function rehost(url: string, o: RehostOptions): Promise<RehostedMedia> {
  const got = await fetchMedia(url, o);
  // CDNs often answer application/octet-stream for everything; the network's own type is then better.
  const served = got.contentType;
  const contentType =
    served !== undefined && served !== FALLBACK_CONTENT_TYPE ? served : sanitizeContentType(o.contentType ?? served);
  const filename = sanitizeFilename(o.filename) ?? got.filename;
  const stored = await o.store.put(got.body, { contentType, ...(filename !== undefined && { filename }) }, o.maxBytes);
  return {
    id: stored.id,
    url: o.store.urlFor(stored.id, o.publicBaseUrl),
    size: stored.size,
    contentType: stored.contentType,
    ...(filename !== undefined && { filename }),
  };
}
