/**
 * Installing Synapse: the pinned version found where it is, one install for
 * parallel callers, and failures that say what failed and what to run by
 * hand. Installs are played by stand-in interpreters (shell scripts that do
 * what `python3 -m venv` and pip would leave on disk), so no test needs PyPI.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureSynapse, installedVersion, SYNAPSE_VERSION, withFileLock } from "../src/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "parley-synapse-install-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
function freshDir(): string {
  const d = join(scratch, `case-${++n}`);
  mkdirSync(d);
  return d;
}

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A stand-in for python3 that makes a "virtualenv" whose interpreter plays
 * pip: it records each call in `calls` and, as pip does, replaces the
 * installed version's dist-info directory with the requested one's.
 */
function fakePython(dir: string): { python3: string; calls: string } {
  const calls = join(dir, "calls.log");
  const venvPython = script(
    join(dir, "venv-python"),
    `echo "pip $*" >> '${calls}'
sleep 0.3
for a in "$@"; do case "$a" in matrix-synapse==*) v="\${a#matrix-synapse==}";; esac; done
site="$(dirname "$0")/../lib/python3.11/site-packages"
rm -rf "$site"/matrix_synapse-*.dist-info
mkdir -p "$site/matrix_synapse-$v.dist-info"`,
  );
  const python3 = script(
    join(dir, "python3"),
    `echo "venv $*" >> '${calls}'
[ "$1 $2" = "-m venv" ] || exit 2
mkdir -p "$3/bin" && cp '${venvPython}' "$3/bin/python"`,
  );
  return { python3, calls };
}

function callsOf(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : [];
}

describe("ensureSynapse", () => {
  it(`finds matrix-synapse ${SYNAPSE_VERSION} in the default virtualenv (installing it if missing)`, async () => {
    const { python, version } = await ensureSynapse();
    assert.equal(version, SYNAPSE_VERSION);
    assert.match(python, /\/bin\/python$/);
    assert.equal(existsSync(python), true);
    const venv = join(python, "..", "..");
    assert.equal(await installedVersion(venv), SYNAPSE_VERSION);
    const imported = spawnSync(python, ["-c", "import synapse; print(synapse.__version__)"], { encoding: "utf8" });
    assert.equal(imported.stdout.trim(), SYNAPSE_VERSION);
  });

  it("creates the virtualenv and installs the pinned version once for parallel callers", async () => {
    const dir = freshDir();
    const { python3, calls } = fakePython(dir);
    const venv = join(dir, "cache", "venv");
    const results = await Promise.all([1, 2, 3].map(() => ensureSynapse({ venv, python: python3 })));
    for (const r of results) assert.deepEqual(r, { python: join(venv, "bin", "python"), version: SYNAPSE_VERSION });
    const log = callsOf(calls);
    assert.deepEqual(log[0], `venv -m venv ${venv}`);
    assert.equal(log.length, 2, log.join("\n"));
    assert.match(
      log[1] ?? "",
      new RegExp(`^pip -m pip install .*matrix-synapse==${SYNAPSE_VERSION.replace(/\./g, "\\.")}$`),
    );
    assert.equal(existsSync(`${venv}.lock`), false, "the lock is released");

    // Installed now: nothing runs again.
    await ensureSynapse({ venv, python: python3 });
    assert.equal(callsOf(calls).length, 2);
  });

  it("installs another version into an existing virtualenv without recreating it", async () => {
    const dir = freshDir();
    const { python3, calls } = fakePython(dir);
    const venv = join(dir, "venv");
    await ensureSynapse({ venv, python: python3, version: "1.160.0" });
    assert.equal(await installedVersion(venv), "1.160.0");
    await ensureSynapse({ venv, python: python3 });
    assert.equal(await installedVersion(venv), SYNAPSE_VERSION);
    assert.deepEqual(
      callsOf(calls).map((l) => l.split(" ")[0]),
      ["venv", "pip", "pip"],
    );
  });

  it("names the failed step and the commands to run by hand when the virtualenv cannot be made", async () => {
    const dir = freshDir();
    const venv = join(dir, "venv");
    await assert.rejects(ensureSynapse({ venv, python: join(dir, "no-such-python3") }), (e: Error) => {
      assert.match(e.message, /could not create the virtualenv/);
      assert.ok(e.message.includes(`${join(dir, "no-such-python3")} -m venv ${venv}`), e.message);
      assert.ok(e.message.includes(`${join(venv, "bin", "pip")} install 'matrix-synapse==${SYNAPSE_VERSION}'`));
      return true;
    });
    assert.equal(existsSync(`${venv}.lock`), false);
  });

  it("points at python3-venv when the interpreter has no ensurepip (a bare Debian)", async () => {
    const dir = freshDir();
    const python3 = script(
      join(dir, "python3"),
      'echo "The virtual environment was not successfully created because ensurepip is not available."; exit 1',
    );
    await assert.rejects(ensureSynapse({ venv: join(dir, "venv"), python: python3 }), (e: Error) => {
      assert.match(e.message, /apt-get install python3-venv/);
      assert.match(e.message, /ensurepip is not available/);
      return true;
    });
  });

  it("passes on pip's own words when the install fails", async () => {
    const dir = freshDir();
    const venv = join(dir, "venv");
    mkdirSync(join(venv, "bin"), { recursive: true });
    script(join(venv, "bin", "python"), 'echo "ERROR: No matching distribution found (offline)" >&2; exit 1');
    await assert.rejects(ensureSynapse({ venv }), (e: Error) => {
      assert.match(e.message, new RegExp(`could not install matrix-synapse==${SYNAPSE_VERSION.replace(/\./g, "\\.")}`));
      assert.match(e.message, /No matching distribution found \(offline\)/);
      assert.match(e.message, /To install Synapse by hand, run: /);
      return true;
    });
  });

  it("says so when pip succeeds but the version is not there", async () => {
    const dir = freshDir();
    const venv = join(dir, "venv");
    mkdirSync(join(venv, "bin"), { recursive: true });
    script(join(venv, "bin", "python"), "exit 0");
    await assert.rejects(ensureSynapse({ venv }), /pip finished but .* holds matrix-synapse \(none\)/);
  });

  it("refuses a version string that is not a version", async () => {
    await assert.rejects(
      ensureSynapse({ venv: freshDir(), version: "latest; rm -rf /" }),
      /invalid matrix-synapse version/,
    );
  });
});

describe("withFileLock", () => {
  it("runs holders one at a time", async () => {
    const lock = join(freshDir(), "x.lock");
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4].map((i) =>
        withFileLock(
          lock,
          async () => {
            inside++;
            most = Math.max(most, inside);
            await sleep(20);
            order.push(i);
            inside--;
          },
          { pollMs: 10 },
        ),
      ),
    );
    assert.equal(most, 1);
    assert.deepEqual([...order].sort(), [1, 2, 3, 4]);
    assert.equal(existsSync(lock), false);
  });

  it("releases the lock when the holder throws", async () => {
    const lock = join(freshDir(), "x.lock");
    await assert.rejects(
      withFileLock(lock, async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(existsSync(lock), false);
    assert.equal(await withFileLock(lock, async () => "again"), "again");
  });

  it("takes over a lock whose owner died", async () => {
    const lock = join(freshDir(), "x.lock");
    const dead = spawnSync("true").pid;
    writeFileSync(lock, `${dead}\n`);
    assert.equal(await withFileLock(lock, async () => "mine", { timeoutMs: 5000, pollMs: 10 }), "mine");
    assert.equal(existsSync(lock), false);
  });

  it("gives up on a lock a live process holds, naming it and the file", async () => {
    const lock = join(freshDir(), "x.lock");
    writeFileSync(lock, `${process.pid}\n`);
    await assert.rejects(
      withFileLock(lock, async () => "never", { timeoutMs: 200, pollMs: 20 }),
      (e: Error) => {
        assert.ok(e.message.includes(lock));
        assert.match(e.message, new RegExp(`held by pid ${process.pid}`));
        assert.match(e.message, /remove that file by hand/);
        return true;
      },
    );
    assert.equal(readFileSync(lock, "utf8"), `${process.pid}\n`, "someone else's lock is left alone");
  });
});
