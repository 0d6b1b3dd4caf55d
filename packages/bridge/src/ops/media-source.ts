/**
 * What the HTTP endpoint serves under /media/<id>: files the bridge stored
 * (re-uploaded attachments, avatars) for remote networks to fetch. The
 * endpoint only knows this interface; the media store implements it. Ids
 * reach `open` only once they match /^[A-Za-z0-9_-]{1,128}(\.[A-Za-z0-9]{1,16})?$/
 * (a token and an optional extension), so no request can name a path.
 */

export interface MediaFile {
  /** The bytes; a stream is read once and must yield exactly `size` bytes. */
  readonly body: NodeJS.ReadableStream | Uint8Array;
  readonly contentType: string;
  readonly size: number;
  /** Suggested name for a download. */
  readonly filename?: string;
}

export interface MediaSource {
  /**
   * The file stored under `id`, or
   * undefined when there is none. May throw on I/O failure; the endpoint
   * answers 500 then.
   */
  open(id: string): Promise<MediaFile | undefined>;
}
