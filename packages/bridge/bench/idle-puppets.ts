/**
 * Memory per idle puppet, measured in a child process of its own (see
 * idle-puppets-child.ts): its baseline is not disturbed by the bursts run in
 * this process, and --expose-gc lets it collect garbage before each reading.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { IdlePuppetFigures } from "./relay-results.ts";

export interface IdleInput {
  readonly host: string;
  readonly port: number;
  /** A component domain of its own, so it does not take over the link of the bursts' components. */
  readonly domain: string;
  readonly secret: string;
  readonly count: number;
  /** Where the child's bridge keeps its store; made and removed by the parent, which outlives a killed child. */
  readonly dir: string;
}

/** The idle-puppet measurement could not run or reported nonsense. */
export class IdlePuppetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdlePuppetError";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The child's input, from its environment variable; throws IdlePuppetError on anything malformed. */
export function parseIdleInput(text: string | undefined): IdleInput {
  let v: unknown;
  try {
    v = JSON.parse(text ?? "");
  } catch {
    throw new IdlePuppetError("PARLEY_BENCH_IDLE is not JSON; this script is started by idle-puppets.ts");
  }
  if (
    !isRecord(v) ||
    typeof v.host !== "string" ||
    typeof v.domain !== "string" ||
    typeof v.secret !== "string" ||
    typeof v.dir !== "string" ||
    !Number.isSafeInteger(v.port) ||
    !Number.isSafeInteger(v.count) ||
    (v.count as number) < 1
  ) {
    throw new IdlePuppetError("PARLEY_BENCH_IDLE needs host, port, domain, secret, dir and a positive count");
  }
  return {
    host: v.host,
    port: v.port as number,
    domain: v.domain,
    secret: v.secret,
    count: v.count as number,
    dir: v.dir,
  };
}

/** The figures from the child's last stdout line; throws IdlePuppetError when they are missing or not numbers. */
export function parseIdleReport(stdout: string): IdlePuppetFigures {
  const line = stdout.trim().split("\n").pop() ?? "";
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new IdlePuppetError(
      `the idle-puppet process printed no figures (last line: ${line.slice(0, 200) || "none"})`,
    );
  }
  const keys = ["puppets", "heapBytesPerPuppet", "rssBytesPerPuppet", "createMs"] as const;
  if (!isRecord(v) || !keys.every((k) => typeof v[k] === "number" && Number.isFinite(v[k]))) {
    throw new IdlePuppetError(`the idle-puppet process printed malformed figures: ${line.slice(0, 200)}`);
  }
  return {
    puppets: v.puppets as number,
    heapBytesPerPuppet: v.heapBytesPerPuppet as number,
    rssBytesPerPuppet: v.rssBytesPerPuppet as number,
    createMs: v.createMs as number,
  };
}

const CHILD = fileURLToPath(new URL("./idle-puppets-child.ts", import.meta.url));

const running = new Set<ChildProcess>();

/** Kills the measuring process, if one runs (for a parent that is being interrupted). */
export function killIdlePuppetProcesses(): void {
  for (const c of running) c.kill("SIGKILL");
}

/** Runs the child and returns its figures; kills it after `timeoutMs`. Its stderr goes to ours. */
export function measureIdlePuppets(input: IdleInput, timeoutMs: number): Promise<IdlePuppetFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", CHILD], {
      env: { ...process.env, PARLEY_BENCH_IDLE: JSON.stringify(input) },
      stdio: ["pipe", "pipe", "inherit"],
    });
    running.add(child);
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (s: string) => {
      out += s;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new IdlePuppetError(`the idle-puppet process did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new IdlePuppetError(`could not start the idle-puppet process: ${e.message}`));
    });
    child.on("close", (code) => {
      running.delete(child);
      clearTimeout(timer);
      if (code !== 0) {
        reject(new IdlePuppetError(`the idle-puppet process exited with ${code} (its stderr is above)`));
        return;
      }
      try {
        resolve(parseIdleReport(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}
