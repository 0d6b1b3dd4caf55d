/**
 * A real PostgreSQL (Debian's server binaries) for tests: a fresh cluster in
 * a temporary directory, listening on a free port on 127.0.0.1 with trust
 * authentication, its unix socket inside that directory, and fsync off (the
 * data is thrown away). PostgreSQL refuses to run as root, so as root the
 * cluster belongs to the `postgres` system user and its programs run as that
 * user through setpriv.
 */
import { execFile } from "node:child_process";
import { access, chown, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { freePort } from "./free-port.ts";
import { ServerProcess, waitUntilReady } from "./process.ts";
import { keepRequested } from "./server.ts";

const run = promisify(execFile);

export const POSTGRES_INSTALL_HINT = "apt-get install postgresql";
const DEFAULT_BIN_ROOT = "/usr/lib/postgresql";
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  /** The database created for the test; default `parley`. */
  readonly database?: string;
  /** Where the versioned server directories live; default Debian's `/usr/lib/postgresql`. */
  readonly binRoot?: string;
  /** How long to wait for the server to accept connections; default 60 s. */
  readonly startTimeoutMs?: number;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`, no password (trust authentication). */
  readonly url: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly database: string;
  /** The superuser tests connect as. */
  readonly user: string;
  /** Where the cluster, its socket and its log live. */
  readonly dir: string;
  readonly logFile: string;
  /** The server's `bin` directory (psql, pg_dump... of the same version). */
  readonly binDir: string;
  /** Creates another database on this server and resolves with its URL (for tests that need a clean one). */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL through psql (unaligned, tuples only) and resolves with its output. */
  psql(sql: string, options?: { database?: string }): Promise<string>;
  /**
   * Stops the server (a fast shutdown, then SIGKILL if it lingers) and
   * removes its directory, unless `keep` or PARLEY_KEEP_SERVERS=1 asks to
   * keep it for a post-mortem.
   */
  stop(options?: { keep?: boolean }): Promise<void>;
}

/** The `bin` directory of the newest PostgreSQL under `binRoot` that has a server; a clear error when none does. */
export async function findPostgresBinDir(binRoot = DEFAULT_BIN_ROOT): Promise<string> {
  const versions = await readdir(binRoot).catch(() => [] as string[]);
  const newestFirst = versions.filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of newestFirst) {
    const bin = join(binRoot, v, "bin");
    const complete = await Promise.all(
      ["initdb", "postgres", "pg_isready", "psql"].map((p) => executable(join(bin, p))),
    );
    if (complete.every(Boolean)) return bin;
  }
  throw new Error(
    `PostgreSQL server binaries not found (looked for ${binRoot}/<version>/bin/initdb and postgres); ` +
      `install them with \`${POSTGRES_INSTALL_HINT}\` (or run \`bash .ci/run\` at the repository root)`,
  );
}

function executable(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** As root: the uid/gid of `postgres` and the setpriv prefix that runs a program as it; otherwise nothing. */
async function clusterOwner(): Promise<{ uid: number; gid: number; prefix: string[] } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]).catch(() => {
    throw new Error(
      `running as root, PostgreSQL needs the \`postgres\` system user, which \`${POSTGRES_INSTALL_HINT}\` creates`,
    );
  });
  const [uid, gid] = ids.map((r) => Number(r.stdout.trim()));
  if (uid === undefined || gid === undefined) throw new Error("could not read the uid of the postgres user");
  return { uid, gid, prefix: ["setpriv", "--reuid", String(uid), "--regid", String(gid), "--init-groups", "--"] };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const database = options.database ?? "parley";
  if (!DATABASE_NAME.test(database)) throw new Error(`invalid database name ${JSON.stringify(database)}`);
  const binDir = await findPostgresBinDir(options.binRoot);
  const owner = await clusterOwner();
  const dir = await mkdtemp(join(tmpdir(), "parley-postgres-"));
  const dataDir = join(dir, "data");
  const socketDir = join(dir, "socket");
  await mkdir(socketDir);
  if (owner) for (const p of [dir, socketDir]) await chown(p, owner.uid, owner.gid);
  const env = { ...process.env, HOME: dir, LC_ALL: "C", LANG: "C" };
  const asOwner = (program: string, args: string[]) => [...(owner?.prefix ?? []), join(binDir, program), ...args];

  const [cmd, ...initdbArgs] = asOwner("initdb", [
    "--pgdata",
    dataDir,
    "--username",
    "postgres",
    "--auth",
    "trust",
    "--encoding",
    "UTF8",
    "--no-locale",
    "--no-sync",
  ]);
  try {
    await run(cmd ?? "initdb", initdbArgs, { cwd: dir, env, timeout: 120_000 });
  } catch (e) {
    // execFile's message carries initdb's stderr.
    throw new Error(`initdb failed (directory kept: ${dir}): ${(e as Error).message}`);
  }

  const port = await freePort();
  const [serverCmd, ...serverArgs] = asOwner("postgres", [
    "-D",
    dataDir,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${socketDir}`,
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "logging_collector=off",
  ]);
  const proc = new ServerProcess({
    name: "postgres",
    command: serverCmd ?? "postgres",
    args: serverArgs,
    cwd: dir,
    env,
    logFile: join(dir, "postgres.log"),
  });
  const client = (program: string, args: string[]) =>
    run(join(binDir, program), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", ...args], {
      cwd: dir,
      env,
      timeout: 30_000,
    });

  const stop = async (keep: boolean) => {
    if (!proc.hasExited && proc.pid !== undefined) {
      // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
      try {
        process.kill(proc.pid, "SIGINT");
      } catch {
        // already gone
      }
      for (let i = 0; i < 100 && !proc.hasExited; i++) await sleep(100);
    }
    await proc.stop(5000);
    if (!keep) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(
      proc,
      () =>
        client("pg_isready", ["-d", "postgres", "-t", "2"]).then(
          () => true,
          () => false,
        ),
      options.startTimeoutMs ?? 60_000,
    );
  } catch (e) {
    await stop(true);
    throw e;
  }

  const urlOf = (name: string) => `postgres://postgres@127.0.0.1:${port}/${name}`;
  const psql = async (sql: string, o: { database?: string } = {}) => {
    const { stdout } = await client("psql", [
      "-X",
      "-q",
      "-A",
      "-t",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      o.database ?? database,
      "-c",
      sql,
    ]);
    return stdout;
  };
  const createDatabase = async (name: string) => {
    if (!DATABASE_NAME.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}`);
    await psql(`CREATE DATABASE ${name}`, { database: "postgres" });
    return urlOf(name);
  };
  try {
    await createDatabase(database);
  } catch (e) {
    await stop(true);
    throw new Error(`postgres could not create database ${database} (logs kept in ${dir}): ${(e as Error).message}`);
  }
  return {
    url: urlOf(database),
    host: "127.0.0.1",
    port,
    database,
    user: "postgres",
    dir,
    logFile: proc.logFile,
    binDir,
    createDatabase,
    psql,
    stop: (o) => stop(keepRequested(o?.keep)),
  };
}
