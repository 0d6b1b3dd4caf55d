/**
 * Checks a Web API call's arguments against Slack's own description of the
 * method (vendored: vendor/slack/web-api-openapi-v2.json, OpenAPI 2.0 from
 * slackapi/slack-api-specs). Slack takes every argument alike whether it
 * comes in the query string, a form body or a JSON body, so the checker
 * merges them and builds one JSON schema per method from its `parameters`
 * (name, type, required), compiled by ajv once per process. Form values are
 * strings: ajv coerces them to the declared boolean/integer/number types, and
 * "1"/"0" count as booleans as Slack reads them. A JSON body may carry an
 * array or object where the description says "string" (blocks, attachments,
 * files): that is the JSON-encoded argument, accepted as is.
 *
 * The description dates from 2021, so methods and arguments Slack added since
 * are described here from Slack's method documentation (METHOD_ADDITIONS,
 * ARGUMENT_ADDITIONS), each saying where it comes from. `token` and `team_id`
 * are accepted on every method (the WebClient adds `team_id` once bolt knows
 * the team).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

type ParamType = "string" | "boolean" | "integer" | "number";

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly type?: string;
  readonly required?: boolean;
}

interface SpecDocument {
  readonly swagger?: string;
  readonly paths: Record<string, Partial<Record<"get" | "post", { parameters?: Parameter[] }>>>;
}

export interface MethodArgs {
  readonly params: ReadonlyArray<{ name: string; type: ParamType; required: boolean }>;
}

/**
 * Methods the 2021 description lacks, from Slack's method reference
 * (docs.slack.dev/reference/methods/<method>): Socket Mode's
 * apps.connections.open and the external upload flow that replaced files.upload.
 */
const METHOD_ADDITIONS: Record<string, MethodArgs> = {
  "apps.connections.open": { params: [] },
  "files.getUploadURLExternal": {
    params: [
      { name: "filename", type: "string", required: true },
      { name: "length", type: "integer", required: true },
      { name: "alt_txt", type: "string", required: false },
      // @slack/web-api sends `alt_text`, which Slack takes too.
      { name: "alt_text", type: "string", required: false },
      { name: "snippet_type", type: "string", required: false },
    ],
  },
  "files.completeUploadExternal": {
    params: [
      { name: "files", type: "string", required: true },
      { name: "channel_id", type: "string", required: false },
      { name: "channels", type: "string", required: false },
      { name: "initial_comment", type: "string", required: false },
      { name: "thread_ts", type: "string", required: false },
      { name: "blocks", type: "string", required: false },
    ],
  },
};

/** Arguments added to described methods since 2021, from the same reference pages. */
const ARGUMENT_ADDITIONS: Record<string, MethodArgs["params"]> = {
  "chat.postMessage": [
    { name: "metadata", type: "string", required: false },
    { name: "markdown_text", type: "string", required: false },
  ],
  "chat.update": [
    { name: "metadata", type: "string", required: false },
    { name: "file_ids", type: "string", required: false },
    { name: "reply_broadcast", type: "boolean", required: false },
  ],
  "conversations.history": [{ name: "include_all_metadata", type: "boolean", required: false }],
  "conversations.replies": [{ name: "include_all_metadata", type: "boolean", required: false }],
};

/** Accepted on every method. */
const COMMON: MethodArgs["params"] = [
  { name: "token", type: "string", required: false },
  { name: "team_id", type: "string", required: false },
];

// The same depth from src/slack/ (tests) and dist/slack/ (the packed package), which ships vendor/.
const DEFAULT_SPEC = fileURLToPath(new URL("../../vendor/slack/web-api-openapi-v2.json", import.meta.url));

export type ArgCheckResult =
  | { readonly ok: true; readonly args: Record<string, unknown>; readonly unknown: readonly string[] }
  | { readonly ok: false; readonly kind: "unknown_method" }
  | { readonly ok: false; readonly kind: "invalid"; readonly messages: string[]; readonly missing: string[] };

const loaded = new Map<string, ArgCheck>();

/** The checker for the description at `path`, shared by every fake in the process. */
export function argCheck(path = process.env.PARLEY_SLACK_OPENAPI ?? DEFAULT_SPEC): ArgCheck {
  const cached = loaded.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    throw new Error(
      `Slack's Web API description is not at ${path}; set PARLEY_SLACK_OPENAPI or pass openapiPath to startFakeSlack`,
    );
  }
  const doc = JSON.parse(readFileSync(path, "utf8")) as SpecDocument;
  if (typeof doc.paths !== "object") throw new Error(`${path} is not an OpenAPI document (no paths)`);
  const check = new ArgCheck(doc, path);
  loaded.set(path, check);
  return check;
}

export class ArgCheck {
  /** The description's path, for the response checker. */
  readonly specPath: string;
  private readonly methods = new Map<string, MethodArgs>();
  private readonly ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(doc: SpecDocument, specPath: string) {
    this.specPath = specPath;
    for (const [path, item] of Object.entries(doc.paths)) {
      const op = item.post ?? item.get;
      if (!op) continue;
      const params = (op.parameters ?? [])
        .filter((p) => p.name !== "token")
        .map((p) => ({ name: p.name, type: paramType(p.type), required: p.required === true }));
      this.methods.set(path.replace(/^\//, ""), { params });
    }
    for (const [method, args] of Object.entries(METHOD_ADDITIONS)) this.methods.set(method, args);
    for (const [method, extra] of Object.entries(ARGUMENT_ADDITIONS)) {
      const m = this.methods.get(method);
      if (m) this.methods.set(method, { params: [...m.params, ...extra] });
    }
  }

  knows(method: string): boolean {
    return this.methods.has(method);
  }

  /**
   * Checks and types the arguments: booleans, integers and numbers come back
   * as such; `unknown` names arguments the method does not take.
   */
  check(method: string, raw: Record<string, unknown>): ArgCheckResult {
    const m = this.methods.get(method);
    if (!m) return { ok: false, kind: "unknown_method" };
    const params = [...m.params, ...COMMON];
    const args: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [name, value] of Object.entries(raw)) {
      const p = params.find((x) => x.name === name);
      if (!p) {
        unknown.push(name);
        continue;
      }
      args[name] = normalise(value, p.type);
    }
    const validate = this.validator(method, params);
    const original = { ...args };
    if (!validate(args)) {
      const errors = validate.errors ?? [];
      return {
        ok: false,
        kind: "invalid",
        messages: errors.map(describe),
        missing: errors.filter((e) => e.keyword === "required").map((e) => String(e.params.missingProperty)),
      };
    }
    // Timestamps (`ts`, `latest`, `oldest`) are "number" in the description, but a float cannot hold their
    // six decimals: a valid one is kept as the string it came as.
    for (const p of params) {
      if (p.type === "number" && typeof original[p.name] === "string") args[p.name] = original[p.name];
    }
    return { ok: true, args, unknown };
  }

  private validator(method: string, params: MethodArgs["params"]): ValidateFunction {
    let v = this.validators.get(method);
    if (!v) {
      v = this.ajv.compile({
        type: "object",
        properties: Object.fromEntries(params.map((p) => [p.name, { type: p.type }])),
        required: params.filter((p) => p.required).map((p) => p.name),
      });
      this.validators.set(method, v);
    }
    return v;
  }
}

function paramType(t: string | undefined): ParamType {
  return t === "boolean" || t === "integer" || t === "number" ? t : "string";
}

/** A JSON-encoded argument given as JSON, and Slack's "1"/"0" booleans. */
function normalise(value: unknown, type: ParamType): unknown {
  if (type === "string" && value !== null && typeof value === "object") return JSON.stringify(value);
  if (type === "string" && (typeof value === "number" || typeof value === "boolean")) return String(value);
  if (type === "boolean" && (value === "1" || value === "0")) return value === "1";
  return value;
}

/** Slack's wording for argument errors: `must provide a string [json-pointer:/channel]`. */
function describe(e: ErrorObject): string {
  if (e.keyword === "required") return `missing required field: ${String(e.params.missingProperty)}`;
  return `${e.message ?? "invalid value"} [json-pointer:${e.instancePath}]`;
}
