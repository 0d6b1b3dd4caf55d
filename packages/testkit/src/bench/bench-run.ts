/**
 * The frame of a bench script: progress on stderr (stdout is for the table),
 * cleanup steps run last-registered first whether the bench succeeds or
 * fails, and temporary directories that go even when the run is interrupted.
 * On a signal only synchronous steps can run: the testkit kills its servers
 * then and re-raises the signal, so the process ends before anything it
 * would await. A bench that fails keeps its temporary directories (the
 * bridge's log is in them) and names them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A line of progress on stderr. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class BenchCleanup {
  private readonly steps: Array<() => unknown> = [];
  private readonly signalSteps: Array<() => void> = [];
  private readonly dirs: string[] = [];
  private keep = false;

  /** Runs `step` at the end (awaited, last registered first); a failing step is reported, the others still run. */
  defer(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs `step` if the bench is interrupted by a signal; it must be synchronous (see the module comment). */
  onSignal(step: () => void): void {
    this.signalSteps.push(step);
  }

  /** A fresh temporary directory, removed at the end and on a signal. */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** The temporary directories stay after the run, for a failure to be read (a signal still removes them). */
  keepDirs(): void {
    this.keep = true;
  }

  /** The deferred steps, then the temporary directories. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (e) {
        progress(`cleanup: ${message(e)}`);
      }
    }
    if (this.keep) {
      for (const dir of this.dirs.splice(0)) progress(`kept for reading: ${dir}`);
      return;
    }
    this.removeDirs();
  }

  /** The signal steps and the temporary directories, synchronously. */
  runOnSignal(): void {
    for (const step of this.signalSteps.splice(0).reverse()) {
      try {
        step();
      } catch (e) {
        progress(`cleanup: ${message(e)}`);
      }
    }
    this.removeDirs();
  }

  private removeDirs(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs a bench's `main` with a cleanup of its own and cleans up afterwards.
 * A failure is printed with its stack and sets the exit code to 1; it is not
 * rethrown, so the returned promise settles after the cleanup either way.
 */
export async function runBench(main: (cleanup: BenchCleanup) => Promise<void>): Promise<void> {
  const cleanup = new BenchCleanup();
  const handlers = SIGNALS.map((sig) => {
    const handler = () => {
      cleanup.runOnSignal();
      process.kill(process.pid, sig);
    };
    process.once(sig, handler);
    return [sig, handler] as const;
  });
  try {
    await main(cleanup);
  } catch (e) {
    process.exitCode = 1;
    progress(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    cleanup.keepDirs();
  } finally {
    await cleanup.run();
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }
}
