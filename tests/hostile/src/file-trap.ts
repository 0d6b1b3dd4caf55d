/**
 * An HTTP server that hostile Slack file shares point their `url_private` at:
 * `/small` answers a few bytes, `/flood` sends bytes as fast as it can and never
 * ends (the media size cap must cut it), `/trickle` sends a byte a second and
 * never ends (the download timeout must cut it). It notes each request's
 * Authorization header, so a run can tell whether the bridge handed its Slack
 * token to a host that is not Slack's.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FileTrap {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request: its path and its Authorization header (if any). */
  readonly requests: Array<{ path: string; authorization?: string }>;
  close(): Promise<void>;
}

export async function startFileTrap(): Promise<FileTrap> {
  const requests: FileTrap["requests"] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    requests.push({
      path,
      ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
    });
    if (path === "/flood") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
      return;
    }
    if (path === "/trickle") {
      res.writeHead(200, { "content-type": "image/png", "content-length": "1000000" });
      const t = setInterval(() => {
        if (res.destroyed) clearInterval(t);
        else res.write("x");
      }, 1000);
      timers.add(t);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("small file");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
