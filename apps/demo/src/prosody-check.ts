/**
 * The demo runs a real Prosody. When it is missing, root installs it with
 * apt-get (keeping Debian's own service from starting); anyone else is told
 * the line to run.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

const INSTALL_LINE = "sudo apt-get install prosody prosody-modules";

async function installed(pkg: string): Promise<boolean> {
  try {
    // dpkg-query's own format syntax, not a template placeholder.
    const { stdout } = await run("dpkg-query", ["-W", `-f=${"$"}{Status}`, pkg]);
    return stdout.includes("install ok installed");
  } catch {
    return false; // dpkg-query fails for a package it never heard of: not installed
  }
}

function aptGet(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("apt-get", [...args], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(" ")} exited with ${code}`)),
    );
  });
}

/** Resolves once Prosody (and the community modules the MUC uses) are installed; throws with the fix otherwise. */
export async function ensureProsody(say: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const p of ["prosody", "prosody-modules"]) if (!(await installed(p))) missing.push(p);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`the demo needs Prosody, which is not installed (${missing.join(", ")} missing): ${INSTALL_LINE}`);
  }
  say(`installing ${missing.join(" and ")} with apt-get…`);
  // Debian starts a package's service on install; the demo runs its own Prosody on its own ports.
  const policy = "/usr/sbin/policy-rc.d";
  const ours = !existsSync(policy);
  if (ours) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    await aptGet(["update", "-qq"]);
    await aptGet(["install", "-y", "-qq", "--no-install-recommends", ...missing]);
  } finally {
    if (ours) await rm(policy, { force: true });
  }
}
