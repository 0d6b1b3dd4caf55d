/**
 * A fake network (Discord, Slack...) in a process of its own, driven by a
 * bench over IPC: a script answering one request at a time with the same
 * `op`, or `{ op: "error", message }`. In a deployment the network is
 * another machine, so its work must not be charged to what a bench measures.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { BenchCleanup } from "./bench-run.ts";

export class RemoteFake {
  private readonly child: ChildProcess;
  private readonly name: string;
  private queue: Promise<unknown> = Promise.resolve();

  /** `name` says which fake in errors ("fake Discord"). */
  constructor(script: string, name = "fake") {
    this.child = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.name = name;
  }

  ask<T>(request: { op: string } & Record<string, unknown>): Promise<T> {
    const next = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onMessage = (m: { op: string; message?: string }) => {
            this.child.off("message", onMessage);
            this.child.off("exit", onExit);
            if (m.op === "error") reject(new Error(`${this.name}: ${m.message}`));
            else resolve(m as T);
          };
          const onExit = () => reject(new Error(`the ${this.name} process exited`));
          this.child.on("message", onMessage);
          this.child.once("exit", onExit);
          this.child.send(request);
        }),
    );
    // One request at a time: a failed one must not stop the next.
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** For an interrupted bench: the child must not outlive it. */
  kill(): void {
    this.child.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.ask({ op: "stop" }).catch(() => undefined);
    this.child.kill();
  }
}

/** A RemoteFake running `script`, which `cleanup` stops at the end and kills on a signal. */
export function startRemoteFake(cleanup: BenchCleanup, script: string, name: string): RemoteFake {
  const fake = new RemoteFake(script, name);
  cleanup.defer(() => fake.stop());
  cleanup.onSignal(() => fake.kill());
  return fake;
}

/**
 * Throws, listing them (the first `most`, default all), when the fake saw
 * requests the real `network` would refuse (`{ op: "violations" }`); lines
 * `counted` turns down are left out.
 */
export async function assertFakeSawNoViolations(
  fake: RemoteFake,
  network: string,
  o: { readonly counted?: (line: string) => boolean; readonly most?: number } = {},
): Promise<void> {
  const { violations } = await fake.ask<{ violations: string[] }>({ op: "violations" });
  const refused = o.counted ? violations.filter(o.counted) : violations;
  if (refused.length > 0) {
    const listed = o.most === undefined ? refused : refused.slice(0, o.most);
    throw new Error(`the bridge made requests ${network} would refuse:\n${listed.join("\n")}`);
  }
}

/**
 * The fake's side of a RemoteFake, in the fake's process: each request goes
 * to `handle` (which replies with `process.send`), a failure is answered
 * `{ op: "error", message }`, and when the bench goes away `stop` runs and
 * the process exits.
 */
export function serveRemoteFake<R extends { op: string }>(
  handle: (request: R) => Promise<void>,
  stop: () => Promise<unknown>,
): void {
  process.on("message", (r: R) => {
    handle(r).catch((e: unknown) => {
      process.send?.({ op: "error", message: e instanceof Error ? e.message : String(e) });
    });
  });
  process.on("disconnect", () => {
    void stop().finally(() => process.exit(0));
  });
}
