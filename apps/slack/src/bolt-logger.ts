/**
 * Bolt's and its clients' log lines, in the bridge's log: at debug level
 * (Bolt is chatty about connections), errors at warn. Bolt never logs
 * tokens; the Socket Mode URL it may log at debug is a one-time ticket.
 */
import type { Logger } from "@parley/bridge";
import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";

export function boltLogger(logger: Logger): BoltLogger {
  let level: LogLevel = LogLevel.DEBUG;
  const text = (msg: unknown[]) =>
    msg.map((m) => (typeof m === "string" ? m : m instanceof Error ? m.message : safeJson(m))).join(" ");
  return {
    debug: (...msg) => logger.debug(`slack: ${text(msg)}`),
    info: (...msg) => logger.debug(`slack: ${text(msg)}`),
    warn: (...msg) => logger.debug(`slack: ${text(msg)}`),
    error: (...msg) => logger.warn(`slack: ${text(msg)}`),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v); // circular or throwing: logged as text
  }
}
