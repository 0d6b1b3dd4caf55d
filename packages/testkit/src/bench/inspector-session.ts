/**
 * A session on another Node process's inspector (started with
 * `--inspect=127.0.0.1:0`), for what a soak bench asks of the bridge it
 * measures: a full garbage collection, the process's memory figures, and a
 * heap snapshot written to a file. The process runs as an operator runs it;
 * nothing in it is changed for the bench.
 */
import { createWriteStream } from "node:fs";
import WebSocket from "ws";

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: Error) => void;
}

/** The inspector refused a command or went away. */
export class InspectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InspectorError";
  }
}

/** `process.memoryUsage()` of the inspected process, in bytes. */
export interface MemoryReading {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** The `ws://` URL in the "Debugger listening on ..." line Node prints on stderr, if `text` holds one. */
export function inspectorUrlIn(text: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(text)?.[1];
}

export class InspectorSession {
  private readonly socket: WebSocket;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, (params: Record<string, unknown>) => void>();
  private nextId = 1;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data) => this.receive(String(data)));
    socket.on("close", () => this.failAll(new InspectorError("the inspector connection closed")));
  }

  static connect(url: string): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      // Heap snapshot chunks are large; the default 100 MiB payload cap is per message and ample.
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once("open", () => resolve(new InspectorSession(socket)));
      socket.once("error", (e) => reject(new InspectorError(`could not reach the inspector at ${url}: ${e.message}`)));
    });
  }

  /** Sends one inspector command and resolves with its result. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }), (e) => {
        if (e) {
          this.pending.delete(id);
          reject(new InspectorError(`${method}: ${e.message}`));
        }
      });
    });
  }

  /** Collects garbage fully (twice: finalizers and weak references can free more on the second pass). */
  async collectGarbage(): Promise<void> {
    await this.call("HeapProfiler.collectGarbage");
    await this.call("HeapProfiler.collectGarbage");
  }

  /** The process's memory after a full collection. */
  async memoryAfterGc(): Promise<MemoryReading> {
    await this.collectGarbage();
    const reply = (await this.call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result?: { value?: unknown } };
    const value = reply.result?.value;
    if (typeof value !== "string") throw new InspectorError("process.memoryUsage() gave no answer");
    return JSON.parse(value) as MemoryReading;
  }

  /** Writes a heap snapshot (after a collection) to `file`, for Chrome DevTools or `summarizeHeapSnapshot`. */
  async heapSnapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.listeners.set("HeapProfiler.addHeapSnapshotChunk", (p) => {
      if (typeof p.chunk === "string") out.write(p.chunk);
    });
    try {
      await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false });
    } finally {
      this.listeners.delete("HeapProfiler.addHeapSnapshotChunk");
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
  }

  close(): void {
    this.socket.close();
  }

  private receive(text: string): void {
    let message: { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.id === "number") {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new InspectorError(JSON.stringify(message.error)));
      else waiter.resolve(message.result);
    } else if (typeof message.method === "string") {
      this.listeners.get(message.method)?.(message.params ?? {});
    }
  }

  private failAll(e: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(e);
    this.pending.clear();
  }
}
