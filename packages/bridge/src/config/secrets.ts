/**
 * Which configured values are secrets, so the logger can scrub them from
 * every line and `parley --print-config` can show the rest. Secrets are the
 * component secret, the password in a PostgreSQL URL, the metrics token, and
 * every connector setting whose name says token, secret, password or key.
 */
import type { BridgeConfig } from "./schema.ts";

export const REDACTED = "[redacted]";

/** Connector setting names whose values are secrets whatever they hold. */
export const SECRET_SETTING = /token|secret|password|key/i;

/** Every secret value in `config`, each once, longest first (the order to replace them in). */
export function secretsOf(config: BridgeConfig): string[] {
  const found = new Set<string>();
  const add = (s: string) => {
    if (s !== "") found.add(s);
  };
  add(config.xmpp.secret);
  if (config.ops.metricsToken !== undefined) add(config.ops.metricsToken);
  const password = urlPassword(config.store.url);
  if (password !== undefined) {
    add(password);
    add(safeDecode(password));
  }
  const collect = (value: unknown, secretKey: boolean, depth: number): void => {
    if (depth > 32) return;
    if (typeof value === "string") {
      if (secretKey) add(value);
    } else if (typeof value === "number" || typeof value === "bigint") {
      if (secretKey) add(String(value));
    } else if (Array.isArray(value)) {
      for (const v of value) collect(v, secretKey, depth + 1);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) collect(v, secretKey || SECRET_SETTING.test(k), depth + 1);
    }
  };
  collect(config.connectors, false, 0);
  return [...found].sort((a, b) => b.length - a.length);
}

/** The config with every secret replaced by "[redacted]", safe to print or log. */
export function redactedConfig(config: BridgeConfig): BridgeConfig {
  const secrets = secretsOf(config);
  const scrub = (s: string) => scrubSecrets(s, secrets);
  const copy = (value: unknown, secretKey: boolean, depth: number): unknown => {
    if (secretKey) return REDACTED;
    if (typeof value === "string") return scrub(value);
    if (depth > 32) return REDACTED;
    if (Array.isArray(value)) return value.map((v) => copy(v, false, depth + 1));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = copy(v, SECRET_SETTING.test(k), depth + 1);
      return out;
    }
    return value;
  };
  const connectors: Record<string, Record<string, unknown>> = {};
  for (const [name, section] of Object.entries(config.connectors)) {
    const c = copy(section, false, 0);
    connectors[name] = c !== null && typeof c === "object" && !Array.isArray(c) ? (c as Record<string, unknown>) : {};
  }
  return {
    xmpp: {
      ...config.xmpp,
      host: scrub(config.xmpp.host),
      domain: scrub(config.xmpp.domain),
      secret: REDACTED,
    },
    store: { url: redactUrlPassword(config.store.url), retention: { ...config.store.retention } },
    delivery: { ...config.delivery },
    http: {
      ...config.http,
      host: scrub(config.http.host),
      publicUrl: config.http.publicUrl === undefined ? undefined : scrub(config.http.publicUrl),
    },
    ops: {
      ...config.ops,
      host: scrub(config.ops.host),
      ...(config.ops.metricsToken !== undefined && { metricsToken: REDACTED }),
    },
    log: { ...config.log },
    admins: config.admins.map(scrub),
    permissions: Object.fromEntries(Object.entries(config.permissions).map(([who, level]) => [scrub(who), level])),
    media: { ...config.media, dir: scrub(config.media.dir) },
    links: config.links.map((l) => ({ network: scrub(l.network), channel: scrub(l.channel), room: scrub(l.room) })),
    connectors,
    connectorPackages: Object.fromEntries(
      Object.entries(config.connectorPackages).map(([n, from]) => [n, scrub(from)]),
    ),
  };
}

/** Replaces every occurrence of each secret in `s` (secrets longest first). */
export function scrubSecrets(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (secret !== "" && out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out;
}

/** The password of a postgres:// URL as written (percent-encoded), if it has one. */
function urlPassword(url: string): string | undefined {
  if (url.startsWith("sqlite:")) return undefined;
  try {
    const p = new URL(url).password;
    return p === "" ? undefined : p;
  } catch {
    return undefined; // not a URL: the schema reports it; nothing to redact
  }
}

function redactUrlPassword(url: string): string {
  if (urlPassword(url) === undefined) return url;
  const u = new URL(url);
  return `${u.protocol}//${u.username}:${REDACTED}@${u.host}${u.pathname}${u.search}${u.hash}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // not percent-encoded after all: redacted as written
  }
}
