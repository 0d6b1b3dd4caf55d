/** `parley doctor`: checks the live systems a configuration names and says how to fix each failure. */
import type { CliStreams } from "./run-cli.ts";

/** Resolves with the exit code. */
export async function runDoctor(_argv: readonly string[], streams: CliStreams): Promise<number> {
  streams.stderr.write("parley doctor is not written yet\n");
  return 1;
}
