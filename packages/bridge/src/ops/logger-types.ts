/**
 * The logging surface every engine part takes. Parts receive a `Logger` and
 * never construct one, so the engine decides where lines go (JSON on stdout in
 * production, nowhere in unit tests) and secrets are scrubbed in one place.
 */

/** Structured context for a log line; values must be JSON-serializable. */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. `{ part: "delivery", room }`). */
  child(fields: LogFields): Logger;
}

/** Discards everything; the default for parts constructed without a logger. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
