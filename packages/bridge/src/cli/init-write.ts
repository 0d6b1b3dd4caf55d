/**
 * Writing what `parley init` made: nothing is written when any of the files
 * exists already (unless forced), so a run never leaves half a setup; each
 * file is created with its mode (0600 unless said otherwise: most hold
 * secrets), whatever the umask.
 */
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import type { InitFile } from "./init-connector.ts";
import { checkFileName } from "./init-files.ts";

export class FilesExistError extends Error {
  readonly paths: readonly string[];
  constructor(paths: readonly string[]) {
    super(
      `--force is needed: ${paths.length === 1 ? "this file exists" : "these files exist"} already: ${paths.join(", ")}; ` +
        "move them away, choose another folder with --dir, or overwrite them with --force",
    );
    this.name = "FilesExistError";
    this.paths = paths;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** Writes every file into `dir` (created when missing); returns their paths. */
export async function writeInitFiles(dir: string, files: readonly InitFile[], force: boolean): Promise<string[]> {
  const paths = files.map((f) => checkFileName(f.name, dir));
  if (!force) {
    const taken: string[] = [];
    for (const p of paths) if (await exists(p)) taken.push(p);
    if (taken.length > 0) throw new FilesExistError(taken);
  }
  await mkdir(dir, { recursive: true });
  for (const [i, file] of files.entries()) {
    const path = paths[i] as string;
    const mode = file.mode ?? 0o600;
    await writeFile(path, file.content, { mode, flag: force ? "w" : "wx" });
    await chmod(path, mode);
  }
  return paths;
}
