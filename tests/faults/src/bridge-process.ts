/**
 * The bridge as an operator runs it: the real `parley` executable
 * (packages/bridge/bin/parley.js, which needs the packages built) as a child
 * process with a config file. Its output is appended to a log file (so a long
 * burst fills no pipe), which is also where readiness is read from: the
 * `"bridge started"` line of this run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PARLEY_BIN = fileURLToPath(new URL("../../../packages/bridge/bin/parley.js", import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BridgeRunOptions {
  readonly configFile: string;
  readonly logFile: string;
  /** The secrets the config file names as `${NAME}`. */
  readonly env: Readonly<Record<string, string>>;
}

export class BridgeRun {
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  /** Every exit seen, for the report ("SIGKILL", "exit 0"...). */
  readonly exits: string[] = [];

  private readonly o: BridgeRunOptions;

  constructor(o: BridgeRunOptions) {
    this.o = o;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it logged "bridge started"; throws with its log's tail otherwise. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) throw new Error("the bridge is already running");
    const offset = existsSync(this.o.logFile) ? statSync(this.o.logFile).size : 0;
    const log = openSync(this.o.logFile, "a");
    const child = spawn(process.execPath, [PARLEY_BIN, "--config", this.o.configFile], {
      env: { ...process.env, ...this.o.env },
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exits.push(signal ?? `exit ${code}`);
        resolve({ code, signal });
      });
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const said = this.logSince(offset);
      if (said.includes('"bridge started"')) return;
      if (!this.running) throw new Error(`the bridge exited before it started:\n${tail(said)}`);
      if (Date.now() > deadline) {
        await this.kill("SIGKILL");
        throw new Error(`the bridge did not start within ${timeoutMs} ms:\n${tail(said)}`);
      }
      await sleep(100);
    }
  }

  /** Sends `signal` and resolves with how it ended (SIGTERM: once it finished its own shutdown). */
  async kill(signal: "SIGKILL" | "SIGTERM", graceMs = 60_000): Promise<string> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited || !this.running) return "not running";
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const how = await exited;
    clearTimeout(timer);
    return how.signal ?? `exit ${how.code}`;
  }

  /** Everything the bridge logged from `offset` (bytes) on. */
  logSince(offset = 0): string {
    if (!existsSync(this.o.logFile)) return "";
    return readFileSync(this.o.logFile).subarray(offset).toString("utf8");
  }

  /** Log lines at warn or error level, for the report. */
  warnings(): string[] {
    return this.logSince()
      .split("\n")
      .filter((l) => /"level":"(warn|error)"/.test(l));
  }
}

function tail(text: string, lines = 30): string {
  return text.split("\n").slice(-lines).join("\n");
}
