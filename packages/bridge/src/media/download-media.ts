/**
 * A file downloaded whole, for a connector that must upload it to its
 * network (an XMPP user's file on Discord or Matrix): `fetchMedia`'s
 * defences (http and https only, no private addresses unless allowed, the
 * address checked again when connecting, at most `maxBytes`, one time limit
 * for the whole download, headers kept to the first origin) with the body
 * read into one buffer.
 */
import { type FetchMediaOptions, fetchMedia } from "./fetch-media.ts";
import { readStreamWithLimit } from "./read-stream.ts";

export interface DownloadedMedia {
  readonly bytes: Buffer;
  /** Sanitized, when the server sent one. */
  readonly contentType?: string;
  /** From Content-Disposition, else the last segment of the URL path; sanitized. */
  readonly filename?: string;
  /** Where the file was finally found, after redirects. */
  readonly url: string;
}

/**
 * Downloads `url` into memory. Rejects with MediaTooLargeError past
 * `maxBytes` (declared or counted) and MediaFetchError for everything else
 * (its `reason` says which rule or step refused); nothing else.
 */
export async function downloadMedia(url: string, o: FetchMediaOptions): Promise<DownloadedMedia> {
  const got = await fetchMedia(url, o);
  const bytes = await readStreamWithLimit(got.body, o.maxBytes);
  return {
    bytes,
    url: got.url,
    ...(got.contentType !== undefined && { contentType: got.contentType }),
    ...(got.filename !== undefined && { filename: got.filename }),
  };
}
