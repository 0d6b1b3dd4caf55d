import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePorts, ServerProcess, startXmppServer, waitUntilReady, XMPP_SERVER_KINDS } from "../src/index.ts";

/** Live (not zombie) processes whose command line mentions `needle`. */
function liveProcesses(needle: string): string[] {
  return execFileSync("ps", ["-eo", "stat=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(needle) && !l.trimStart().startsWith("Z"));
}

describe("server lifecycle", () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), "parley-lifecycle-"));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const kind of XMPP_SERVER_KINDS) {
    it(`${kind}: stop() leaves no process and no directory behind`, async () => {
      const server = await startXmppServer(kind, { accounts: [] });
      assert.ok(liveProcesses(server.dir).length > 0, "the server runs from its own directory");
      await server.stop();
      assert.deepEqual(liveProcesses(server.dir), []);
      assert.equal(existsSync(server.dir), false);
    });
  }

  it("a server that dies while starting fails with the tail of its log", async () => {
    const dir = scratch();
    const proc = new ServerProcess({
      name: "doomed",
      command: "sh",
      args: ["-c", "echo 'config error: port 1 is not yours'; exit 3"],
      logFile: join(dir, "doomed.log"),
    });
    await assert.rejects(
      waitUntilReady(proc, async () => false, 5000),
      (e: Error) => /doomed exited before it was ready/.test(e.message) && /port 1 is not yours/.test(e.message),
    );
  });

  it("a server that never gets ready is reported after the timeout and can still be stopped", async () => {
    const dir = scratch();
    const proc = new ServerProcess({ name: "sleeper", command: "sleep", args: ["30"], logFile: join(dir, "s.log") });
    await assert.rejects(
      waitUntilReady(proc, async () => false, 300),
      /sleeper was not ready after 300 ms/,
    );
    await proc.stop(1000);
    assert.equal(proc.hasExited, true);
  });

  it("hands out distinct free ports", async () => {
    const ports = await freePorts(20);
    assert.equal(new Set(ports).size, 20);
  });
});
