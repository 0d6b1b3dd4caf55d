/** Rewrites the configuration blocks of docs/run-next-to-prosody-and-ejabberd.md from this package's functions. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GUIDE, rewriteGuide } from "./guide-snippets.ts";

const before = readFileSync(GUIDE, "utf8");
const after = rewriteGuide(before);
if (after === before) {
  process.stdout.write(`${fileURLToPath(GUIDE)} is up to date\n`);
} else {
  writeFileSync(GUIDE, after);
  process.stdout.write(`rewrote the configuration blocks of ${fileURLToPath(GUIDE)}\n`);
}
