/**
 * What the bridge's two HTTP endpoints share: listening on host:port (0 picks
 * a free port), closing, and turning a failing handler into a bare 500 and a
 * log line instead of a crash. Which paths an endpoint answers is its own
 * business (media-server.ts, ops-server.ts); this part knows no routes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { plain, requestPath } from "./http-replies.ts";
import type { Logger } from "./logger-types.ts";

export interface RunningHttpServer {
  /** Base URL, e.g. http://127.0.0.1:8787 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections; safe to call twice. */
  close(): Promise<void>;
}

/** The endpoint could not listen (port taken, address not local...). */
export class HttpListenError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = "HttpListenError";
    this.code = code;
  }
}

export interface HttpListenerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is in the result. */
  readonly port: number;
  /** What the endpoint is, for messages: e.g. "the media endpoint". */
  readonly name: string;
  /** The config section its host and port come from ("http", "ops"), named in a listen error's fix. */
  readonly section: string;
  /** Answers one request; a rejection becomes a 500 without detail and an error log line. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  readonly logger: Logger;
}

export async function startHttpListener(o: HttpListenerOptions): Promise<RunningHttpServer> {
  const server = createServer((req, res) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    o.handle(req, res).catch((e: unknown) => fail(o.logger, req, res, e));
  });
  server.on("error", (e) => o.logger.error("http server error", { endpoint: o.name, error: e }));

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      const code = "code" in e ? String(e.code) : undefined;
      const s = o.section;
      reject(
        new HttpListenError(
          `${o.name} could not listen on ${o.host}:${o.port} (${code ?? e.message}); set ${s}.host/${s}.port to a free local address, or ${s}.port to 0`,
          code,
          e,
        ),
      );
    };
    server.once("error", onError);
    server.listen(o.port, o.host, () => {
      server.off("error", onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") && !o.host.startsWith("[") ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function fail(logger: Logger, req: IncomingMessage, res: ServerResponse, e: unknown): void {
  const aborted = res.destroyed || (e instanceof Error && "code" in e && e.code === "ERR_STREAM_PREMATURE_CLOSE");
  if (aborted) logger.debug("http response aborted", { method: req.method, path: requestPath(req.url), error: e });
  else logger.error("http handler failed", { method: req.method, path: requestPath(req.url), error: e });
  if (!res.headersSent) {
    try {
      plain(res, 500, "internal error");
      return;
    } catch {
      // the response is unusable; drop the connection below
    }
  }
  res.destroy();
}
