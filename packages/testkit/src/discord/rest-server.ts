/**
 * The REST v10 pipeline, in the order Discord applies it: route lookup (404
 * `{code:0}` for unknown routes, 405 for unknown methods), the bot token
 * (401), rate limits (429), the request against the OpenAPI description
 * (400 50035), then the route itself. Every answer carries the rate-limit
 * headers; every request is logged, malformed ones are recorded as
 * violations, and so are answers the spec says Discord never gives.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  DiscordError,
  entityTooLarge,
  type FormErrors,
  invalidFormBody,
  methodNotAllowed,
  notFound,
  unauthorized,
} from "./discord-errors.ts";
import { describeIssues, describeResponseIssues, formErrorsOf, type OpenApiCheck } from "./openapi-check.ts";
import type { RateLimiter } from "./rate-limits.ts";
import { type ParsedBody, parseBody } from "./request-body.ts";
import type { RestWorld, Route } from "./route-kit.ts";
import type { ServerErrorAnswer, ServerErrors } from "./server-errors.ts";

/** One REST request as the fake saw it. */
export interface RestRequestRecord {
  readonly method: string;
  /** The path after `/api/v10`, as sent (ids, not templates). */
  readonly path: string;
  readonly status: number;
  /** The JSON body, or the JSON payload of a multipart body. */
  readonly body?: unknown;
  /** File names of a multipart body, in order. */
  readonly files?: readonly string[];
  /** The OpenAPI template the path matched: `/channels/{channel_id}/messages`. */
  readonly route?: string;
  /** The query string without `?`, when there was one. */
  readonly query?: string;
  /** For 500s: what went wrong inside the fake. */
  readonly error?: string;
  /** The `X-Audit-Log-Reason` header, URL-decoded as Discord does. */
  readonly auditLogReason?: string;
}

export interface RestPipeline {
  readonly check: OpenApiCheck;
  readonly limiter: RateLimiter;
  /** Injected 5xx answers (Discord's outages). */
  readonly serverErrors: ServerErrors;
  readonly world: RestWorld;
  readonly routes: Readonly<Record<string, Route>>;
  token(): string | undefined;
  record(r: RestRequestRecord): void;
  violation(message: string): void;
}

/** Bodies beyond this are refused before they are read whole. */
const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export async function handleRest(p: RestPipeline, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const path = url.pathname.replace(/^\/api\/v10/, "") || "/";
  const query = url.search.replace(/^\?/, "");
  const base = { method, path, ...(query ? { query } : {}) };
  const answer = (
    status: number,
    body: unknown,
    headers: Record<string, string>,
    extra: Partial<RestRequestRecord>,
  ) => {
    if (extra.route) checkAnswer(p, method, extra.route, status, body);
    send(res, status, body, headers);
    p.record({ ...base, status, ...extra });
  };

  const raw = await readBody(req);
  if (raw === undefined) {
    const e = entityTooLarge();
    p.violation(`${method} ${path}: request body over ${MAX_REQUEST_BYTES} bytes`);
    answer(e.status, e.body(), {}, {});
    return;
  }
  if (!url.pathname.startsWith("/api/v10/")) {
    answer(404, notFound().body(), {}, {});
    return;
  }
  const route = p.check.match(path);
  if (!route) {
    answer(404, notFound().body(), {}, {});
    return;
  }
  const routeInfo = { route: route.template };
  if (!route.methods.includes(method)) {
    answer(405, methodNotAllowed().body(), {}, routeInfo);
    return;
  }
  const auth = req.headers.authorization;
  const token = p.token();
  const authorized = token !== undefined && auth === `Bot ${token}`;
  if (!authorized && (auth !== undefined || !p.check.allowsAnonymous(route.template, method))) {
    answer(401, unauthorized().body(), {}, routeInfo);
    return;
  }
  const major =
    route.params.channel_id ??
    route.params.guild_id ??
    (route.params.webhook_id ? `${route.params.webhook_id}/${route.params.webhook_token ?? ""}` : "global");
  const verdict = p.limiter.take(method, path, route.template, major, authorized ? "bot" : "anonymous");
  const contentType = req.headers["content-type"];
  const body = await parseBody(raw, contentType);
  const reasonHeader = req.headers["x-audit-log-reason"];
  const auditLogReason = typeof reasonHeader === "string" ? decodeAuditLogReason(reasonHeader) : undefined;
  const logged = {
    ...routeInfo,
    ...(auditLogReason !== undefined ? { auditLogReason } : {}),
    ...(loggableBody(body) !== undefined ? { body: loggableBody(body) } : {}),
    ...(body.kind === "multipart" && body.files.length > 0 ? { files: body.files.map((f) => f.filename) } : {}),
  };
  if (verdict.limited) {
    answer(429, verdict.limited, verdict.headers, logged);
    return;
  }
  const outage = p.serverErrors.take(method, path);
  const failWith = (o: ServerErrorAnswer) => {
    if (o.neverAnswer) {
      // Held open, unanswered: the fake's stop closes it.
      p.record({ ...base, status: 0, ...logged });
      return;
    }
    // Not checked against the spec: it lists no 5xx, yet Discord gives them.
    sendRaw(res, o.status, o.contentType, o.body);
    p.record({ ...base, status: o.status, ...logged });
  };
  if (outage && !outage.afterProcessing) {
    failWith(outage);
    return;
  }
  if (body.kind === "invalid") {
    p.violation(`${method} ${route.template}: ${body.reason}`);
    answer(400, { code: 50109, message: body.reason }, verdict.headers, logged);
    return;
  }
  const issues = p.check.check(
    method,
    route,
    url.searchParams,
    body.kind === "none" ? { kind: "none" } : { kind: body.kind, value: body.value },
    contentType,
  );
  if (issues.length > 0) {
    p.violation(describeIssues(method, route.template, issues));
    answer(400, invalidFormBody(formErrorsOf(issues)).body(), verdict.headers, logged);
    return;
  }
  const handler = p.routes[`${method} ${route.template}`];
  if (!handler) {
    // In the spec, but not something the fake implements: say so loudly instead of pretending.
    p.violation(`${method} ${route.template}: not implemented by the fake Discord`);
    answer(404, notFound().body(), verdict.headers, logged);
    return;
  }
  try {
    const json =
      body.kind === "json" && isObject(body.value) ? body.value : body.kind === "multipart" ? body.value : {};
    const files = body.kind === "multipart" ? body.files : [];
    const out = handler(p.world, { method, params: route.params, query: url.searchParams, json, files });
    if (outage) {
      failWith(outage);
      return;
    }
    answer(out.status, out.body, verdict.headers, logged);
  } catch (e) {
    if (e instanceof DiscordError) {
      if (e.violation) {
        const detail = e.errors ? `: ${flatten(e.errors).join("; ")}` : "";
        p.violation(`${method} ${route.template}: ${e.code} ${e.message}${detail}`);
      }
      answer(e.status, e.body(), verdict.headers, logged);
      return;
    }
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    answer(500, { code: 0, message: "500: Internal Server Error" }, verdict.headers, { ...logged, error });
  }
}

/**
 * Holds the fake's answer to the spec before it is sent, so a test that saw
 * the answer also sees the violation. The body is validated as built, without
 * a JSON round trip: the routes build plain JSON values.
 */
function checkAnswer(p: RestPipeline, method: string, template: string, status: number, body: unknown): void {
  try {
    const issues = p.check.checkResponse(method, template, status, body);
    if (issues.length > 0) p.violation(describeResponseIssues(method, template, status, issues));
  } catch (e) {
    // A checker fault must not turn a good answer into a 500; it is still the fake's to fix.
    p.violation(
      `response ${method} ${template} ${status}: not checked (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

/** `content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.`, the way discord.js prints field errors. */
function flatten(errors: FormErrors, key = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(errors)) {
    const next = k === "_errors" ? key : key ? `${key}.${k}` : k;
    if (Array.isArray(v)) out.push(...v.map((e) => `${next}[${e.code}]: ${e.message}`));
    else out.push(...flatten(v, next));
  }
  return out;
}

function loggableBody(body: ParsedBody): unknown {
  return body.kind === "json" || body.kind === "multipart" ? body.value : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (res.headersSent) return;
  const common = { ...headers, Via: "1.1 google", "X-Content-Type-Options": "nosniff" };
  if (status === 204 || body === undefined) {
    res.writeHead(status, common).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...common, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** An answer from in front of the API (the edge's HTML page, or an outage's JSON), as it is. */
function sendRaw(res: ServerResponse, status: number, contentType: string, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** The whole body, or undefined when it is larger than Discord would ever take. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_REQUEST_BYTES) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large, so the answer reaches a client still sending.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks);
}

/** Discord takes the audit-log reason URL-encoded (so it can hold any Unicode); a malformed one is kept as sent. */
function decodeAuditLogReason(header: string): string {
  try {
    return decodeURIComponent(header);
  } catch {
    return header;
  }
}
