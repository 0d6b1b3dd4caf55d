/**
 * Checks REST requests against Discord's official OpenAPI description
 * (vendored in this package, vendor/discord/openapi.json): the path must match
 * a template, and path params, query params and JSON bodies (or the
 * payload_json part of a multipart body) must satisfy the schemas. The fake's own answers are held to
 * the same description, so the bridge is never tested against a shape Discord
 * does not send. The spec is 1.2 MB, so it is read once per process and each
 * operation's validators are compiled on first use.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { FieldError, FormErrors } from "./discord-errors.ts";
import { fieldError, mergeFormErrors } from "./discord-errors.ts";

type JsonObject = { [key: string]: unknown };

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly schema?: JsonObject;
  readonly required?: boolean;
}

interface Operation {
  readonly operationId?: string;
  readonly parameters?: Parameter[];
  readonly requestBody?: { content: Record<string, { schema?: JsonObject }>; required?: boolean };
  readonly responses?: Record<string, ResponseObject | { $ref: string }>;
  readonly security?: Array<Record<string, unknown>>;
}

interface ResponseObject {
  readonly content?: Record<string, { schema?: JsonObject }>;
}

type PathItem = { parameters?: Parameter[] } & Partial<Record<HttpMethod, Operation>>;
type HttpMethod = "get" | "put" | "post" | "patch" | "delete";

interface SpecDocument {
  readonly paths: Record<string, PathItem>;
  readonly components: JsonObject;
}

/** A path matched to a template of the spec. */
export interface RouteMatch {
  /** As written in the spec: `/channels/{channel_id}/messages`. */
  readonly template: string;
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** The methods the spec lists for this path, upper case. */
  readonly methods: readonly string[];
}

/** One reason the real API would reject a request. */
export interface SpecIssue {
  readonly where: "path" | "query" | "body";
  /** JSON pointer into the checked value: `/content`, `/embeds/0/title`. */
  readonly pointer: string;
  readonly field: FieldError;
  /** Ajv's wording, for the violation log. */
  readonly detail: string;
}

/** One way an answer of the fake differs from what Discord sends. */
export interface ResponseIssue {
  /** JSON pointer into the body: `/0/author/id`; empty for the status or the body as a whole. */
  readonly pointer: string;
  /** Ajv's wording, or what is wrong with the status or the presence of a body. */
  readonly detail: string;
}

/** What the body of a request was, for validation. */
export type CheckedBody = { kind: "none" } | { kind: "json" | "multipart"; value: unknown };

const SPEC_ID = "discord-openapi";
// The same depth from src/discord/ (tests) and dist/discord/ (the packed package), which ships vendor/.
const DEFAULT_SPEC = fileURLToPath(new URL("../../vendor/discord/openapi.json", import.meta.url));

/** Where the spec is read from: `PARLEY_DISCORD_OPENAPI`, else the copy vendored in this package. */
export function defaultSpecPath(): string {
  return process.env.PARLEY_DISCORD_OPENAPI ?? DEFAULT_SPEC;
}

const loaded = new Map<string, OpenApiCheck>();

/** The checker for the spec at `path`, shared by every fake in this process (validators are costly to compile). */
export function openApiCheck(path = defaultSpecPath()): OpenApiCheck {
  const cached = loaded.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    throw new Error(
      `Discord's OpenAPI description is not at ${path}; set PARLEY_DISCORD_OPENAPI or pass openapiPath to startFakeDiscord`,
    );
  }
  const doc = JSON.parse(readFileSync(path, "utf8")) as SpecDocument;
  if (typeof doc.paths !== "object" || typeof doc.components !== "object") {
    throw new Error(`${path} is not an OpenAPI document (no paths or components)`);
  }
  const check = new OpenApiCheck(doc);
  loaded.set(path, check);
  return check;
}

interface Template {
  readonly template: string;
  readonly segments: readonly string[];
  readonly item: PathItem;
}

interface OperationValidators {
  readonly params: ValidateFunction;
  readonly query: ValidateFunction;
  readonly queryTypes: ReadonlyMap<string, readonly string[]>;
  readonly bodies: Map<string, ValidateFunction>;
}

export class OpenApiCheck {
  private readonly doc: SpecDocument;
  private readonly templates: Template[];
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, OperationValidators>();
  private readonly responseValidators = new Map<string, ValidateFunction>();

  constructor(doc: SpecDocument) {
    this.doc = doc;
    this.templates = Object.entries(doc.paths).map(([template, item]) => ({
      template,
      segments: template.split("/").slice(1),
      item,
    }));
    this.ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false, validateSchema: false });
    addFormats.default(this.ajv);
    this.ajv.addFormat("snowflake", /^(0|[1-9][0-9]*)$/);
    this.ajv.addFormat("nonce", true);
    this.ajv.addSchema(withOverrides(rebase({ components: doc.components }) as JsonObject), SPEC_ID);
  }

  /** The template `path` (relative to `/api/v10`, not decoded) falls under; literal segments win over parameters. */
  match(path: string): RouteMatch | undefined {
    const parts = path.split("/").slice(1);
    let best: { t: Template; literals: number; params: Record<string, string> } | undefined;
    for (const t of this.templates) {
      if (t.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = t.segments[i] ?? "";
        const part = decodeSegment(parts[i] ?? "");
        if (part === undefined || part === "") ok = false;
        else if (seg.startsWith("{") && seg.endsWith("}")) params[seg.slice(1, -1)] = part;
        else if (seg === part) literals++;
        else ok = false;
      }
      if (ok && (!best || literals > best.literals)) best = { t, literals, params };
    }
    if (!best) return undefined;
    const methods = (["get", "put", "post", "patch", "delete"] as const)
      .filter((m) => best.t.item[m])
      .map((m) => m.toUpperCase());
    return { template: best.t.template, params: best.params, methods };
  }

  /** Whether the operation can be called without the bot token (webhook-token routes). */
  allowsAnonymous(template: string, method: string): boolean {
    const op = this.operation(template, method);
    return op?.security?.some((s) => Object.keys(s).length === 0) ?? false;
  }

  /** Everything in the request the spec rejects; empty when it conforms. */
  check(
    method: string,
    route: RouteMatch,
    query: URLSearchParams,
    body: CheckedBody,
    contentType: string | undefined,
  ): SpecIssue[] {
    const op = this.operation(route.template, method);
    if (!op) return [];
    const v = this.validatorsFor(route.template, method, op);
    const issues: SpecIssue[] = [];
    if (!v.params(route.params)) issues.push(...toIssues("path", v.params.errors));
    const q = coerceQuery(query, v.queryTypes);
    if (!v.query(q)) issues.push(...toIssues("query", v.query.errors));
    if (op.requestBody && body.kind !== "none" && method !== "GET") {
      const validate = this.bodyValidator(route.template, method, op, contentType, body.value);
      if (validate && !validate(body.value)) issues.push(...toIssues("body", validate.errors));
    }
    return issues;
  }

  /**
   * Everything in an answer that Discord would never send for this operation:
   * a status the spec does not list (exactly, as `4XX`, or as `default`), a
   * body on a status without content (a 204 never has one), no body where the
   * spec describes one, or a body its schema rejects. `body` is the value
   * before serialization, `undefined` for none. Operations the spec does not
   * describe are not checked.
   */
  checkResponse(method: string, template: string, status: number, body: unknown): ResponseIssue[] {
    const op = this.operation(template, method);
    if (!op?.responses) return [];
    const listed = Object.keys(op.responses);
    const key = [String(status), `${Math.floor(status / 100)}XX`, "default"].find((k) => listed.includes(k));
    if (key === undefined) {
      return [{ pointer: "", detail: `status ${status} is not one the spec lists (${listed.join(", ")})` }];
    }
    const validate = this.responseValidator(method, template, key, op);
    if (status === 204 || validate === null) {
      return body === undefined ? [] : [{ pointer: "", detail: `a ${status} answer has no body in the spec` }];
    }
    if (body === undefined) return [{ pointer: "", detail: `a ${status} answer has a JSON body in the spec` }];
    if (validate(body)) return [];
    return pruneUnionNoise(validate.errors ?? []).map((e) => ({
      pointer: e.keyword === "required" ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath,
      detail: e.keyword === "required" ? "is required" : (e.message ?? e.keyword),
    }));
  }

  /** The JSON schema validator of a response, `null` when it has no JSON content; shared schemas compile once. */
  private responseValidator(
    method: string,
    template: string,
    statusKey: string,
    op: Operation,
  ): ValidateFunction | null {
    const response = this.resolve(op.responses?.[statusKey]) as ResponseObject;
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) return null;
    const shared = typeof schema.$ref === "string" && Object.keys(schema).length === 1;
    const key = shared ? String(schema.$ref) : `${method} ${template} ${statusKey}`;
    let validate = this.responseValidators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema) as JsonObject);
      this.responseValidators.set(key, validate);
    }
    return validate;
  }

  private operation(template: string, method: string): Operation | undefined {
    const item = this.doc.paths[template];
    return item?.[method.toLowerCase() as HttpMethod];
  }

  private validatorsFor(template: string, method: string, op: Operation): OperationValidators {
    const key = `${method} ${template}`;
    const cached = this.validators.get(key);
    if (cached) return cached;
    const all = [...(this.doc.paths[template]?.parameters ?? []), ...(op.parameters ?? [])];
    const schemaFor = (where: string) => {
      const ps = all.filter((p) => p.in === where);
      return {
        type: "object",
        properties: Object.fromEntries(ps.map((p) => [p.name, rebase(p.schema ?? {})])),
        required: ps.filter((p) => p.required).map((p) => p.name),
      };
    };
    const queryTypes = new Map(
      all.filter((p) => p.in === "query").map((p) => [p.name, this.typesOf(p.schema ?? {})] as const),
    );
    const v: OperationValidators = {
      params: this.ajv.compile(schemaFor("path")),
      query: this.ajv.compile(schemaFor("query")),
      queryTypes,
      bodies: new Map(),
    };
    this.validators.set(key, v);
    return v;
  }

  /**
   * The validator for this body. Unions marked `x-discord-union` (webhook
   * execute, thread create) list variants that all accept most bodies, since
   * none forbids extra properties; the variant that declares the most of the
   * body's fields is the one Discord would parse it as, so only that one is
   * checked.
   */
  private bodyValidator(
    template: string,
    method: string,
    op: Operation,
    contentType: string | undefined,
    value: unknown,
  ): ValidateFunction | undefined {
    const content = op.requestBody?.content ?? {};
    const media = contentType?.startsWith("multipart/form-data")
      ? "multipart/form-data"
      : content["application/json"]
        ? "application/json"
        : Object.keys(content)[0];
    const schema = media ? content[media]?.schema : undefined;
    if (!schema) return undefined;
    let chosen: JsonObject = schema;
    let variant = -1;
    if (Array.isArray(schema.anyOf) && schema["x-discord-union"]) {
      const keys = value && typeof value === "object" ? Object.keys(value) : [];
      let bestScore = -1;
      schema.anyOf.forEach((branch: unknown, i: number) => {
        const declared = this.declaredProperties(branch);
        const score = keys.filter((k) => declared.has(k)).length;
        if (score > bestScore) {
          bestScore = score;
          variant = i;
          chosen = branch as JsonObject;
        }
      });
    }
    const key = `${method} ${template} ${media} ${variant}`;
    const v = this.validatorsFor(template, method, op);
    let validate = v.bodies.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(chosen) as JsonObject);
      v.bodies.set(key, validate);
    }
    return validate;
  }

  private resolve(schema: unknown): JsonObject {
    let s = schema as JsonObject;
    for (let hops = 0; hops < 20 && typeof s?.$ref === "string"; hops++) {
      const path = (s.$ref as string).replace(/^#\//, "").split("/");
      let node: unknown = this.doc;
      for (const p of path) node = (node as JsonObject | undefined)?.[p];
      s = (node ?? {}) as JsonObject;
    }
    return s ?? {};
  }

  private declaredProperties(schema: unknown, depth = 0): Set<string> {
    const s = this.resolve(schema);
    const out = new Set<string>(Object.keys((s.properties as JsonObject | undefined) ?? {}));
    if (depth < 5 && Array.isArray(s.allOf)) {
      for (const part of s.allOf) for (const k of this.declaredProperties(part, depth + 1)) out.add(k);
    }
    return out;
  }

  private typesOf(schema: JsonObject): string[] {
    const s = this.resolve(schema);
    const t = s.type;
    if (typeof t === "string") return [t];
    if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string");
    return [];
  }
}

/** `Value "x" is not snowflake.` and the other wordings Discord uses in 50035 answers. */
function toIssues(where: SpecIssue["where"], errors: ErrorObject[] | null | undefined): SpecIssue[] {
  const list = pruneUnionNoise(errors ?? []);
  const byPointer = new Map<string, ErrorObject[]>();
  for (const e of list) {
    const pointer = e.keyword === "required" ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
    byPointer.set(pointer, [...(byPointer.get(pointer) ?? []), e]);
  }
  const issues: SpecIssue[] = [];
  for (const [pointer, errs] of byPointer) {
    const consts = errs.filter((e) => e.keyword === "const" || e.keyword === "enum");
    const first = consts.length > 0 ? consts[0] : errs[0];
    if (!first) continue;
    const field =
      consts.length > 0
        ? {
            code: "BASE_TYPE_CHOICES",
            message: `Value must be one of (${consts.flatMap((e) => allowedOf(e)).join(", ")}).`,
          }
        : fieldErrorOf(first);
    issues.push({ where, pointer, field, detail: first.message ?? first.keyword });
  }
  return issues;
}

/**
 * Ajv reports every failed branch of a `oneOf`/`anyOf`; Discord reports what
 * is wrong with the value. Keep the most specific errors: drop the combinator
 * errors themselves and "must be null" when something deeper explains more.
 */
function pruneUnionNoise(errors: ErrorObject[]): ErrorObject[] {
  const combinators = new Set(["oneOf", "anyOf", "allOf", "not", "if"]);
  const explained = (e: ErrorObject) =>
    errors.some(
      (o) =>
        o !== e &&
        !combinators.has(o.keyword) &&
        !(o.keyword === "type" && o.params.type === "null") &&
        (o.instancePath === e.instancePath || o.instancePath.startsWith(`${e.instancePath}/`)),
    );
  const kept = errors.filter((e) => {
    if (combinators.has(e.keyword)) return !explained(e);
    if (e.keyword === "type" && e.params.type === "null") return !explained(e);
    return true;
  });
  return kept.length > 0 ? kept : errors.slice(0, 1);
}

function allowedOf(e: ErrorObject): unknown[] {
  if (e.keyword === "const") return [e.params.allowedValue];
  return Array.isArray(e.params.allowedValues) ? e.params.allowedValues : [];
}

function fieldErrorOf(e: ErrorObject): FieldError {
  const limit = e.params.limit;
  const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data);
  switch (e.keyword) {
    case "required":
      return { code: "BASE_TYPE_REQUIRED", message: "This field is required" };
    case "maxLength":
    case "maxItems":
    case "maxProperties":
      return { code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${limit} or fewer in length.` };
    case "minLength":
    case "minItems":
    case "minProperties":
      return { code: "BASE_TYPE_MIN_LENGTH", message: `Must be ${limit} or more in length.` };
    case "maximum":
      return { code: "NUMBER_TYPE_MAX", message: `int value should be less than or equal to ${limit}.` };
    case "minimum":
      return { code: "NUMBER_TYPE_MIN", message: `int value should be greater than or equal to ${limit}.` };
    case "pattern":
      return { code: "NUMBER_TYPE_COERCE", message: `Value "${data}" is not snowflake.` };
    case "format":
      if (e.params.format === "uri") return { code: "URL_TYPE_INVALID_URL", message: "Not a well formed URL." };
      if (e.params.format === "date-time") {
        return { code: "DATE_TYPE_PARSE", message: `Could not parse ${data}. Should be ISO8601.` };
      }
      return { code: "BASE_TYPE_BAD_TYPE", message: `Value "${data}" is not ${e.params.format}.` };
    case "type": {
      const expected = [e.params.type].flat().filter((t) => t !== "null");
      if (expected.includes("array")) {
        return { code: "LIST_TYPE_CONVERT", message: "Only iterables may be used in a ListType" };
      }
      if (expected.includes("object")) {
        return { code: "MODEL_TYPE_CONVERT", message: "Only dictionaries may be used in a ModelType" };
      }
      if (expected.includes("integer") || expected.includes("number")) {
        return { code: "NUMBER_TYPE_COERCE", message: `Value "${data}" is not int.` };
      }
      if (expected.includes("boolean")) return { code: "BASE_TYPE_BAD_TYPE", message: "Must be either true or false." };
      return { code: "BASE_TYPE_BAD_TYPE", message: `Could not interpret "${data}" as string.` };
    }
    default:
      return { code: "BASE_TYPE_BAD_TYPE", message: e.message ?? "Invalid value." };
  }
}

/** The `errors` object of a 50035 answer. */
export function formErrorsOf(issues: readonly SpecIssue[]): FormErrors {
  const out: FormErrors = {};
  for (const issue of issues) {
    const path = issue.pointer.split("/").slice(1).map(unescapePointer);
    mergeFormErrors(out, fieldError(path, issue.field));
  }
  return out;
}

/** One line for the violation log: `POST /channels/{channel_id}/messages: /content must be string,null`. */
export function describeIssues(method: string, template: string, issues: readonly SpecIssue[]): string {
  const parts = issues.map((i) => `${i.where === "body" ? "" : `${i.where} `}${i.pointer || "/"} ${i.detail}`);
  return `${method} ${template}: ${parts.join("; ")}`;
}

function coerceQuery(query: URLSearchParams, types: ReadonlyMap<string, readonly string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of query) {
    const t = types.get(name) ?? [];
    if ((t.includes("integer") || t.includes("number")) && /^-?\d+(\.\d+)?$/.test(raw)) out[name] = Number(raw);
    else if (t.includes("boolean") && /^(true|false|1|0)$/i.test(raw)) out[name] = /^(true|1)$/i.test(raw);
    else out[name] = raw;
  }
  return out;
}

/**
 * Where the spec is stricter than Discord itself, one named entry each; every
 * entry rewrites one schema of the registered copy, never the check as a whole.
 */
const SPEC_OVERRIDES: ReadonlyArray<{ readonly name: string; readonly apply: (components: JsonObject) => void }> = [
  {
    // The spec reuses the top-level Error (integer `code`) for the entries of
    // a 50035 answer's `_errors`, but Discord sends string codes there
    // (`{ "code": "BASE_TYPE_REQUIRED", "message": "This field is required" }`),
    // and discord.js reads them as strings.
    name: "field-error-codes-are-strings",
    apply: (components) => {
      const inner = (components.schemas as JsonObject | undefined)?.InnerErrors as JsonObject | undefined;
      const list = (inner?.properties as JsonObject | undefined)?._errors as JsonObject | undefined;
      if (!list) return;
      list.items = {
        type: "object",
        properties: { code: { type: "string" }, message: { type: "string" } },
        required: ["code", "message"],
      };
    },
  },
  {
    // RatelimitedResponse builds on Error and so requires `code`, but
    // Discord's rate-limit documentation gives `code` only "for some limits"
    // (40062 and the like) and its examples of a plain 429 have none;
    // discord-api-types has it optional too.
    name: "rate-limit-code-is-optional",
    apply: (components) => {
      const schemas = components.schemas as JsonObject | undefined;
      const limited = schemas?.RatelimitedResponse as JsonObject | undefined;
      const error = schemas?.Error as JsonObject | undefined;
      if (!limited || !error || !Array.isArray(limited.allOf)) return;
      limited.allOf = limited.allOf.map((part: unknown) =>
        (part as JsonObject | undefined)?.$ref === `${SPEC_ID}#/components/schemas/Error`
          ? { ...error, required: ["message"] }
          : part,
      );
    },
  },
];

/** The names of the entries in which this checker departs from the spec, for reports. */
export const specOverrides: readonly string[] = SPEC_OVERRIDES.map((o) => o.name);

function withOverrides(doc: JsonObject): JsonObject {
  const components = doc.components as JsonObject;
  for (const o of SPEC_OVERRIDES) o.apply(components);
  return doc;
}

const MAX_LOGGED_ISSUES = 10;

/** One line for the violation log, worded as the fake's fault: `response GET /users/@me 200: /id must be string`. */
export function describeResponseIssues(
  method: string,
  template: string,
  status: number,
  issues: readonly ResponseIssue[],
): string {
  const parts = [...new Set(issues.map((i) => (i.pointer ? `${i.pointer} ${i.detail}` : i.detail)))];
  // A page of a hundred messages with the same fault would otherwise be one unreadable line.
  const shown = parts.slice(0, MAX_LOGGED_ISSUES);
  if (parts.length > shown.length) shown.push(`and ${parts.length - shown.length} more`);
  return `response ${method} ${template} ${status}: ${shown.join("; ")}`;
}

/** Copies a schema, pointing its local `#/components/...` references at the registered spec. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!schema || typeof schema !== "object") return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${SPEC_ID}${v}` : rebase(v);
  }
  return out;
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function unescapePointer(s: string): string {
  return s.replaceAll("~1", "/").replaceAll("~0", "~");
}
