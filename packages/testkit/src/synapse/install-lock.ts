/**
 * A lock file shared by processes, so that test files run in parallel do not
 * install Synapse into the same virtualenv at once. The lock is a file holding
 * the owner's pid, created in one atomic step (hard link of a file already
 * written), so a waiter never reads a half-written owner. A lock whose owner
 * died (a killed test run) is taken over instead of waited on forever.
 */
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface FileLockOptions {
  /** How long to wait for another process to release the lock; default 20 minutes (a pip install). */
  readonly timeoutMs?: number;
  /** How often to look again while waiting; default 250 ms. */
  readonly pollMs?: number;
}

/** Runs `fn` while holding the lock at `lockPath`; the lock is released however `fn` ends. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, o: FileLockOptions = {}): Promise<T> {
  await acquire(lockPath, o.timeoutMs ?? 20 * 60_000, o.pollMs ?? 250);
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function acquire(lockPath: string, timeoutMs: number, pollMs: number): Promise<void> {
  const mine = `${lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await tryLink(mine, lockPath)) return;
      const owner = await ownerPid(lockPath);
      if (owner !== undefined && !alive(owner)) {
        await takeOverStale(lockPath, owner);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for the lock ${lockPath} (held by pid ${owner ?? "unknown"}); ` +
            `if no install is running, remove that file by hand`,
        );
      }
      await sleep(pollMs);
    }
  } finally {
    await rm(mine, { force: true });
  }
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

async function ownerPid(lockPath: string): Promise<number | undefined> {
  const text = await readFile(lockPath, "utf8").catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Moves the stale lock aside under a name of our own first: of several waiters
 * that saw the same dead owner, only one can move it, and the one that does
 * checks it moved the dead owner's lock and not a fresh one taken meanwhile
 * (which it puts back).
 */
async function takeOverStale(lockPath: string, deadOwner: number): Promise<void> {
  const aside = `${lockPath}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // another waiter moved it first, or its owner released it
  }
  if ((await ownerPid(aside)) !== deadOwner) await tryLink(aside, lockPath);
  await rm(aside, { force: true });
}
