/**
 * The thread that checkpoints a SQLite WAL for the store's main connection,
 * so that the copying of WAL pages into the database (and its fsync) never
 * runs inside a commit on the event loop. Started by `wal-checkpointer.ts`
 * with the database file and timings in `workerData`.
 *
 * Every tick it runs a PASSIVE checkpoint: it copies what it can without
 * taking any lock a writer needs. SQLite starts the WAL over from its
 * beginning (cut back to `journal_size_limit`) only when a write begins while
 * every frame is copied, which the main connection's writes rarely catch (it
 * commits again during each checkpoint, whose fsync alone takes
 * milliseconds). So when a checkpoint copied everything and the WAL holds
 * more than `walSizeLimitBytes`, the worker writes at once itself: a one-page
 * transaction (`application_id` rewritten with its own value) that starts the
 * log over if nothing was committed in between, and else just adds a frame.
 * In the pauses between bursts this keeps the WAL near `walSizeLimitBytes`
 * without the main connection ever waiting. Under writes that never pause it
 * seldom succeeds and the WAL grows; past `truncateAboveBytes` (or when a
 * reader in another process holds an old snapshot) the worker runs a TRUNCATE
 * checkpoint, which takes the write lock, so the main connection's writes
 * wait (their busy timeout) while it copies the tail the passive ones left,
 * syncs and empties the file. On "stop" it runs a last PASSIVE checkpoint and
 * closes its connection; the thread then exits.
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
const db = new DatabaseSync(data.file);
db.exec(`PRAGMA busy_timeout = ${data.busyTimeoutMs}`);
// As the main connection: checkpoints sync as they did there, and the one-page
// write that starts the log over does not fsync the WAL while holding the write lock.
db.exec("PRAGMA synchronous = NORMAL");
// The limit is the connection's own: the one whose write starts the log over cuts the file back.
db.exec(`PRAGMA journal_size_limit = ${data.walSizeLimitBytes}`);
const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const truncate = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
const applicationId = db.prepare("PRAGMA application_id");
const pageSize = Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size);

interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

/** A one-page write: begun while every frame is copied, it starts the WAL over. */
function restartLog(): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    const id = Number((applicationId.get() as { application_id: number }).application_id);
    db.exec(`PRAGMA application_id = ${id}`);
    db.exec("COMMIT");
  } catch (e) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}

function walBytes(): number {
  try {
    return statSync(`${data.file}-wal`).size;
  } catch {
    return 0; // no WAL file (yet, or any more)
  }
}

function checkpoint(): void {
  try {
    const r = passive.get() as unknown as CheckpointResult;
    if (r.busy === 0 && r.log === r.checkpointed && r.log * pageSize > data.walSizeLimitBytes) restartLog();
    if (walBytes() > data.truncateAboveBytes) truncate.get();
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
