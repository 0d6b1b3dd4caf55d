/**
 * A bridge running as its own process, the way an operator runs it (the real
 * CLI and a config file), for benches that measure that process: its memory
 * after a full collection and heap snapshots come through its inspector
 * (started on a free loopback port), its readiness and metrics through its
 * ops endpoint. Its output goes to a log file, so a long run does not fill a
 * pipe nobody reads.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { InspectorSession, inspectorUrlIn, type MemoryReading } from "./inspector-session.ts";

export interface BridgeProcessOptions {
  /** The script Node runs (e.g. packages/bridge/bin/parley.js) and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** Node flags before the script (e.g. `--max-old-space-size=256`); the inspector flag is added. */
  readonly nodeFlags?: readonly string[];
  /** stdout and stderr of the process. */
  readonly logFile: string;
  /** The ops endpoint, e.g. http://127.0.0.1:8788: ready once its /readyz answers 200. */
  readonly opsUrl: string;
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for readiness; default 60 s. */
  readonly readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BridgeProcess {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly inspector: InspectorSession;
  private readonly o: BridgeProcessOptions;

  private constructor(child: ChildProcess, inspector: InspectorSession, o: BridgeProcessOptions) {
    this.child = child;
    this.pid = child.pid ?? 0;
    this.inspector = inspector;
    this.o = o;
  }

  /** Starts the process and resolves once its inspector is connected and /readyz answers 200. */
  static async start(o: BridgeProcessOptions): Promise<BridgeProcess> {
    const log = openSync(o.logFile, "a");
    const child = spawn(process.execPath, [...(o.nodeFlags ?? []), "--inspect=127.0.0.1:0", o.script, ...o.args], {
      env: o.env ?? process.env,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
    const fail = (why: string) => {
      child.kill("SIGKILL");
      return new Error(`the bridge process ${why} (its output: ${o.logFile})`);
    };
    let url: string | undefined;
    while (url === undefined) {
      if (child.exitCode !== null) throw fail(`exited with ${child.exitCode} before its inspector listened`);
      if (Date.now() > deadline) throw fail("printed no inspector address in time");
      url = inspectorUrlIn(readFileSync(o.logFile, "utf8"));
      if (url === undefined) await sleep(50);
    }
    let inspector: InspectorSession;
    try {
      inspector = await InspectorSession.connect(url);
    } catch (e) {
      // The process may print its inspector's address and exit before we connect: say that, not "refused".
      const exitDeadline = Date.now() + 2000;
      while (child.exitCode === null && Date.now() < exitDeadline) await sleep(50);
      if (child.exitCode !== null) throw fail(`exited with ${child.exitCode} before it was ready`);
      throw fail(`took no inspector connection at ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const bridge = new BridgeProcess(child, inspector, o);
    for (;;) {
      if (child.exitCode !== null) throw fail(`exited with ${child.exitCode} before it was ready`);
      if (Date.now() > deadline) throw fail("did not become ready in time");
      if (await bridge.ready()) return bridge;
      await sleep(200);
    }
  }

  /** Whether /readyz answers 200 now. */
  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.o.opsUrl}/readyz`);
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** The process's memory after a full collection. */
  memoryAfterGc(): Promise<MemoryReading> {
    return this.inspector.memoryAfterGc();
  }

  /** Writes a heap snapshot of the process to `file`. */
  heapSnapshot(file: string): Promise<void> {
    return this.inspector.heapSnapshot(file);
  }

  /** The samples of /metrics whose name starts with `prefix`, as `name{labels}` -> value. */
  async metrics(prefix = "parley_"): Promise<Map<string, number>> {
    const res = await fetch(`${this.o.opsUrl}/metrics`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
    const samples = new Map<string, number>();
    for (const line of text.split("\n")) {
      if (!line.startsWith(prefix)) continue;
      const cut = line.lastIndexOf(" ");
      samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
    }
    return samples;
  }

  /** For an interrupted bench: synchronous. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }

  /** SIGTERM (the bridge shuts down cleanly), SIGKILL when it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.inspector.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
