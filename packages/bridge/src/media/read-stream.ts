/**
 * Reading a stream into one buffer, bounded: every place that collects a
 * body (a download, an HTTP request, a stored file) goes through here, so
 * none of them can be made to hold more than it allows. Leaving the loop on
 * the limit ends the stream (its iterator's `return`), which for a download
 * drops the connection.
 */
import { MediaTooLargeError } from "./media-errors.ts";

/**
 * The stream's bytes, at most `maxBytes` of them; one more and it rejects
 * with `tooLarge(bytesSeen, maxBytes)` (a MediaTooLargeError by default).
 * Strings (a stream in text mode) are read as UTF-8.
 */
export async function readStreamWithLimit(
  stream: AsyncIterable<Uint8Array | string>,
  maxBytes: number,
  tooLarge: (size: number, limit: number) => Error = (size, limit) => new MediaTooLargeError(size, limit),
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
