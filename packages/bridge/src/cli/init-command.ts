/** `parley init`: writes parley.yaml with generated secrets and what the XMPP server needs. */
import type { CliStreams } from "./run-cli.ts";

/** Resolves with the exit code. */
export async function runInit(_argv: readonly string[], streams: CliStreams): Promise<number> {
  streams.stderr.write("parley init is not written yet\n");
  return 1;
}
