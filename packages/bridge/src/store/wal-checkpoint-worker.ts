/**
 * The thread that checkpoints a SQLite WAL for the store's main connection,
 * so that the copying of WAL pages into the database (and its fsync) never
 * runs inside a commit on the event loop. Started by `wal-checkpointer.ts`
 * with the database file and timings in `workerData`.
 *
 * Every tick it runs a PASSIVE checkpoint: it copies what it can without
 * taking any lock a writer needs. That alone never starts the WAL over:
 * SQLite does so only when a write begins while every frame is copied, which
 * writes that never pause do not catch (they commit again during each
 * checkpoint, whose fsyncs alone take milliseconds). So the worker repeats
 * the passive checkpoint (at most `PASSES` in a row) until it leaves at most
 * `RESTART_REMAINDER_PAGES` uncopied and then, when the log holds more than
 * `walSizeLimitBytes`, runs a RESTART checkpoint: it takes the write lock,
 * copies what is left (that remainder and what was written while the last
 * passive one ran), syncs, waits for the log's readers to finish and lets
 * go, so the main connection's next write starts the log over (cut back to
 * `journal_size_limit`; if no write comes, the next tick empties it with a
 * TRUNCATE that has nothing to copy). The writers are held off for that
 * short copy and its syncs, not for a copy of the whole log. Past
 * `truncateAboveBytes` (the
 * log could not be started over for a while, e.g. a reader in another
 * process holds an old snapshot) a TRUNCATE checkpoint empties the file
 * instead, whatever the passes left. RESTART and TRUNCATE wait for a lock at
 * most `RESTART_BUSY_TIMEOUT_MS`, so that the worker does not sit on the
 * write lock waiting for a reader: it tries again at a later tick. On "stop"
 * it runs a last PASSIVE checkpoint and closes its connection; the thread
 * then exits.
 */
import { statSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";

export interface WalCheckpointWorkerData {
  readonly file: string;
  readonly intervalMs: number;
  readonly truncateAboveBytes: number;
  /** The connections' `journal_size_limit`, and the WAL size past which the worker starts it over. */
  readonly walSizeLimitBytes: number;
  readonly busyTimeoutMs: number;
}

const data = workerData as WalCheckpointWorkerData;

/**
 * The most WAL pages a RESTART (or TRUNCATE) checkpoint may have left to copy
 * while it holds the writers off: 256 pages (1 MiB) copy in a few milliseconds.
 */
const RESTART_REMAINDER_PAGES = 256;
/** PASSIVE checkpoints a tick may run in a row to bring the uncopied remainder under those. */
const PASSES = 4;
/**
 * How long a RESTART or TRUNCATE checkpoint waits for a lock (the write lock,
 * then the log's readers); PASSIVE ones never wait. Short, because meanwhile
 * it may hold the write lock the main connection waits for.
 */
const RESTART_BUSY_TIMEOUT_MS = Math.min(data.busyTimeoutMs, 50);

const db = new DatabaseSync(data.file);
db.exec(`PRAGMA busy_timeout = ${RESTART_BUSY_TIMEOUT_MS}`);
// As the main connection: checkpoints sync as they did there.
db.exec("PRAGMA synchronous = NORMAL");
db.exec(`PRAGMA journal_size_limit = ${data.walSizeLimitBytes}`);
const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");
const truncate = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
/** The database's page size: what one WAL frame holds. */
const pageSize = Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size);

interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

function walBytes(): number {
  try {
    return statSync(`${data.file}-wal`).size;
  } catch {
    return 0; // no WAL file (yet, or any more)
  }
}

/** The log's length when the last RESTART succeeded: until a write starts it over, another one is of no use. */
let restartedAt = -1;

function checkpoint(): void {
  try {
    // A pass copies what was written before it began; what is written during it (its fsyncs
    // may take a while on a busy disk) is left to the next, which has less to do.
    let r = passive.get() as unknown as CheckpointResult;
    for (let pass = 1; pass < PASSES && r.busy === 0 && r.log - r.checkpointed > RESTART_REMAINDER_PAGES; pass++)
      r = passive.get() as unknown as CheckpointResult;
    if (r.busy !== 0) return;
    const wal = walBytes();
    if (wal > data.truncateAboveBytes) {
      // The log could not be started over for a while: emptied, even if the passes left a remainder.
      truncate.get();
    } else if (r.log === restartedAt && r.log === r.checkpointed && wal > data.walSizeLimitBytes) {
      // Nothing was written since the RESTART, so no write has cut the file back: it is emptied
      // instead, which holds the writers off only for the truncation (there is nothing to copy).
      truncate.get();
    } else if (
      r.log - r.checkpointed <= RESTART_REMAINDER_PAGES &&
      r.log * pageSize > data.walSizeLimitBytes &&
      r.log !== restartedAt
    ) {
      const done = restart.get() as unknown as CheckpointResult;
      if (done.busy === 0) restartedAt = done.log;
    }
  } catch {
    // Busy or locked: the next tick tries again.
  }
}

const timer = setInterval(checkpoint, data.intervalMs);

parentPort?.on("message", (msg: unknown) => {
  if (msg !== "stop") return;
  clearInterval(timer);
  try {
    passive.get();
  } catch {
    // the main connection's close checkpoints what is left
  }
  db.close();
  parentPort?.close();
});
parentPort?.postMessage("ready");
