/**
 * The production logger: one JSON object per line (`time`, `level`, `msg`,
 * then fields), ready for journald, Docker or Loki. Secrets are scrubbed
 * here, once, for every part of the engine: any registered secret string
 * found anywhere in a line becomes "[redacted]", and fields named like
 * credentials are redacted whatever they hold. Logging never throws: odd
 * values (cycles, BigInt, throwing getters) are rendered, not fatal.
 */
import type { LogFields, Logger } from "./logger-types.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

const REDACTED = "[redacted]";

/** Field names whose values are credentials, at any depth. */
export const CREDENTIAL_FIELD = /token|secret|password|authorization/i;

/** Lines never nest deeper than this; deeper values become "[too deep]". */
const MAX_DEPTH = 12;

export interface CreateLoggerOptions {
  /** Lines below this level are dropped; default "info". */
  readonly level?: LogLevel;
  /** Strings to scrub from every line (e.g. secretsOf(config)). More can be added with addSecret. */
  readonly secrets?: readonly string[];
  /** Receives each line, without the trailing newline; default writes it to process.stdout. */
  readonly write?: (line: string) => void;
  /** Fields on every line. */
  readonly base?: LogFields;
  /** The clock for `time`; default Date.now. */
  readonly now?: () => number;
}

export type RedactingLogger = Logger & {
  /** Scrubs `s` from every later line of this logger and of all its children. */
  addSecret(s: string): void;
};

/** Scrubbing state shared by a logger and its children. */
class SecretSet {
  private list: string[] = [];

  add(s: string): void {
    if (typeof s !== "string" || s === "" || this.list.includes(s)) return;
    // Longest first, so a secret containing another is replaced whole.
    this.list = [...this.list, s].sort((a, b) => b.length - a.length);
  }

  scrub(s: string): string {
    let out = s;
    for (const secret of this.list) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
    return out;
  }
}

export function createLogger(options: CreateLoggerOptions = {}): RedactingLogger {
  const secrets = new SecretSet();
  for (const s of options.secrets ?? []) secrets.add(s);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const threshold = RANK[options.level ?? "info"] ?? RANK.info;

  const make = (base: LogFields): RedactingLogger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (RANK[level] < threshold) return;
      let line: string;
      try {
        line = renderLine(level, msg, base, fields, new Date(now()), secrets);
      } catch {
        // A log call never throws: fields that cannot be rendered are replaced by what went wrong.
        line = JSON.stringify({
          time: safeTime(now),
          level,
          msg: secrets.scrub(String(msg)),
          logError: "unrenderable fields",
        });
      }
      try {
        write(line);
      } catch {
        // A broken log sink must not take the bridge down with it.
      }
    };
    return {
      debug: (msg, fields) => emit("debug", msg, fields),
      info: (msg, fields) => emit("info", msg, fields),
      warn: (msg, fields) => emit("warn", msg, fields),
      error: (msg, fields) => emit("error", msg, fields),
      child: (fields) => make({ ...base, ...fields }),
      addSecret: (s) => secrets.add(s),
    };
  };
  return make({ ...options.base });
}

function safeTime(now: () => number): string {
  try {
    return new Date(now()).toISOString();
  } catch {
    // An injected clock that throws or gives an invalid time: the real one.
    return new Date().toISOString();
  }
}

const RESERVED = new Set(["time", "level", "msg"]);

function renderLine(
  level: LogLevel,
  msg: string,
  base: LogFields,
  fields: LogFields | undefined,
  time: Date,
  secrets: SecretSet,
): string {
  const out: Record<string, unknown> = { time: time.toISOString(), level, msg: secrets.scrub(String(msg)) };
  const seen = new WeakSet<object>();
  for (const source of [base, fields ?? {}]) {
    for (const [k, v] of Object.entries(source)) {
      const key = RESERVED.has(k) ? `field.${k}` : secrets.scrub(k);
      setOwn(out, key, CREDENTIAL_FIELD.test(k) ? REDACTED : toJsonValue(v, secrets, seen, 0));
    }
  }
  return JSON.stringify(out);
}

/** Defines a property even when the key is `__proto__`. */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A plain JSON-safe copy of `v` with secrets scrubbed; `seen` holds the objects on the current path. */
function toJsonValue(v: unknown, secrets: SecretSet, seen: WeakSet<object>, depth: number): unknown {
  switch (typeof v) {
    case "string":
      return secrets.scrub(v);
    case "number":
      return Number.isFinite(v) ? v : String(v);
    case "boolean":
      return v;
    case "bigint":
      return secrets.scrub(v.toString());
    case "undefined":
      return undefined;
    case "symbol":
      return secrets.scrub(v.toString());
    case "function":
      return `[function ${secrets.scrub(v.name || "anonymous")}]`;
  }
  if (v === null) return null;
  const obj = v as object;
  if (seen.has(obj)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(obj);
  try {
    return objectToJson(obj, secrets, seen, depth);
  } catch {
    // A getter or toJSON that throws: the field says so instead of breaking the line.
    return "[unserializable]";
  } finally {
    seen.delete(obj);
  }
}

function objectToJson(obj: object, secrets: SecretSet, seen: WeakSet<object>, depth: number): unknown {
  const next = (x: unknown) => toJsonValue(x, secrets, seen, depth + 1);
  if (obj instanceof Error) {
    const e: Record<string, unknown> = {
      name: secrets.scrub(String(obj.name)),
      message: secrets.scrub(String(obj.message)),
      stack: typeof obj.stack === "string" ? secrets.scrub(obj.stack) : undefined,
    };
    const code = (obj as { code?: unknown }).code;
    if (code !== undefined) e.code = next(code);
    if (obj.cause !== undefined) e.cause = next(obj.cause);
    if (obj instanceof AggregateError && Array.isArray(obj.errors)) e.errors = obj.errors.map(next);
    return e;
  }
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${obj.byteLength} bytes]`;
  if (obj instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of obj) {
      const key = secrets.scrub(String(k));
      setOwn(out, key, typeof k === "string" && CREDENTIAL_FIELD.test(k) ? REDACTED : next(val));
    }
    return out;
  }
  if (obj instanceof Set) return [...obj].map(next);
  if (Array.isArray(obj)) return obj.map(next);
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return next(toJSON.call(obj));
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(obj)) {
    setOwn(out, secrets.scrub(k), CREDENTIAL_FIELD.test(k) ? REDACTED : next(val));
  }
  return out;
}
