/**
 * A real Synapse per test: its own directory (config, SQLite database, media,
 * logs), one HTTP listener on a free loopback port, application services
 * registered from the test, and stop() that leaves nothing behind. With
 * `postgres`, its data goes to that PostgreSQL database instead of SQLite.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../free-port.ts";
import { logTail, ServerProcess, waitUntilReady } from "../process.ts";
import { keepRequested } from "../server.ts";
import { type AppserviceRegistration, checkRegistrations } from "./appservice.ts";
import {
  homeserverConfig,
  homeserverPaths,
  logConfig,
  mergeConfig,
  postgresDatabaseConfig,
  type SynapsePostgres,
  toYaml,
} from "./config.ts";
import { ensureSynapse } from "./install.ts";
import { synapseSigningKey } from "./signing-key.ts";
import { type RegisteredUser, type RegisterUserOptions, registerUser } from "./users.ts";

export interface StartSynapseOptions {
  /** The homeserver's name, the part after the colon in user ids; default `localhost`. */
  readonly serverName?: string;
  /** Written as YAML files and listed in `app_service_config_files`. */
  readonly appservices?: readonly AppserviceRegistration[];
  /** Laid over the generated homeserver.yaml: objects merge key by key, anything else replaces. */
  readonly extraConfig?: Record<string, unknown>;
  /** The virtualenv to run Synapse from (installed there when missing); default as {@link ensureSynapse}. */
  readonly venv?: string;
  /** How long to wait for the homeserver to answer /health; default 60 s. */
  readonly startTimeoutMs?: number;
  /**
   * Keep the homeserver's data in this PostgreSQL database (e.g. a fresh one
   * from `startPostgres().createDatabase()`) instead of a SQLite file; the
   * database outlives stop(), its server belongs to the caller.
   */
  readonly postgres?: SynapsePostgres;
}

export interface Synapse {
  /** `http://127.0.0.1:<port>`, the client-server API's base URL. */
  readonly url: string;
  readonly port: number;
  readonly serverName: string;
  /** The temporary directory with the config, database, media and logs. */
  readonly dataDir: string;
  /** Registers a user over HTTP (m.login.dummy, or the shared-secret admin API for `admin`). */
  registerUser(localpart: string, o?: RegisterUserOptions): Promise<RegisteredUser>;
  /** Stops the homeserver and starts it again on the same port with the same config and data. */
  restart(): Promise<void>;
  /**
   * Stops the homeserver (its whole process group) and removes its directory,
   * unless `keep` or PARLEY_KEEP_SERVERS=1 asks to keep it for a post-mortem.
   */
  stop(o?: { keep?: boolean }): Promise<void>;
  /** The last lines of Synapse's log and of its stdout/stderr, for failure messages. */
  logTail(lines?: number): string;
}

/**
 * SIGTERM to the process group, SIGKILL if it lingers. Waits in short steps
 * rather than through ServerProcess.stop(), whose grace timer stays armed
 * after the process has gone and holds the test process open for its length.
 */
async function halt(proc: ServerProcess, graceMs = 10_000): Promise<void> {
  proc.killGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (!proc.hasExited && Date.now() < deadline) await sleep(25);
  await proc.stop(0);
}

const SERVER_NAME = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

export async function startSynapse(o: StartSynapseOptions = {}): Promise<Synapse> {
  const serverName = o.serverName ?? "localhost";
  if (!SERVER_NAME.test(serverName)) throw new Error(`invalid Matrix server name ${JSON.stringify(serverName)}`);
  const appservices = o.appservices ?? [];
  checkRegistrations(appservices);
  if (o.extraConfig !== undefined && (typeof o.extraConfig !== "object" || o.extraConfig === null)) {
    throw new Error("extraConfig must be an object");
  }
  const { python } = await ensureSynapse({
    ...(o.venv !== undefined && { venv: o.venv }),
    ...(o.postgres !== undefined && { postgres: true }),
  });

  const dir = await mkdtemp(join(tmpdir(), "parley-synapse-"));
  const paths = homeserverPaths(dir);
  const port = await freePort();
  const registrationSharedSecret = randomBytes(24).toString("hex");
  try {
    await mkdir(paths.mediaStore);
    await mkdir(paths.appserviceDir);
    const appserviceFiles = appservices.map((_, i) => join(paths.appserviceDir, `appservice-${i}.yaml`));
    await Promise.all(appservices.map((r, i) => writeFile(appserviceFiles[i] ?? "", toYaml(r))));
    await writeFile(paths.signingKeyFile, synapseSigningKey(), { mode: 0o600 });
    await writeFile(paths.logConfigFile, toYaml(logConfig(paths.logFile)));
    const config = homeserverConfig({
      serverName,
      port,
      paths,
      registrationSharedSecret,
      macaroonSecretKey: randomBytes(24).toString("hex"),
      formSecret: randomBytes(24).toString("hex"),
      appserviceFiles,
      ...(o.postgres !== undefined && { database: postgresDatabaseConfig(o.postgres) }),
    });
    await writeFile(paths.configFile, toYaml(mergeConfig(config, o.extraConfig ?? {})), { mode: 0o600 });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const url = `http://127.0.0.1:${port}`;
  const logFiles = [paths.logFile, paths.stdoutFile];
  const spawn = () =>
    new ServerProcess({
      name: "synapse",
      command: python,
      args: ["-m", "synapse.app.homeserver", "-c", paths.configFile],
      cwd: dir,
      // Unbuffered, so that a crash before logging is set up still reaches stdout.log.
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
      logFile: paths.stdoutFile,
    });
  const ready = () =>
    fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => {
        await r.arrayBuffer(); // read to the end, so the connection goes back to the pool
        return r.ok;
      },
      () => false,
    );
  const startTimeoutMs = o.startTimeoutMs ?? 60_000;

  let proc = spawn();
  let stopped = false;
  /** restart() and stop() take turns, so a stop never races a half-done restart. */
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const mine = turn.then(fn);
    turn = mine.catch(() => undefined);
    return mine;
  };
  const cleanup = async (keep: boolean) => {
    stopped = true;
    await halt(proc);
    if (!keep) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(proc, ready, startTimeoutMs, logFiles);
  } catch (e) {
    await cleanup(true);
    throw new Error(`${(e as Error).message}\n(directory kept for a post-mortem: ${dir})`);
  }

  return {
    url,
    port,
    serverName,
    dataDir: dir,
    registerUser: (localpart, ro) => registerUser(url, registrationSharedSecret, localpart, ro),
    restart: () =>
      inTurn(async () => {
        if (stopped) throw new Error("synapse was stopped; it cannot be restarted");
        await halt(proc);
        proc = spawn();
        await waitUntilReady(proc, ready, startTimeoutMs, logFiles);
      }),
    stop: (so) => inTurn(() => cleanup(keepRequested(so?.keep))),
    logTail: (lines = 40) => logFiles.map((f) => `--- ${f}\n${logTail(f, lines)}`).join("\n"),
  };
}
