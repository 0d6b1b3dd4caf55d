/**
 * The `connectors.matrix` section of parley.yaml. Validated here, not by the
 * engine, because the engine loads connectors by name and knows nothing of
 * their settings; every problem names its field as `connectors.matrix.<field>`
 * and says what to write instead, and never quotes a value (the tokens are
 * secrets).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the hints show users the literal ${NAME} syntax of the config file
import {
  ConfigError,
  type ConfigIssue,
  formatConfigPath,
  ROOM_PRESENCE_FIX,
  roomPresenceOptionsSchema,
} from "@parley/bridge";
import { z } from "zod";

/** Characters Matrix allows in a user localpart (the prefixes are written verbatim into user IDs and aliases). */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

function httpUrl() {
  return z
    .string()
    .min(1)
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.search === "";
      } catch {
        return false; // not a URL: the schema's message names the field
      }
    }, "is not an http:// or https:// URL")
    .transform((s) => s.replace(/\/+$/, ""));
}

function wholeNumber(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === "string" && /^\d{1,6}$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );
}

const localpart = () => z.string().min(1).max(64).regex(LOCALPART, "has characters Matrix does not allow in user IDs");

export const matrixOptionsSchema = z
  .strictObject({
    homeserverUrl: httpUrl(),
    serverName: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9.\-[\]:]+$/, "is not a server name"),
    asToken: z.string().min(8, "is too short to be a token"),
    hsToken: z.string().min(8, "is too short to be a token"),
    appserviceId: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._-]+$/, "has characters other than letters, digits, dots, dashes and underscores")
      .default("parley"),
    listen: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .regex(/^[^\s/?#@]+$/, "is not a host name or address")
          .default("127.0.0.1"),
        port: wholeNumber(0, 65535).default(9000),
      })
      .prefault({}),
    publicUrl: httpUrl().optional(),
    userPrefix: localpart().default("_xmpp_"),
    aliasPrefix: localpart().default("_xmpp_"),
    botLocalpart: localpart().default("xmppbridge"),
    /** How many of a linked room's joined members sit in the MUC room (the engine reads it). */
    roomPresence: roomPresenceOptionsSchema,
  })
  .superRefine((o, ctx) => {
    if (o.asToken === o.hsToken) {
      ctx.addIssue({ code: "custom", path: ["hsToken"], message: "is the same as asToken" });
    }
    if (o.botLocalpart.startsWith(o.userPrefix)) {
      ctx.addIssue({ code: "custom", path: ["botLocalpart"], message: "starts with userPrefix" });
    }
  });

export type MatrixOptions = z.output<typeof matrixOptionsSchema>;

const HINTS: Readonly<Record<string, string>> = {
  homeserverUrl: "write the URL the bridge reaches Synapse's client API at, e.g. http://127.0.0.1:8008",
  serverName: "write the homeserver's server_name (the part after the colon in user IDs), e.g. example.org",
  asToken:
    "write the registration's as_token, or ${MATRIX_AS_TOKEN} to read it from the environment (generate one with `openssl rand -hex 32`)",
  hsToken:
    "write the registration's hs_token, or ${MATRIX_HS_TOKEN} to read it from the environment; it must differ from asToken",
  appserviceId: "write the registration's id, e.g. parley",
  listen: "write { host, port } of the application service API, e.g. { host: 127.0.0.1, port: 9000 }",
  "listen.host": "write the address the application service API listens on, e.g. 127.0.0.1",
  "listen.port": "write a port from 1 to 65535 (0 picks a free one, for tests)",
  publicUrl: "write the URL Synapse reaches the application service at, e.g. http://127.0.0.1:9000, or remove it",
  userPrefix: "write a lower-case prefix for ghost users such as _xmpp_ (letters, digits, . _ = - /)",
  aliasPrefix: "write a lower-case prefix for portal aliases such as _xmpp_ (letters, digits, . _ = - /)",
  botLocalpart: "write the localpart of the bridge bot such as xmppbridge; it must not start with userPrefix",
  roomPresence: ROOM_PRESENCE_FIX,
};

function problemOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.input === undefined) return "is missing";
  if (issue.code === "invalid_type") return `is not a ${issue.expected}`;
  if (issue.code === "unrecognized_keys") return `has unknown settings (${issue.keys.join(", ")})`;
  if (issue.code === "too_small" && issue.origin === "string" && issue.minimum === 1) return "is empty";
  if (issue.code === "too_small" || issue.code === "too_big") {
    return issue.message.startsWith("Too") ? "is out of range" : issue.message;
  }
  return issue.message.startsWith("Invalid") ? "is not valid" : issue.message;
}

/** Validates `connectors.matrix`; throws ConfigError naming every bad field. */
export function parseMatrixOptions(raw: unknown): MatrixOptions {
  const parsed = matrixOptionsSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = new Map<string, ConfigIssue>();
  for (const i of parsed.error.issues) {
    const field = formatConfigPath(i.path);
    const top = i.path.length > 0 ? formatConfigPath(i.path.slice(0, 1)) : "";
    const path = field === "" ? "connectors.matrix" : `connectors.matrix.${field}`;
    // One problem per field: an empty value is not also reported as badly formed.
    if (issues.has(path)) continue;
    issues.set(path, {
      path,
      problem: problemOf(i),
      fix: HINTS[field] ?? HINTS[top] ?? "see the Matrix connector's README for this section",
    });
  }
  throw new ConfigError([...issues.values()]);
}

/**
 * The URL Synapse reaches the application service at: `publicUrl`, else the
 * listen address (which only works when Synapse runs on the same machine).
 * `boundPort` is the port actually bound, for `listen.port: 0`.
 */
export function appserviceUrlOf(o: MatrixOptions, boundPort = o.listen.port): string {
  if (o.publicUrl !== undefined) return o.publicUrl;
  const host = o.listen.host.includes(":") ? `[${o.listen.host}]` : o.listen.host;
  return `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${boundPort}`;
}
