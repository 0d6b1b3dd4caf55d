/**
 * What a failed homeserver call means for delivery. A rate limit is a
 * TransientError carrying how long Synapse asked to wait (`retry_after_ms`),
 * which the delivery queue honours: the call is not slept on here, since a
 * delivery job that sleeps holds its lane unconfirmed and cannot be drained
 * at a stop. A missing permission can only be fixed by a person
 * (PermanentError); a dropped connection or a 5xx may go away
 * (TransientError). Messages never carry the request URL, which holds the
 * ghost's user ID and could hold a token.
 */
import { type Logger, PermanentError, TransientError } from "@parley/bridge";
import { MatrixError } from "matrix-js-sdk";

/** The homeserver refused for lack of permission (M_FORBIDDEN). */
export class MatrixForbiddenError extends PermanentError {
  readonly errcode: string;
  constructor(message: string, errcode: string, cause: unknown) {
    super(message, { cause });
    this.name = "MatrixForbiddenError";
    this.errcode = errcode;
  }
}

/** The homeserver's error behind a failure, looking through the delivery errors that wrap it. */
export function matrixErrorIn(e: unknown): MatrixError | undefined {
  let current = e;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof MatrixError) return current;
    current = current.cause;
  }
  return undefined;
}

export function errcodeOf(e: unknown): string | undefined {
  return matrixErrorIn(e)?.errcode;
}

export function httpStatusOf(e: unknown): number | undefined {
  return e instanceof MatrixError ? e.httpStatus : undefined;
}

/** How long the homeserver asked to wait, from the body or the Retry-After header. */
export function retryAfterMsOf(e: unknown): number | undefined {
  if (!(e instanceof MatrixError)) return undefined;
  const fromBody = (e.data as { retry_after_ms?: unknown }).retry_after_ms;
  if (typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0) return fromBody;
  const header = e.httpHeaders?.get("retry-after");
  const seconds = header !== undefined && header !== null ? Number(header) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A rate limit answered to this very call (not one already waited out inside a wrapped call). */
export function isRateLimited(e: unknown): boolean {
  return e instanceof MatrixError && (e.errcode === "M_LIMIT_EXCEEDED" || e.httpStatus === 429);
}

/** A one-line reason, without the URL. */
export function describeMatrixError(e: unknown): string {
  const m = matrixErrorIn(e);
  if (m) return `${m.errcode ?? "HTTP"} ${m.httpStatus ?? ""}: ${m.data.error ?? ""}`.trim();
  if (e instanceof MatrixError) return `${e.errcode ?? "HTTP"} ${e.httpStatus ?? ""}: ${e.data.error ?? ""}`.trim();
  if (e instanceof Error) return e.message.replace(/https?:\/\/\S+/g, "<url>");
  return String(e);
}

/** The delivery queue's view of a failure: transient (retry) or permanent (give up). */
export function toDeliveryError(e: unknown, what: string): Error {
  if (e instanceof TransientError || e instanceof PermanentError) return e;
  const reason = describeMatrixError(e);
  if (e instanceof MatrixError) {
    const status = e.httpStatus ?? 0;
    if (isRateLimited(e)) {
      const retryAfterMs = retryAfterMsOf(e);
      return new TransientError(`${what}: rate limited (${reason})`, {
        cause: e,
        nothingDone: true,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      });
    }
    if (status >= 500 || status === 0) return new TransientError(`${what}: ${reason}`, { cause: e });
    if (e.errcode === "M_FORBIDDEN") return new MatrixForbiddenError(`${what}: ${reason}`, e.errcode, e);
    return new PermanentError(`${what}: ${reason}`, { cause: e });
  }
  // fetch failures, timeouts, ConnectionError: the homeserver may be back soon.
  return new TransientError(`${what}: ${reason}`, { cause: e });
}

/**
 * Runs one homeserver call; a failure is rethrown as a delivery error, a
 * rate limit (M_LIMIT_EXCEEDED) with a warning saying how long the homeserver
 * asked to wait. Nothing is retried here: retries are the delivery queue's,
 * which honours the wait. Never throws anything but TransientError or
 * PermanentError.
 */
export async function callHomeserver<T>(what: string, fn: () => Promise<T>, logger: Logger): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isRateLimited(e)) {
      logger.warn("the homeserver rate-limited the bridge (M_LIMIT_EXCEEDED); the delivery queue tries again", {
        what,
        retryAfterMs: retryAfterMsOf(e),
      });
    }
    throw toDeliveryError(e, what);
  }
}
