#!/usr/bin/env node
/** The `parley-matrix` executable. */
import { runMatrixCli } from "./matrix-cli.ts";

runMatrixCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
