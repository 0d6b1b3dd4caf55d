/**
 * The homeserver.yaml a test's Synapse runs with: only what a test needs
 * (not --generate-config's template), everything inside one directory, no
 * federation, no TLS, and rate limits far above anything a test sends, so
 * that a busy test is never told to slow down.
 *
 * Files are written as JSON, which is YAML too: the testkit then needs no YAML
 * library, and PyYAML reads JSON's output as written.
 */
import { join } from "node:path";

export interface HomeserverPaths {
  readonly dir: string;
  readonly configFile: string;
  readonly logConfigFile: string;
  readonly logFile: string;
  readonly stdoutFile: string;
  readonly databaseFile: string;
  readonly signingKeyFile: string;
  readonly mediaStore: string;
  readonly pidFile: string;
  readonly appserviceDir: string;
}

export function homeserverPaths(dir: string): HomeserverPaths {
  return {
    dir,
    configFile: join(dir, "homeserver.yaml"),
    logConfigFile: join(dir, "log.config.yaml"),
    logFile: join(dir, "homeserver.log"),
    stdoutFile: join(dir, "stdout.log"),
    databaseFile: join(dir, "homeserver.db"),
    signingKeyFile: join(dir, "signing.key"),
    mediaStore: join(dir, "media_store"),
    pidFile: join(dir, "homeserver.pid"),
    appserviceDir: join(dir, "appservices"),
  };
}

/** A limit no test reaches: Synapse has no "off" switch for most limiters. */
const UNLIMITED = { per_second: 100_000, burst_count: 1_000_000 };

export function homeserverConfig(c: {
  serverName: string;
  port: number;
  paths: HomeserverPaths;
  registrationSharedSecret: string;
  macaroonSecretKey: string;
  formSecret: string;
  appserviceFiles: readonly string[];
  /** Synapse's `database` section; default its own SQLite file in the directory. */
  database?: Record<string, unknown>;
}): Record<string, unknown> {
  const { paths } = c;
  return {
    server_name: c.serverName,
    public_baseurl: `http://127.0.0.1:${c.port}/`,
    pid_file: paths.pidFile,
    report_stats: false,
    listeners: [
      {
        port: c.port,
        bind_addresses: ["127.0.0.1"],
        type: "http",
        tls: false,
        x_forwarded: false,
        resources: [{ names: ["client"], compress: false }],
      },
    ],
    database: c.database ?? { name: "sqlite3", args: { database: paths.databaseFile } },
    log_config: paths.logConfigFile,
    media_store_path: paths.mediaStore,
    enable_authenticated_media: true,
    signing_key_path: paths.signingKeyFile,
    suppress_key_server_warning: true,
    trusted_key_servers: [],
    federation_domain_whitelist: [],
    enable_registration: true,
    enable_registration_without_verification: true,
    registration_shared_secret: c.registrationSharedSecret,
    // bcrypt's minimum: passwords of throwaway users need no hardening, and
    // the default 12 rounds cost a quarter of a second per registration or login.
    bcrypt_rounds: 4,
    macaroon_secret_key: c.macaroonSecretKey,
    form_secret: c.formSecret,
    // The current spelling of `use_presence: true`: presence is bridged.
    presence: { enabled: true },
    app_service_config_files: [...c.appserviceFiles],
    // Background updates (index builds after the schema is created) without
    // the pauses meant to spare a production server.
    background_updates: { sleep_enabled: false },
    rc_message: UNLIMITED,
    rc_registration: UNLIMITED,
    rc_registration_token_validity: UNLIMITED,
    rc_login: { address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED },
    rc_joins: { local: UNLIMITED, remote: UNLIMITED },
    rc_joins_per_room: UNLIMITED,
    rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
    rc_third_party_invite: UNLIMITED,
    rc_admin_redaction: UNLIMITED,
    rc_3pid_validation: UNLIMITED,
    rc_presence: { per_user: UNLIMITED },
    rc_media_create: UNLIMITED,
    rc_room_creation: UNLIMITED,
    rc_profile: UNLIMITED,
    rc_user_directory: UNLIMITED,
    rc_delayed_event_mgmt: UNLIMITED,
    rc_reports: UNLIMITED,
    rc_key_requests: UNLIMITED,
  };
}

/** Where a homeserver on PostgreSQL finds its database (a `PostgresServer` from the testkit has these fields). */
export interface SynapsePostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password?: string;
}

/**
 * Synapse's `database` section for PostgreSQL through psycopg2. The database
 * must be empty or Synapse's, and use the C collation (the testkit's
 * PostgreSQL is initialised without a locale, which gives that).
 */
export function postgresDatabaseConfig(pg: SynapsePostgres): Record<string, unknown> {
  return {
    name: "psycopg2",
    args: {
      host: pg.host,
      port: pg.port,
      user: pg.user,
      database: pg.database,
      ...(pg.password !== undefined && { password: pg.password }),
      cp_min: 1,
      cp_max: 5,
    },
  };
}

/** Python logging configuration: Synapse's own log in one file, warnings and worse. */
export function logConfig(logFile: string): Record<string, unknown> {
  return {
    version: 1,
    disable_existing_loggers: false,
    formatters: {
      plain: { format: "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s" },
    },
    handlers: {
      file: { class: "logging.FileHandler", formatter: "plain", filename: logFile, encoding: "utf8" },
    },
    root: { level: "WARNING", handlers: ["file"] },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * `extra` laid over `base`: objects merge key by key (so one rate limiter or
 * one experimental feature can be changed alone), anything else replaces,
 * `undefined` changes nothing, and `null` is kept (it means something to Synapse).
 */
export function mergeConfig(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

/** YAML text Synapse and PyYAML read: JSON, which is a subset of YAML. */
export function toYaml(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
