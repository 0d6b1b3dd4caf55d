/**
 * The Web API over HTTP: `POST` (or `GET`) `/api/<method>` with arguments in
 * the query string, a form body (urlencoded or multipart) or a JSON body, and
 * the token as `Authorization: Bearer <token>` or a `token` argument. Every
 * call goes through the same steps, in Slack's order: token, failures forced
 * by the test, rate limit, scopes, arguments (checked against the vendored
 * description), then the method. Answers are HTTP 200 `{ ok, ... }`, or 429
 * with Retry-After, with `X-OAuth-Scopes` and `X-Accepted-OAuth-Scopes`
 * headers as Slack sends them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ArgCheck } from "./arg-check.ts";
import type { FileStore } from "./file-store.ts";
import type { IdSource } from "./ids.ts";
import type { BotAction, MessageStore } from "./message-store.ts";
import type { SlackRateLimiter } from "./rate-limits.ts";
import type { ResponseCheck } from "./response-check.ts";
import { invalidArguments, SlackApiError } from "./slack-errors.ts";
import type { SocketMode } from "./socket-mode.ts";
import type { Workspace } from "./workspace.ts";

export type Args = Readonly<Record<string, unknown>>;

/** What a method handler sees of the fake. */
export interface SlackWorld {
  readonly ws: Workspace;
  readonly store: MessageStore;
  readonly files: FileStore;
  readonly ids: IdSource;
  readonly socket: SocketMode;
  hasScope(scope: string): boolean;
  recordAction(a: BotAction): void;
  /** Emits member_joined_channel. */
  memberJoined(channel: string, user: string): void;
  /** The bot's message fields: bot_id, app_id, bot_profile. */
  botFields(): Record<string, unknown>;
  /** The base URL of the fake, `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
}

export interface MethodSpec {
  /** The scopes of which the token needs one (none: any token of the right type). */
  readonly scopes: (w: SlackWorld, args: Args) => readonly string[];
  /** apps.connections.open takes the app-level token (xapp-), every other method the bot token (xoxb-). */
  readonly token?: "app" | "bot";
  /** The channel a call counts against, for per-channel limits. */
  readonly channelArg?: string;
  readonly run: (w: SlackWorld, args: Args) => Record<string, unknown>;
}

/** One Web API call as the fake saw it. */
export interface SlackRequestRecord {
  readonly method: string;
  /** The arguments, typed, without the token. */
  readonly args: Record<string, unknown>;
  readonly status: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ForcedFailure {
  readonly method: string;
  readonly error: string;
  /** For `ratelimited`: the Retry-After seconds (1 by default). */
  readonly retryAfterSeconds?: number;
  readonly extra?: Record<string, unknown>;
  left: number;
}

export interface Pipeline {
  readonly world: SlackWorld;
  readonly methods: Readonly<Record<string, MethodSpec>>;
  readonly check: ArgCheck;
  readonly responses: ResponseCheck;
  readonly limiter: SlackRateLimiter;
  readonly failures: ForcedFailure[];
  readonly tokens: () => { bot?: string; app?: string; revokedBot: boolean };
  readonly scopes: () => readonly string[];
  /** Arguments the method does not take: "reject" answers invalid_arguments; "ignore" lets them through as Slack does. */
  readonly unknownArguments: "reject" | "ignore";
  readonly record: (r: SlackRequestRecord) => void;
  readonly violation: (v: string) => void;
}

const MAX_BODY = 50 * 1024 * 1024;

export async function handleWebApi(p: Pipeline, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = decodeURIComponent(url.pathname.replace(/^\/api\//, ""));
  const raw = await readBody(req);
  let args: Record<string, unknown>;
  try {
    args = { ...Object.fromEntries(url.searchParams), ...(await parseArgs(raw, req.headers["content-type"])) };
  } catch {
    return answer(p, res, method, {}, new SlackApiError("invalid_json"));
  }
  const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  const token = auth?.[1] ?? (typeof args.token === "string" ? args.token : undefined);
  const { token: _dropped, ...shown } = args;
  try {
    const spec = p.methods[method];
    if (!spec || !p.check.knows(method)) throw new SlackApiError("unknown_method", { req_method: method });
    authenticate(p, spec, token);
    forcedFailure(p, method);
    const channel = spec.channelArg ? args[spec.channelArg] : undefined;
    const wait = p.limiter.take(method, typeof channel === "string" ? channel : undefined);
    if (wait !== undefined) {
      throw new SlackApiError("ratelimited", {}, { status: 429, headers: { "Retry-After": String(wait) } });
    }
    const needed = spec.scopes(p.world, args);
    const accepted = needed.join(",");
    if (needed.length > 0 && !needed.some((s) => p.world.hasScope(s))) {
      throw new SlackApiError(
        "missing_scope",
        { needed: accepted, provided: p.scopes().join(",") },
        { headers: { "X-Accepted-OAuth-Scopes": accepted } },
      );
    }
    const checked = p.check.check(method, args);
    if (!checked.ok) {
      if (checked.kind === "unknown_method") throw new SlackApiError("unknown_method", { req_method: method });
      p.violation(`${method}: ${checked.messages.join("; ")}`);
      throw invalidArguments(checked.messages);
    }
    if (checked.unknown.length > 0) {
      p.violation(`${method}: arguments the method does not take: ${checked.unknown.join(", ")}`);
      if (p.unknownArguments === "reject") {
        throw invalidArguments(checked.unknown.map((a) => `unknown argument: ${a}`));
      }
    }
    const { token: _t, ...typed } = checked.args;
    const body = spec.run(p.world, typed);
    return answer(p, res, method, shown, undefined, { ok: true, ...body }, accepted);
  } catch (e) {
    if (e instanceof SlackApiError) return answer(p, res, method, shown, e);
    throw e;
  }
}

function authenticate(p: Pipeline, spec: MethodSpec, token: string | undefined): void {
  if (!token) throw new SlackApiError("not_authed");
  const t = p.tokens();
  const wantsApp = spec.token === "app";
  if (token === t.app) {
    if (!wantsApp) throw new SlackApiError("not_allowed_token_type");
    return;
  }
  if (token === t.bot) {
    if (t.revokedBot) throw new SlackApiError("token_revoked");
    if (wantsApp) throw new SlackApiError("not_allowed_token_type");
    return;
  }
  throw new SlackApiError("invalid_auth");
}

function forcedFailure(p: Pipeline, method: string): void {
  const f = p.failures.find((x) => x.left > 0 && (x.method === method || x.method === "*"));
  if (!f) return;
  f.left--;
  if (f.left === 0) p.failures.splice(p.failures.indexOf(f), 1);
  if (f.error === "ratelimited") {
    throw new SlackApiError(
      "ratelimited",
      {},
      { status: 429, headers: { "Retry-After": String(f.retryAfterSeconds ?? 1) } },
    );
  }
  throw new SlackApiError(f.error, f.extra ?? {});
}

function answer(
  p: Pipeline,
  res: ServerResponse,
  method: string,
  args: Record<string, unknown>,
  error: SlackApiError | undefined,
  body?: Record<string, unknown>,
  acceptedScopes = "",
): void {
  const status = error?.status ?? 200;
  const out = error ? error.body() : (body ?? { ok: true });
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "X-OAuth-Scopes": p.scopes().join(","),
    "X-Accepted-OAuth-Scopes": acceptedScopes,
    ...(error?.headers ?? {}),
  });
  res.end(JSON.stringify(out));
  if (!error) for (const issue of p.responses.issues(method, out)) p.violation(`response ${method}: ${issue}`);
  p.record({ method, args, status, ok: !error, ...(error ? { error: error.code } : {}) });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Form (urlencoded or multipart: its text fields) or JSON arguments; throws on malformed JSON. */
async function parseArgs(raw: Buffer, contentType: string | undefined): Promise<Record<string, unknown>> {
  if (raw.length === 0) return {};
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("application/json")) {
    const v: unknown = JSON.parse(raw.toString("utf8"));
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  }
  if (type.startsWith("multipart/form-data")) {
    const form = await new Response(new Uint8Array(raw), { headers: { "content-type": contentType ?? "" } }).formData();
    const out: Record<string, unknown> = {};
    for (const [k, v] of form) if (typeof v === "string") out[k] = v;
    return out;
  }
  return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
}
