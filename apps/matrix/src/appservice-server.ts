/**
 * The Application Service API the homeserver calls (node:http): transactions,
 * user and room-alias queries and ping, under /_matrix/app/v1 and at the
 * legacy unprefixed paths older homeservers use. Every request must carry the
 * hs_token (Authorization: Bearer, or the legacy `access_token` query
 * parameter): none is 401 M_UNAUTHORIZED, a wrong one 403 M_FORBIDDEN, as the
 * spec says, and in both cases nothing is read or processed. Bodies are
 * bounded; malformed JSON is 400. A handler's failure is a 500, which makes
 * the homeserver send the transaction again later.
 *
 * The server also tells when the homeserver went away (`homeserverGone`): a
 * request of the homeserver's cut off before its answer, or a connection the
 * homeserver closed. Idle connections are closed by this side first
 * (`KEEP_ALIVE_MS`, shorter than Synapse's two minutes), so a homeserver
 * closing one is its process ending (a restart), or something between the two
 * failing; Synapse then loses the events it had queued for the service
 * (missed-events.ts reads them back).
 *
 * That leaves a homeserver that restarts while it holds no connection to the
 * bridge: quiet for longer than the idle-close time, the bridge closed its
 * connections itself, and a Synapse that stops just after accepting an event
 * (queued in memory, or its push not yet through) says nothing to anyone.
 * So the first request of the homeserver after such a gap counts as the
 * homeserver having gone away too: the rooms are read back before that
 * transaction (or the next one) is handled. A homeserver quiet for that long
 * is one with little to send, so one `/messages` per followed room is cheap.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@parley/bridge";

/** A transaction's body as the homeserver sends it. */
export interface TransactionBody {
  readonly events: readonly unknown[];
  readonly ephemeral?: readonly unknown[];
}

export interface AppserviceHandlers {
  /** Resolves once every event is handled and persisted; the 200 is sent only then. */
  transaction(txnId: string, body: TransactionBody): Promise<void>;
  /** True when the user exists (created before resolving); false for 404. */
  queryUser(userId: string): Promise<boolean>;
  /** True when the alias exists (its room created before resolving); false for 404. */
  queryAlias(alias: string): Promise<boolean>;
  /**
   * Requests outside the AS API (e.g. the signed avatar proxy): return true
   * when handled. These carry no hs_token; the handler checks what it needs.
   */
  other?(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export interface AppserviceServerOptions {
  readonly host: string;
  readonly port: number;
  readonly hsToken: string;
  readonly handlers: AppserviceHandlers;
  readonly logger: Logger;
  /** Largest body accepted (default 16 MiB: 100 events of at most 64 KiB each, and ephemeral data). */
  readonly maxBodyBytes?: number;
  /**
   * The homeserver went away: one of its requests was cut off, it closed its connection, or it comes
   * back after a gap longer than `idleCloseMs` (it may have restarted unseen); `reason` says which.
   */
  readonly homeserverGone?: (reason: string) => void;
  /**
   * How long an idle connection of the homeserver is kept open (default 75 s, shorter than the two
   * minutes Synapse keeps one in its pool); tests shorten it.
   */
  readonly idleCloseMs?: number;
}

export interface AppserviceServer {
  readonly port: number;
  readonly url: string;
  /** Stops accepting requests and waits for those in progress. */
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly errcode: string;
  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.status = status;
    this.errcode = errcode;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

/**
 * How long an idle connection is kept open: shorter than the two minutes Synapse keeps one in its pool,
 * so that idle connections are closed by this side and one closed by the homeserver says something.
 */
const KEEP_ALIVE_MS = 75_000;

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** The token the request carries, or undefined. */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : "";
  }
  return url.searchParams.get("access_token") ?? undefined;
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) throw new HttpError(413, "M_TOO_LARGE", "the body is too large");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new HttpError(413, "M_TOO_LARGE", "the body is too large");
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "M_NOT_JSON", "the body is not valid JSON");
  }
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, "M_INVALID_PARAM", "the path is not validly percent-encoded");
  }
}

type Route =
  | { kind: "transaction"; id: string }
  | { kind: "user"; id: string }
  | { kind: "alias"; id: string }
  | { kind: "ping" };

function routeOf(method: string, path: string): Route | undefined {
  const rest = path.startsWith("/_matrix/app/v1/") ? path.slice("/_matrix/app/v1".length) : path;
  const m = /^\/(transactions|users|rooms)\/([^/]+)$/.exec(rest);
  const want = (expected: string) => {
    if (method !== expected) throw new HttpError(405, "M_UNRECOGNIZED", `use ${expected} here`);
  };
  if (m) {
    const id = decodeSegment(m[2] as string);
    if (m[1] === "transactions") {
      want("PUT");
      return { kind: "transaction", id };
    }
    want("GET");
    return m[1] === "users" ? { kind: "user", id } : { kind: "alias", id };
  }
  if (path === "/_matrix/app/v1/ping") {
    want("POST");
    return { kind: "ping" };
  }
  return undefined;
}

export async function startAppserviceServer(o: AppserviceServerOptions): Promise<AppserviceServer> {
  const expected = digest(o.hsToken);
  const max = o.maxBodyBytes ?? 16 * 1024 * 1024;
  const log = o.logger;
  const inFlight = new Set<Promise<void>>();
  /** Connections that carried a request with the hs_token (the homeserver's), and when one was last answered. */
  const homeserverSockets = new WeakMap<object, number>();
  const idleCloseMs = o.idleCloseMs ?? KEEP_ALIVE_MS;
  /** A connection closed sooner than this after its last use was closed by the homeserver; later, by this side. */
  const closedByUsBefore = Math.max(idleCloseMs - 1000, idleCloseMs / 2);
  /** When the homeserver last sent or was answered a request (the server's start at first), and how many it has in progress. */
  let homeserverLastSeen = Date.now();
  let homeserverBusy = 0;
  let closing = false;
  const gone = (reason: string) => {
    if (!closing) o.homeserverGone?.(reason);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://appservice.invalid");
    const method = req.method ?? "GET";
    let route: Route | undefined;
    try {
      route = routeOf(method, url.pathname);
    } catch (e) {
      if (e instanceof HttpError) sendJson(res, e.status, { errcode: e.errcode, error: e.message });
      else throw e;
      return;
    }
    if (!route) {
      if (o.handlers.other && (await o.handlers.other(req, res, url))) return;
      sendJson(res, 404, { errcode: "M_UNRECOGNIZED", error: "unknown endpoint" });
      return;
    }
    const token = tokenOf(req, url);
    if (token === undefined || token === "") {
      log.warn("a request to the application service carried no hs_token; refused", { path: route.kind });
      sendJson(res, 401, { errcode: "M_UNAUTHORIZED", error: "no hs_token was given" });
      return;
    }
    if (!timingSafeEqual(digest(token), expected)) {
      log.warn("a request to the application service carried a wrong hs_token; refused", { path: route.kind });
      sendJson(res, 403, { errcode: "M_FORBIDDEN", error: "the hs_token is wrong" });
      return;
    }
    const socket = req.socket;
    const now = Date.now();
    // Quiet for so long that this side closed the homeserver's connections: a restart in between
    // (losing what it had just accepted) would have left no trace here.
    if (homeserverBusy === 0 && now - homeserverLastSeen >= closedByUsBefore) {
      gone(
        `the homeserver was quiet for ${Math.round((now - homeserverLastSeen) / 1000)} s (longer than the idle-close time); it may have restarted unseen`,
      );
    }
    homeserverSockets.set(socket, now);
    homeserverLastSeen = now;
    homeserverBusy++;
    const kind = route.kind;
    res.on("close", () => {
      homeserverBusy--;
      homeserverSockets.set(socket, Date.now());
      homeserverLastSeen = Date.now();
      if (!res.writableFinished) gone(`a ${kind} request was cut off before its answer`);
    });
    switch (route.kind) {
      case "transaction": {
        const body = await readJson(req, max);
        if (body === null || typeof body !== "object" || !Array.isArray((body as { events?: unknown }).events)) {
          throw new HttpError(400, "M_BAD_JSON", "a transaction needs an `events` array");
        }
        const eph = (body as { ephemeral?: unknown }).ephemeral;
        const ephemeral = Array.isArray(eph)
          ? eph
          : Array.isArray((body as Record<string, unknown>)["de.sorunome.msc2409.ephemeral"])
            ? ((body as Record<string, unknown>)["de.sorunome.msc2409.ephemeral"] as unknown[])
            : [];
        await o.handlers.transaction(route.id, { events: (body as { events: unknown[] }).events, ephemeral });
        sendJson(res, 200, {});
        return;
      }
      case "user":
        if (await o.handlers.queryUser(route.id)) sendJson(res, 200, {});
        else sendJson(res, 404, { errcode: "M_NOT_FOUND", error: "no such user on the bridge" });
        return;
      case "alias":
        if (await o.handlers.queryAlias(route.id)) sendJson(res, 200, {});
        else sendJson(res, 404, { errcode: "M_NOT_FOUND", error: "no such room on the bridge" });
        return;
      case "ping":
        await readJson(req, 64 * 1024);
        sendJson(res, 200, {});
        return;
    }
  };

  const server = createServer((req, res) => {
    const p = handle(req, res)
      .catch((e: unknown) => {
        if (e instanceof HttpError) {
          sendJson(res, e.status, { errcode: e.errcode, error: e.message });
          // A refused body may still be arriving: do not read the rest.
          if (e.status === 413) req.destroy();
          return;
        }
        log.error("the application service could not handle a request; the homeserver will send it again", {
          error: e instanceof Error ? e.message : String(e),
        });
        sendJson(res, 500, { errcode: "M_UNKNOWN", error: "the bridge could not handle this now" });
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  server.on("connection", (socket) => {
    // This side closes an idle connection only after idleCloseMs (or when stopping): one that ends sooner
    // after its last request was closed by the homeserver. (Node ends its own side on the peer's FIN before
    // "end" is emitted, so the time is what tells the two apart.)
    socket.on("close", () => {
      const lastUse = homeserverSockets.get(socket);
      if (lastUse !== undefined && Date.now() - lastUse < closedByUsBefore) {
        gone("the homeserver closed its connection");
      }
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = idleCloseMs;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    port,
    url: `http://${host}:${port}`,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}
