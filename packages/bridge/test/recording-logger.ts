/** A Logger that keeps every line in memory, for tests that assert on what was logged. */
import type { LogFields, Logger } from "../src/ops/logger-types.ts";

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly fields: LogFields;
}

export function recordingLogger(lines: LogLine[], base: LogFields = {}): Logger {
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      void lines.push({ level, msg, fields: { ...base, ...fields } });
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => recordingLogger(lines, { ...base, ...fields }),
  };
}
