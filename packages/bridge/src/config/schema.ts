/**
 * The shape of parley.yaml, stated once as a zod schema; `BridgeConfig` is
 * inferred from it so the type and the validation cannot drift apart. Every
 * section is strict (an unknown key is a typo until proven otherwise), and a
 * section left out gets its defaults. Problems are phrased here as "what is
 * wrong"; how to fix each field lives in field-hints.ts.
 */
import { parseJid } from "@parley/stanza";
import { z } from "zod";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * A whole number. Digits in a string are accepted too, because that is what
 * `${PORT}` interpolation produces.
 */
function wholeNumber(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );
}

/** true/false, also as the strings an environment variable yields. */
function flag() {
  return z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());
}

const text = () => z.string().min(1);

const host = () => text().refine((s) => /^[^\s/?#@]+$/.test(s), "is not a host name or address");

/** A JID with only a domainpart (a server, a MUC service, a component), normalized. */
const domain = () =>
  text().transform((s, ctx) => {
    const r = parseJid(s);
    if (!r.ok || r.value.local !== undefined || r.value.resource !== undefined) {
      ctx.addIssue({ code: "custom", message: "is not a domain (a domain has no @ and no /)", input: s });
      return z.NEVER;
    }
    return r.value.domain;
  });

/** A bare JID (`user@example.org`), normalized. */
const bareJid = () =>
  text().transform((s, ctx) => {
    const r = parseJid(s);
    if (!r.ok) {
      ctx.addIssue({ code: "custom", message: `is not a valid JID (${r.error.message})`, input: s });
      return z.NEVER;
    }
    if (r.value.resource !== undefined) {
      ctx.addIssue({ code: "custom", message: "is a full JID; admins are bare JIDs (no /resource)", input: s });
      return z.NEVER;
    }
    return r.value.local === undefined ? r.value.domain : `${r.value.local}@${r.value.domain}`;
  });

function isStoreUrl(s: string): boolean {
  if (/^sqlite:./.test(s)) return true;
  try {
    const u = new URL(s);
    return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
  } catch {
    return false; // not a URL: the schema's message names the field
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.search === "" && u.hash === "";
  } catch {
    return false; // not a URL: the schema's message names the field
  }
}

/** The URL a listener on host:port answers at, IPv6 literals bracketed. */
export function httpUrlOf(hostName: string, port: number): string {
  const h = hostName.includes(":") && !hostName.startsWith("[") ? `[${hostName}]` : hostName;
  return `http://${h}:${port}`;
}

/** The most a room's catch-up relays, and its default: far more than any room says in a day. */
export const MAX_CATCH_UP_MESSAGES = 1_000_000;

/**
 * The least xmpp.limits may be: an archived message wrapped in its result
 * nests about 8 deep and replies, reactions and markup add a few more; a
 * stanza of a few kilobytes is an ordinary message.
 */
export const MIN_STANZA_DEPTH = 16;
export const MIN_STANZA_LENGTH = 10_000;

const xmppSection = z.strictObject({
  host: host().default("127.0.0.1"),
  port: wholeNumber(1, 65535).default(5347),
  domain: domain(),
  secret: text(),
  /**
   * The XMPP server's own domain, whose users may write to remote users
   * directly by default (see `permissions`); default: xmpp.domain without its
   * first label (discord.example.org -> example.org).
   */
  serverDomain: domain().optional(),
  mucDomain: domain().optional(),
  uploadService: domain().optional(),
  /**
   * What a linked room said while the bridge read no copy of it, read back
   * from the room's archive: everything of the last `maxAgeHours`.
   * `maxMessages` is only a safety bound per room and catch-up (0 turns
   * catch-up off).
   */
  catchUp: z
    .strictObject({
      maxMessages: wholeNumber(0, MAX_CATCH_UP_MESSAGES).default(MAX_CATCH_UP_MESSAGES),
      maxAgeHours: wholeNumber(1, 720).default(24),
    })
    .prefault({}),
  /**
   * What one stanza from the server may be: deeper or longer, it is dropped
   * on its own (logged, answered with policy-violation where an answer is
   * due) and the link stays up.
   */
  limits: z
    .strictObject({
      maxDepth: wholeNumber(MIN_STANZA_DEPTH, 10_000).default(256),
      maxStanzaLength: wholeNumber(MIN_STANZA_LENGTH, 100_000_000).default(1_000_000),
      /** The most posts one XMPP message becomes on the other network; the rest is cut, with a notice. */
      maxPostsPerMessage: wholeNumber(1, 100).default(5),
      /**
       * Per sender, both ways: messages a minute (0: no limit, the default,
       * as benches and bulk imports send thousands from one sender), and how
       * many may come at once; the excess is dropped, said once.
       */
      messagesPerMinute: wholeNumber(0, 6000).default(0),
      burst: wholeNumber(1, 1000).default(10),
    })
    .prefault({}),
});

/** How deliveries end when the bridge stops. */
const deliverySection = z.strictObject({
  /**
   * How long a stop (SIGTERM, SIGINT) waits for what was sent to be
   * confirmed by the other side (the room's reflection, the network's
   * answer); what is still unconfirmed then is reconciled at the next start.
   */
  drainSeconds: wholeNumber(0, 600).default(10),
  /**
   * How long a transient failure (a 5xx, a dropped connection, a rate limit)
   * is retried, with backoff, before the action is dead-lettered and the
   * admins are told.
   */
  retrySeconds: wholeNumber(0, 86_400).default(600),
});

/** Who may use the bridge for what: a bare JID, a domain or `*`, each with a level (see engine/permissions.ts). */
const permissionsSection = z.record(
  z.string().transform((s, ctx) => {
    if (s === "*") return s;
    const r = parseJid(s);
    if (!r.ok || r.value.resource !== undefined) {
      ctx.addIssue({ code: "custom", message: "is not a bare JID, a domain or *", input: s });
      return z.NEVER;
    }
    return r.value.local === undefined ? r.value.domain : `${r.value.local}@${r.value.domain}`;
  }),
  z.enum(["none", "relay", "dm", "admin"]),
);

/** Days of retention, 0 for ever; at most a century. */
const days = (fallback: number) => wholeNumber(0, 36_500).default(fallback);

/** How long the store keeps what only grows; pruned at start and hourly. */
const retentionSection = z.strictObject({
  /** The message map: after this, edits, deletions, replies and reactions no longer find a message. */
  messagesDays: days(90),
  /** The delivery ledger (what was delivered already, so it is never sent twice) and the dead letters. */
  ledgerDays: days(30),
});

const storeSection = z.strictObject({
  url: text().refine(isStoreUrl, "is not a sqlite: or postgres:// URL").default("sqlite:parley.db"),
  retention: retentionSection.prefault({}),
});

const httpSection = z
  .strictObject({
    host: host().default("127.0.0.1"),
    port: wholeNumber(0, 65535).default(8787),
    publicUrl: text()
      .refine(isHttpUrl, "is not an http:// or https:// URL without query or fragment")
      .transform((s) => s.replace(/\/+$/, ""))
      .optional(),
  })
  .transform((h) => ({
    host: h.host,
    port: h.port,
    /**
     * Base URL remote networks fetch media and avatars from. Derived from
     * host and port when not set; undefined when port is 0 (the real port is
     * only known once the server listens: use publicUrlFor then).
     */
    publicUrl: h.publicUrl ?? (h.port === 0 ? undefined : httpUrlOf(h.host, h.port)),
  }));

/** A bearer token is a token68 (RFC 7235): letters, digits, a few symbols, and = padding at the end. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_TOKEN_LENGTH = 16;

/** The operator's endpoint: /healthz, /readyz and /metrics, apart from the public media endpoint. */
const opsSection = z.strictObject({
  host: host().default("127.0.0.1"),
  port: wholeNumber(0, 65535).default(8788),
  metricsToken: z
    .string()
    .refine((s) => s.length >= MIN_TOKEN_LENGTH, `is shorter than ${MIN_TOKEN_LENGTH} characters`)
    .refine(
      (s) => BEARER_TOKEN.test(s),
      "holds characters a bearer token cannot carry (only letters, digits, - . _ ~ + / and = at the end)",
    )
    .optional(),
});

/** Addresses that take connections on every interface, so they overlap any other host on the same port. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);

/** Whether two listeners would want the same socket (a port of 0 is a free port, never shared). */
function sameListener(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const ha = a.host.toLowerCase();
  const hb = b.host.toLowerCase();
  return ha === hb || WILDCARD_HOSTS.has(ha) || WILDCARD_HOSTS.has(hb);
}

const logSection = z.strictObject({
  level: z.enum(LOG_LEVELS).default("info"),
});

const mediaSection = z.strictObject({
  maxBytes: wholeNumber(1, Number.MAX_SAFE_INTEGER).default(26_214_400),
  dir: text().default("./media"),
  allowPrivateAddresses: flag().default(false),
});

const linkEntry = z.strictObject({
  network: text(),
  channel: text(),
  /** A room JID, or a bare room name resolved against xmpp.mucDomain. */
  room: text().refine((s) => {
    if (!s.includes("@")) return parseJid(`${s}@x.invalid`).ok;
    const r = parseJid(s);
    return r.ok && r.value.resource === undefined;
  }, "is not a room JID (room@conference.example.org) nor a bare room name"),
});

/** `room@service` in normal form (only called on JIDs the schema accepted). */
function normalizedBare(jid: string): string {
  const r = parseJid(jid);
  return r.ok && r.value.local !== undefined ? `${r.value.local}@${r.value.domain}` : jid.toLowerCase();
}

type ConnectorSections = Record<string, Record<string, unknown>>;

/** An npm package name (`name` or `@scope/name`). */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
/** A path to a package's directory (or its entry file): absolute, or relative to the config file. */
const PACKAGE_PATH = /^(\/|\.\.?\/)/;

/**
 * `connectors.<name>.package`: where the connector comes from, for the engine
 * only (it is taken out of the section before the connector sees it).
 */
const connectorPackage = () =>
  text().refine(
    (s) => PACKAGE_NAME.test(s) || PACKAGE_PATH.test(s),
    "is neither a package name (name or @scope/name) nor a path to a package (starting with /, ./ or ../)",
  );

/**
 * The `connectors` section: without schemas, any mapping per connector; with
 * them, exactly the connectors given (a missing section is validated as {}).
 * Either way a section may say which `package` its connector comes from.
 */
function connectorsSection(schemas?: Readonly<Record<string, z.ZodType>>): z.ZodType<ConnectorSections> {
  const mapping = z.record(z.string(), z.unknown());
  const asMapping = (v: unknown) => v ?? {};
  if (!schemas) {
    return z.record(z.string(), z.preprocess(asMapping, z.looseObject({ package: connectorPackage().optional() })));
  }
  const shape: Record<string, z.ZodType<Record<string, unknown>>> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const own = schema instanceof z.ZodObject ? schema.extend({ package: connectorPackage().optional() }) : schema;
    shape[name] = z.preprocess(asMapping, own.pipe(mapping));
  }
  return z.strictObject(shape);
}

/**
 * Each section's `package` taken out: the connector's options are the rest,
 * and the packages written are kept by network name.
 */
function splitPackages(sections: ConnectorSections): {
  connectors: ConnectorSections;
  connectorPackages: Readonly<Record<string, string>>;
} {
  const connectors: ConnectorSections = {};
  const connectorPackages: Record<string, string> = {};
  for (const [name, section] of Object.entries(sections)) {
    const { package: from, ...options } = section;
    if (typeof from === "string") connectorPackages[name] = from;
    connectors[name] = options;
  }
  return { connectors, connectorPackages };
}

/** The whole file's schema; `connectorSchemas` validate the matching `connectors.<name>` sections. */
export function configSchema(connectorSchemas?: Readonly<Record<string, z.ZodType>>) {
  const networks = connectorSchemas ? Object.keys(connectorSchemas) : undefined;
  return z
    .strictObject({
      xmpp: xmppSection,
      store: storeSection.prefault({}),
      http: httpSection.prefault({}),
      ops: opsSection.prefault({}),
      delivery: deliverySection.prefault({}),
      log: logSection.prefault({}),
      admins: z.array(bareJid()).default([]),
      permissions: permissionsSection.default({}),
      media: mediaSection.prefault({}),
      links: z.array(linkEntry).default([]),
      connectors: connectorsSection(connectorSchemas).prefault({}),
    })
    .transform((c, ctx) => {
      if (sameListener(c.http, c.ops)) {
        ctx.addIssue({
          code: "custom",
          message:
            "is the port the public http endpoint listens on, at the same or an overlapping host; the ops endpoint needs a listener of its own",
          path: ["ops", "port"],
          input: c.ops.port,
        });
      }
      // A catch-up relays what a room said up to maxAgeHours ago: forgetting sooner that it was delivered, or which
      // message it was, would let it be relayed twice or its edits go astray.
      const catchUpDays = Math.ceil(c.xmpp.catchUp.maxAgeHours / 24);
      for (const field of ["messagesDays", "ledgerDays"] as const) {
        const kept = c.store.retention[field];
        if (kept !== 0 && kept < catchUpDays) {
          ctx.addIssue({
            code: "custom",
            message: "is shorter than a catch-up reaches back (xmpp.catchUp.maxAgeHours)",
            path: ["store", "retention", field],
            input: kept,
          });
        }
      }
      const links = c.links.map((l, i) => {
        if (networks && !networks.includes(l.network)) {
          ctx.addIssue({
            code: "custom",
            message: `names a network this bridge does not run (it runs ${networks.join(", ") || "no connector"})`,
            path: ["links", i, "network"],
            input: l.network,
          });
        }
        if (l.room.includes("@")) return { ...l, room: normalizedBare(l.room) };
        if (c.xmpp.mucDomain === undefined) {
          ctx.addIssue({
            code: "custom",
            message: "is a bare room name but xmpp.mucDomain is not set",
            path: ["links", i, "room"],
            input: l.room,
          });
          return l;
        }
        return { ...l, room: normalizedBare(`${l.room}@${c.xmpp.mucDomain}`) };
      });
      return { ...c, links, ...splitPackages(c.connectors) };
    });
}

export const bridgeConfigSchema = configSchema();

/** A validated configuration, defaults applied and `${ENV}` references resolved. */
export type BridgeConfig = z.output<typeof bridgeConfigSchema>;

/** The public base URL for media once the HTTP server listens on `boundPort` (needed when http.port is 0). */
export function publicUrlFor(http: BridgeConfig["http"], boundPort: number): string {
  return http.publicUrl ?? httpUrlOf(http.host, boundPort);
}

/** The XMPP server's own domain: xmpp.serverDomain, else xmpp.domain without its first label. */
export function serverDomainOf(xmpp: BridgeConfig["xmpp"]): string {
  if (xmpp.serverDomain !== undefined) return xmpp.serverDomain;
  const dot = xmpp.domain.indexOf(".");
  return dot < 0 ? xmpp.domain : xmpp.domain.slice(dot + 1);
}
