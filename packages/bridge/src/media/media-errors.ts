/**
 * Typed failures of the media layer. A file over a limit is an expected event
 * (the engine posts a notice instead), so it has its own class carrying both
 * numbers; everything else says which rule or which step refused.
 */

/** A file larger than a limit: ours, the remote network's, or the upload service's. */
export class MediaTooLargeError extends Error {
  /** The size in bytes: declared, or the bytes seen when the limit was passed (so at least `limit + 1`). */
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(`the file is larger than the ${limit}-byte limit (${size} bytes${size === limit + 1 ? " or more" : ""})`);
    this.name = "MediaTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

export type MediaFetchFailure =
  | "invalid-url"
  | "unsupported-scheme"
  | "private-address"
  | "dns"
  | "too-many-redirects"
  | "bad-redirect"
  | "http-status"
  | "timeout"
  | "network";

/** A download refused or failed; `reason` says which, `status` carries the HTTP status for `http-status`. */
export class MediaFetchError extends Error {
  readonly reason: MediaFetchFailure;
  readonly status?: number;

  constructor(reason: MediaFetchFailure, message: string, o: { status?: number; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "MediaFetchError";
    this.reason = reason;
    if (o.status !== undefined) this.status = o.status;
  }
}

/**
 * An XEP-0363 upload that failed: `condition` is the stanza error condition the
 * service answered with, or `bad-slot` (unusable answer) or `put-failed` (the
 * HTTP PUT; `status` then holds its status when there was one).
 */
export class UploadError extends Error {
  readonly condition: string;
  readonly status?: number;
  /** From the service's `<retry stamp/>`: when a new request may succeed. */
  readonly retryAt?: string;

  constructor(condition: string, message: string, o: { status?: number; retryAt?: string; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "UploadError";
    this.condition = condition;
    if (o.status !== undefined) this.status = o.status;
    if (o.retryAt !== undefined) this.retryAt = o.retryAt;
  }
}
