/**
 * Server processes started for tests: each in its own process group, its
 * output in a log file, stopped with SIGTERM then SIGKILL, and all of them
 * killed when the test process exits, whatever the reason.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServerProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** File receiving stdout and stderr. */
  readonly logFile: string;
}

const running = new Set<ServerProcess>();
let hooked = false;

function killAllNow(): void {
  for (const p of running) p.killGroup("SIGKILL");
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAllNow();
      process.kill(process.pid, sig);
    });
  }
}

export class ServerProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(o: ServerProcessOptions) {
    hookExit();
    this.name = o.name;
    this.logFile = o.logFile;
    const log = createWriteStream(o.logFile, { flags: "a" });
    this.child = spawn(o.command, [...o.args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code) => {
        this.exitCode = code;
        running.delete(this);
        resolve(code);
      });
      this.child.once("error", (e) => {
        log.write(`\n[testkit] could not start ${o.command}: ${e.message}\n`);
        this.exitCode = -1;
        running.delete(this);
        resolve(-1);
      });
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has exited (for readiness loops: stop waiting early). */
  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.hasExited) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM to the whole group; SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    this.killGroup("SIGTERM");
    const done = await Promise.race([
      this.exited.then(() => true),
      sleep(graceMs, undefined, { ref: false }).then(() => false),
    ]);
    if (!done) {
      this.killGroup("SIGKILL");
      await this.exited;
    }
  }

  /** The last lines of the log, for error messages. */
  logTail(lines = 40): string {
    return logTail(this.logFile, lines);
  }
}

export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * Polls `ready` until it holds, the process dies, or the timeout passes; the
 * error then carries the tail of the server's log.
 */
export async function waitUntilReady(
  proc: ServerProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  logFiles: readonly string[] = [proc.logFile],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    if (proc.hasExited) break;
    await sleep(100);
  }
  const why = proc.hasExited ? "exited before it was ready" : `was not ready after ${timeoutMs} ms`;
  const tails = logFiles.map((f) => `--- ${f}\n${logTail(f)}`).join("\n");
  throw new Error(`${proc.name} ${why}.\n${tails}`);
}
