/**
 * The operator's HTTP endpoint (config `ops`, loopback by default): liveness
 * (/healthz), readiness (/readyz) and Prometheus metrics (/metrics), on a
 * listener apart from the public media endpoint, so that a reverse proxy
 * publishing /media/ cannot publish these by accident. /metrics can also
 * require a bearer token (`ops.metricsToken`); the health checks never do,
 * because probes rarely carry one and say nothing worth hiding.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type RunningHttpServer, startHttpListener } from "./http-listener.ts";
import { json, notFound, plain, refusedMethod, requestPath } from "./http-replies.ts";
import { type Logger, silentLogger } from "./logger-types.ts";
import type { BridgeMetrics } from "./metrics.ts";

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, boolean>;
}

export interface OpsServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is in the result. */
  readonly port: number;
  readonly metrics: BridgeMetrics;
  /** Asked on every GET /readyz; answers 200 when `ready`, else 503, with the checks. */
  readonly readiness: () => Readiness;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (401 otherwise). */
  readonly metricsToken?: string;
  readonly logger?: Logger;
}

const ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

export function startOpsServer(o: OpsServerOptions): Promise<RunningHttpServer> {
  return startHttpListener({
    host: o.host,
    port: o.port,
    name: "the ops endpoint",
    section: "ops",
    handle: (req, res) => route(o, req, res),
    logger: o.logger ?? silentLogger,
  });
}

/** Whether `host` only takes connections from this machine (what `ops.host` defaults to). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

async function route(o: OpsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = requestPath(req.url);
  if (path === undefined || !ROUTES.has(path)) return notFound(res);
  if (refusedMethod(req, res)) return;
  if (path === "/healthz") return json(res, 200, { status: "ok" });
  if (path === "/readyz") {
    const r = o.readiness();
    const checks: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(r.checks ?? {})) checks[k] = v === true;
    const ready = r.ready === true;
    return json(res, ready ? 200 : 503, { ready, checks });
  }
  if (o.metricsToken !== undefined && !carriesToken(req, o.metricsToken)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="parley metrics"');
    return plain(res, 401, "a bearer token is required");
  }
  const text = await o.metrics.text();
  res.writeHead(200, { "Content-Type": o.metrics.contentType, "Cache-Control": "no-store" });
  res.end(text);
}

/** Whether the request's Authorization header is `Bearer <token>`, compared in constant time. */
function carriesToken(req: IncomingMessage, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1];
  if (given === undefined) return false;
  // Digests have one length whatever was sent, which timingSafeEqual needs, and reveal nothing of the token's.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
