/**
 * Moves a SQLite store's WAL checkpoints off the event loop. SQLite's own
 * automatic checkpoint (at 1,000 WAL pages) runs inside the COMMIT of
 * whichever write crosses the mark, and with it the copy of every page into
 * the database and its fsync: 5-160 ms during which the event loop is stuck.
 * Here the main connection turns it off (`wal_autocheckpoint = 0`) and a
 * worker thread with its own connection to the same file checkpoints
 * instead (see `wal-checkpoint-worker.ts`). Durability is unchanged: what a
 * commit makes durable is decided by `synchronous`, not by who checkpoints.
 *
 * If the worker cannot start or dies, the main connection goes back to
 * SQLite's automatic checkpoint (`wal_autocheckpoint = 1000`) and one warning
 * is logged, so the WAL never grows without bound.
 */
import { once } from "node:events";
import type { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import type { Logger } from "../ops/logger-types.ts";
import type { WalCheckpointWorkerData } from "./wal-checkpoint-worker.ts";

/** SQLite's default automatic checkpoint, in WAL pages: what the fallback goes back to. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

export interface WalCheckpointOptions {
  /** How often the worker checkpoints; default 250 ms. */
  readonly intervalMs?: number;
  /** A WAL file larger than this after a passive checkpoint is emptied (TRUNCATE); default 64 MiB. */
  readonly truncateAboveBytes?: number;
  /** The size the WAL file is cut back to when it starts over, and past which the worker starts it over; default 4 MiB. */
  readonly walSizeLimitBytes?: number;
  /** The worker's script; tests point it at one that fails. Default: `wal-checkpoint-worker` beside this module. */
  readonly workerUrl?: URL;
}

export interface WalCheckpointer {
  /** Whether the worker is checkpointing (false once it fell back to SQLite's automatic checkpoint). */
  readonly active: boolean;
  /** Stops the worker after a last checkpoint; resolves once its thread has exited. */
  stop(): Promise<void>;
}

function defaultWorkerUrl(): URL {
  // Run from source (TypeScript) or from dist (JavaScript): the worker has this module's extension.
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./wal-checkpoint-worker${ext}`, import.meta.url);
}

/**
 * Starts checkpointing the WAL of `db` (a file in WAL mode, opened at
 * `file`) from a worker thread. Call `stop()` before closing `db`.
 */
export function startWalCheckpointer(
  db: DatabaseSync,
  file: string,
  logger: Logger,
  busyTimeoutMs: number,
  options: WalCheckpointOptions = {},
): WalCheckpointer {
  let active = true;
  let stopping = false;
  let worker: Worker | undefined;

  const fallBack = (reason: string) => {
    if (!active) return;
    active = false;
    if (!db.isOpen) return;
    try {
      db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    } catch {
      // the connection is closing; nothing left to checkpoint for
    }
    logger.warn("store: the WAL checkpoint worker is unavailable; SQLite checkpoints inside commits again", {
      file,
      reason,
    });
  };

  const walSizeLimitBytes = Math.max(0, Math.floor(options.walSizeLimitBytes ?? 4 * 1024 * 1024));
  db.exec(`PRAGMA journal_size_limit = ${walSizeLimitBytes}`);
  db.exec("PRAGMA wal_autocheckpoint = 0");
  const workerData: WalCheckpointWorkerData = {
    file,
    intervalMs: Math.max(1, Math.floor(options.intervalMs ?? 250)),
    truncateAboveBytes: Math.max(0, Math.floor(options.truncateAboveBytes ?? 64 * 1024 * 1024)),
    walSizeLimitBytes,
    busyTimeoutMs,
  };
  try {
    worker = new Worker(options.workerUrl ?? defaultWorkerUrl(), { workerData });
  } catch (e) {
    fallBack((e as Error).message);
  }
  if (worker) {
    const w = worker;
    w.unref();
    w.on("error", (e: Error) => fallBack(e.message));
    w.on("exit", (code) => {
      if (!stopping) fallBack(`the worker exited (code ${code})`);
    });
  }

  return {
    get active() {
      return active;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const w = worker;
      if (!w || !active) {
        await w?.terminate();
        return;
      }
      // Rejects on the worker's "error" instead of its exit, which the listener above logs (fallBack).
      const exited = once(w, "exit").catch(() => undefined);
      // Held until it has exited: a process with nothing else to do must not end mid-close.
      w.ref();
      w.postMessage("stop");
      await exited;
    },
  };
}
