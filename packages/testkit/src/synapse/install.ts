/**
 * Synapse from PyPI in a virtualenv of its own, installed on first use and
 * reused afterwards. The version is pinned so that every machine tests against
 * the same homeserver; the check for an existing install reads pip's metadata
 * instead of starting Python, because every Matrix test file goes through it.
 * psycopg2 (the binary wheel: no compiler or libpq headers needed) is
 * installed with it, for homeservers on PostgreSQL.
 */
import { execFile } from "node:child_process";
import { access, mkdir, readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { withFileLock } from "./install-lock.ts";

const run = promisify(execFile);

/** The matrix-synapse release the Matrix tests run against. */
export const SYNAPSE_VERSION = "1.163.2";

/** The psycopg2 release installed beside Synapse, which Synapse needs to use PostgreSQL. */
export const PSYCOPG2_VERSION = "2.9.13";

const VERSION_SYNTAX = /^\d+\.\d+\.\d+(?:rc\d+)?$/;

export interface EnsureSynapseOptions {
  /** The virtualenv; default `$PARLEY_SYNAPSE_VENV` or `~/.cache/parley-synapse/venv`. */
  readonly venv?: string;
  /** The matrix-synapse version; default {@link SYNAPSE_VERSION}. */
  readonly version?: string;
  /** The interpreter that creates the virtualenv when it is missing; default `python3`. */
  readonly python?: string;
  /** Also make sure psycopg2 is there (a virtualenv made before it was installed with Synapse gets it now). */
  readonly postgres?: boolean;
}

export interface SynapseInstall {
  /** The virtualenv's interpreter, which runs `python -m synapse.app.homeserver`. */
  readonly python: string;
  readonly version: string;
}

export function defaultSynapseVenv(): string {
  return process.env.PARLEY_SYNAPSE_VENV || join(homedir(), ".cache", "parley-synapse", "venv");
}

/**
 * Resolves with the virtualenv's interpreter once matrix-synapse at the pinned
 * version is installed there, installing it (python3 -m venv, then pip) when
 * it is not. Parallel callers wait for one install. A failure throws an error
 * naming the step that failed and the commands that do it by hand.
 */
export async function ensureSynapse(o: EnsureSynapseOptions = {}): Promise<SynapseInstall> {
  const venv = resolve(o.venv ?? defaultSynapseVenv());
  const version = o.version ?? SYNAPSE_VERSION;
  if (!VERSION_SYNTAX.test(version)) {
    throw new Error(`invalid matrix-synapse version ${JSON.stringify(version)} (expected e.g. ${SYNAPSE_VERSION})`);
  }
  const python = join(venv, "bin", "python");
  const done = { python, version };
  const complete = async () => (await installedVersion(venv)) === version && (!o.postgres || (await hasPsycopg2(venv)));
  if (await complete()) return done;

  const bootstrap = o.python ?? "python3";
  const psycopg2 = `psycopg2-binary==${PSYCOPG2_VERSION}`;
  const byHand = `${bootstrap} -m venv ${venv} && ${join(venv, "bin", "pip")} install 'matrix-synapse==${version}' '${psycopg2}'`;
  try {
    await mkdir(dirname(venv), { recursive: true });
  } catch (e) {
    throw installError(`create ${dirname(venv)}`, e, byHand);
  }
  return withFileLock(`${venv}.lock`, async () => {
    if (await complete()) return done;
    if (!(await exists(python))) {
      try {
        await run(bootstrap, ["-m", "venv", venv], { timeout: 5 * 60_000 });
      } catch (e) {
        // Debian's python3 lacks ensurepip until python3-venv is installed, and says so on stdout.
        const hint = /ensurepip/.test(output(e)) ? " (on Debian: apt-get install python3-venv)" : "";
        throw installError(`create the virtualenv ${venv} with ${bootstrap}${hint}`, e, byHand);
      }
    }
    try {
      await run(
        python,
        [
          "-m",
          "pip",
          "install",
          "--disable-pip-version-check",
          "--no-input",
          "--quiet",
          psycopg2,
          `matrix-synapse==${version}`,
        ],
        { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (e) {
      throw installError(`install matrix-synapse==${version} and ${psycopg2} into ${venv}`, e, byHand);
    }
    const got = await installedVersion(venv);
    if (got !== version) {
      throw new Error(
        `pip finished but ${venv} holds matrix-synapse ${got ?? "(none)"}, not ${version}; install it by hand: ${byHand}`,
      );
    }
    if (o.postgres && !(await hasPsycopg2(venv))) {
      throw new Error(`pip finished but ${venv} holds no psycopg2; install it by hand: ${byHand}`);
    }
    return done;
  });
}

/** The matrix-synapse version pip recorded in the virtualenv, if it has an interpreter and the package. */
export async function installedVersion(venv: string): Promise<string | undefined> {
  if (!(await exists(join(venv, "bin", "python")))) return undefined;
  const libs = await readdir(join(venv, "lib")).catch(() => [] as string[]);
  for (const lib of libs.filter((l) => l.startsWith("python"))) {
    const entries = await readdir(join(venv, "lib", lib, "site-packages")).catch(() => [] as string[]);
    for (const entry of entries) {
      const m = /^matrix_synapse-(.+)\.dist-info$/.exec(entry);
      if (m?.[1]) return m[1];
    }
  }
  return undefined;
}

/** Whether pip recorded psycopg2 (the binary wheel or the source build) in the virtualenv. */
export async function hasPsycopg2(venv: string): Promise<boolean> {
  const libs = await readdir(join(venv, "lib")).catch(() => [] as string[]);
  for (const lib of libs.filter((l) => l.startsWith("python"))) {
    const entries = await readdir(join(venv, "lib", lib, "site-packages")).catch(() => [] as string[]);
    if (entries.some((entry) => /^psycopg2(?:_binary)?-.+\.dist-info$/.test(entry))) return true;
  }
  return false;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** What a failed command printed (stderr, else stdout), else why it could not run. */
function output(e: unknown): string {
  const err = e as { message?: string; stderr?: unknown; stdout?: unknown };
  const printed = String(err.stderr ?? "").trim() || String(err.stdout ?? "").trim();
  return printed ? printed.split("\n").slice(-15).join("\n") : (err.message ?? String(e));
}

function installError(step: string, e: unknown, byHand: string): Error {
  return new Error(`could not ${step}: ${output(e)}\nTo install Synapse by hand, run: ${byHand}`);
}
