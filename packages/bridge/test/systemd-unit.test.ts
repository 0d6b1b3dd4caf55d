/**
 * examples/parley@.service is a unit systemd accepts without a word
 * (`systemd-analyze verify` on an instance, with ExecStart pointed at this
 * checkout's `parley`, since verify checks that the binary exists), and it
 * keeps the promises its comments make: one bridge per network, a dedicated
 * user, a state directory as the only writable place, restarts on failure,
 * and time enough to drain before SIGKILL.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const UNIT = new URL("../examples/parley@.service", import.meta.url);
const PARLEY_BIN = fileURLToPath(new URL("../bin/parley.js", import.meta.url));
const INSTALLED_BIN = "/usr/local/bin/parley";
/** Bridge.stop flushes deliveries for up to 10 s, then ComponentSession.stop the stream for up to 5 s. */
const DRAIN_SECONDS = 10 + 5;

const scratch = mkdtempSync(join(tmpdir(), "parley-unit-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `systemd-analyze verify` on an instance of `unitText` written as parley@.service; returns what it said. */
function verify(unitText: string, folder: string): { status: number | null; output: string } {
  const dir = join(scratch, folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "parley@.service"), unitText);
  const r = spawnSync("systemd-analyze", ["verify", join(dir, "parley@discord.service")], { encoding: "utf8" });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    assert.fail("systemd-analyze is not installed; install it with: apt-get install -y systemd");
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const unit = readFileSync(UNIT, "utf8");
const runnable = () => {
  assert.ok(unit.includes(`ExecStart=${INSTALLED_BIN} `), `ExecStart runs ${INSTALLED_BIN}`);
  return unit.replace(`ExecStart=${INSTALLED_BIN} `, `ExecStart=${PARLEY_BIN} `);
};

/** The values of a key in the unit (last one wins in systemd; all are returned). */
function values(key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => (m[1] ?? "").trim());
}

describe("examples/parley@.service", () => {
  it("passes systemd-analyze verify without a warning", () => {
    const r = verify(runnable(), "good");
    assert.equal(r.output, "", "systemd-analyze said something about the unit");
    assert.equal(r.status, 0);
  });

  it("is checked for real: a misspelt key and a missing binary are reported", () => {
    const typo = verify(runnable().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"), "typo");
    assert.match(typo.output, /Unknown key 'NoNewPrivilege'/);
    const missing = verify(unit.replace(`ExecStart=${INSTALLED_BIN} `, "ExecStart=/nonexistent/parley "), "missing");
    assert.notEqual(missing.status, 0);
    assert.match(missing.output, /not executable/);
  });

  it("runs one bridge per network, from /etc/parley/<network>.yaml, as its own user", () => {
    assert.deepEqual(values("ExecStart"), [`${INSTALLED_BIN} --config /etc/parley/%i.yaml`]);
    assert.deepEqual(values("EnvironmentFile"), ["-/etc/parley/%i.env"]);
    assert.deepEqual(values("User"), ["parley"]);
  });

  it("writes only to its state directory, and works in it", () => {
    assert.deepEqual(values("ProtectSystem"), ["strict"]);
    assert.deepEqual(values("StateDirectory"), ["parley/%i"]);
    assert.deepEqual(values("WorkingDirectory"), ["%S/parley/%i"]);
    assert.deepEqual(values("NoNewPrivileges"), ["yes"]);
    assert.deepEqual(values("CapabilityBoundingSet"), [""]);
  });

  it("restarts after a failure and waits for the drain before killing", () => {
    assert.deepEqual(values("Restart"), ["on-failure"]);
    const stop = values("TimeoutStopSec");
    assert.equal(stop.length, 1);
    const seconds = Number(/^(\d+)s$/.exec(stop[0] ?? "")?.[1]);
    assert.ok(seconds > DRAIN_SECONDS * 2, `TimeoutStopSec ${stop[0]} leaves room for a ${DRAIN_SECONDS} s drain`);
  });
});
