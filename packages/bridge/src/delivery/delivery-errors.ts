/**
 * How a delivery attempt says whether trying again can help. Connectors throw
 * these from their API calls; the delivery queue retries a transient failure
 * with backoff and gives up at once on a permanent one.
 */
import { IqTimeoutError } from "../component/iq-router.ts";
import type { LogFields, Logger } from "../ops/logger-types.ts";

/** A failure that may go away: a 5xx, a 429, a dropped connection, a timeout. */
export class TransientError extends Error {
  /** How long the other side asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs?: number;
  /**
   * The other side answered that it did nothing (a rate limit's 429): trying
   * again cannot repeat anything, so no earlier result need be looked for.
   * False when it may have done the work (a 5xx, a timeout, a cut connection).
   */
  readonly nothingDone: boolean;

  constructor(message: string, o: { retryAfterMs?: number; nothingDone?: boolean; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "TransientError";
    this.nothingDone = o.nothingDone === true;
    if (o.retryAfterMs !== undefined && Number.isFinite(o.retryAfterMs) && o.retryAfterMs >= 0) {
      this.retryAfterMs = o.retryAfterMs;
    }
  }
}

/** A failure that retrying cannot fix: a 403, an unknown channel, a malformed request. */
export class PermanentError extends Error {
  constructor(message: string, o: { cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "PermanentError";
  }
}

/** `queue.enqueue()` after `queue.close()`: the bridge is shutting down. */
export class DeliveryClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeliveryClosedError";
  }
}

/** Socket-level error codes that mean "the network hiccuped", not "the request was wrong". */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function field(e: object, name: string): unknown {
  try {
    return (e as Record<string, unknown>)[name];
  } catch {
    return undefined; // a getter that throws tells us nothing
  }
}

function statusIsTransient(status: unknown): boolean {
  return typeof status === "number" && (status === 429 || (status >= 500 && status <= 599));
}

/**
 * The default classifier: TransientError; network failures (by error code, or
 * fetch's `TypeError: fetch failed`), timeouts, and anything carrying an HTTP
 * status of 429 or 5xx (`status` or `statusCode`). Follows `cause` a few levels,
 * since wrappers often hide the socket error there. Everything else, including
 * thrown non-objects, is permanent: a retry would fail the same way.
 */
export function isTransientFailure(e: unknown): boolean {
  let current: unknown = e;
  for (let depth = 0; depth < 5; depth++) {
    if (current === null || typeof current !== "object") return false;
    if (current instanceof PermanentError) return false;
    if (current instanceof TransientError || current instanceof IqTimeoutError) return true;
    const code = field(current, "code");
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (statusIsTransient(field(current, "status")) || statusIsTransient(field(current, "statusCode"))) return true;
    const name = field(current, "name");
    if (name === "TimeoutError") return true;
    if (current instanceof TypeError && current.message === "fetch failed") return true;
    current = field(current, "cause");
  }
  return false;
}

/**
 * A `.catch` handler for work whose failure must not stop what calls it (a
 * cleanup, a best-effort note) but must not vanish either: it logs `what`
 * with the failure at `level` (warn by default) and settles to undefined.
 */
export function logFailure(
  logger: Logger,
  what: string,
  level: "debug" | "info" | "warn" | "error" = "warn",
  fields: LogFields = {},
): (e: unknown) => undefined {
  return (e) => {
    logger[level](what, { ...fields, error: describeFailure(e) });
    return undefined;
  };
}

/** A one-line description of any thrown value, safe to log (never throws). */
export function describeFailure(e: unknown): string {
  try {
    if (e instanceof Error) return `${e.name}: ${e.message}`;
    if (typeof e === "string") return e;
    return `non-error value: ${String(e)}`;
  } catch {
    return "unprintable value"; // a value whose message or toString throws
  }
}
