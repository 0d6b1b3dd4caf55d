/** The frame of a bench script: cleanup order, failures, interruption. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, rmSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BenchCleanup, runBench } from "../src/bench/index.ts";

/** Runs `f` with stderr writes collected instead of printed. */
async function quietly<T>(f: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = "";
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await f(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe("BenchCleanup", () => {
  it("runs steps last-registered first, reports a failing one and still runs the rest, then removes temp dirs", async () => {
    const cleanup = new BenchCleanup();
    const order: string[] = [];
    const dir = cleanup.tempDir("parley-bench-run-");
    assert.ok(existsSync(dir));
    cleanup.defer(() => order.push("server"));
    cleanup.defer(() => {
      throw new Error("client already gone");
    });
    cleanup.defer(async () => {
      order.push("bridge");
    });
    const { stderr } = await quietly(() => cleanup.run());
    assert.deepEqual(order, ["bridge", "server"]);
    assert.match(stderr, /cleanup: client already gone/);
    assert.equal(existsSync(dir), false);
    await cleanup.run(); // nothing left: runs nothing twice
    assert.deepEqual(order, ["bridge", "server"]);
  });

  it("runs only the signal steps and the temp dirs on a signal", () => {
    const cleanup = new BenchCleanup();
    const order: string[] = [];
    const dir = cleanup.tempDir("parley-bench-run-");
    cleanup.defer(() => order.push("deferred"));
    cleanup.onSignal(() => order.push("kill child"));
    cleanup.runOnSignal();
    assert.deepEqual(order, ["kill child"]);
    assert.equal(existsSync(dir), false);
  });
});

describe("runBench", () => {
  it("cleans up after a failure, prints it, keeps its directories to be read and sets the exit code instead of throwing", async () => {
    const before = process.exitCode;
    let dir = "";
    try {
      const { stderr } = await quietly(() =>
        runBench(async (cleanup) => {
          dir = cleanup.tempDir("parley-bench-run-");
          throw new Error("Prosody did not start");
        }),
      );
      assert.equal(process.exitCode, 1);
      assert.match(stderr, /bench failed: Error: Prosody did not start/);
      assert.equal(existsSync(dir), true, "the bridge's log is in there");
      assert.ok(stderr.includes(`kept for reading: ${dir}`), stderr);
    } finally {
      process.exitCode = before;
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    }
  });

  it("removes its temporary directories when the bench is interrupted", async () => {
    const bench = fileURLToPath(new URL("../src/bench/bench-run.ts", import.meta.url));
    const script = [
      `import { runBench } from ${JSON.stringify(bench)};`,
      "await runBench(async (cleanup) => {",
      "  console.log(cleanup.tempDir('parley-bench-signal-'));",
      "  await new Promise((r) => setTimeout(r, 60_000));",
      "});",
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      child.stdout.setEncoding("utf8");
      const [line] = (await once(child.stdout, "data")) as [string];
      const dir = line.trim();
      assert.ok(existsSync(dir), dir);
      child.kill("SIGTERM");
      const [code, signal] = await once(child, "exit");
      assert.equal(code, null);
      assert.equal(signal, "SIGTERM", "the signal takes its course after the cleanup");
      assert.equal(existsSync(dir), false);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
