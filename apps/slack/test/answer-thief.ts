/**
 * Between the bridge and the fake Slack in tests of lost answers: a
 * pass-through that lets every call reach the fake and withholds the answers
 * `hold` picks, as if the bridge had been killed before reading them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** Between the bridge and the fake Slack: passes every call through, and withholds the answers `hold` picks. */
export class AnswerThief {
  target = "";
  hold: (method: string, args: URLSearchParams) => boolean = () => false;
  /** Calls that reached the fake whose answers were withheld. */
  held = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((req, res) => void this.pass(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async pass(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? "/").replace(/^\/api\//, "");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "connection", "content-length"].includes(k)) headers[k] = v;
    }
    const answer = await fetch(new URL(path, this.target), {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 && { body }),
    });
    const text = await answer.text();
    if (this.hold(path.split("?")[0] ?? "", new URLSearchParams(body.toString("utf8")))) {
      this.held++;
      return; // the post is made; its answer never comes back
    }
    res.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "application/json",
      ...(answer.headers.get("retry-after") !== null && { "retry-after": answer.headers.get("retry-after") ?? "" }),
    });
    res.end(text);
  }
}
