/**
 * Holds the fake's successful answers to the success schema Slack's Web API
 * description gives for each method (vendor/slack/web-api-openapi-v2.json),
 * so the bridge is not tested against a shape Slack does not send. A
 * departure is a `violations` line starting `response `. The 2021 schemas
 * lack fields Slack has added since (TOP_LEVEL_ADDITIONS, withCorrections and
 * withMethodCorrections, with where they come from); methods the description
 * lacks are not checked.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

type Json = { [key: string]: unknown };

interface SpecDocument {
  readonly paths: Record<string, Partial<Record<"get" | "post", { responses?: Record<string, { schema?: Json }> }>>>;
  readonly definitions: Json;
}

/**
 * Fields of today's answers the 2021 success schemas do not list (they set
 * additionalProperties: false): `response_metadata` (cursor pagination and
 * warnings, on every method since 2019) and `warning` (conversations.join's
 * already_in_channel).
 */
const TOP_LEVEL_ADDITIONS: Json = {
  response_metadata: { type: "object" },
  warning: { type: "string" },
};

/**
 * Corrections to the 2021 definitions, each a field today's Slack sends that
 * the description refuses: a bot message's `app_id` (docs.slack.dev
 * "message" event reference), an edited message's `edited`, a tombstone's
 * `hidden` and a thread's `is_locked`, and a message's `metadata` (message metadata), a file's `file_access` (files.info reference),
 * a file's `shares`, keyed by channel id, which the description closes
 * to every key, and the team's `url` and `is_verified` (team.info reference).
 */
function withCorrections(definitions: Json): Json {
  const d = structuredClone(definitions) as Record<string, { properties?: Json }>;
  const message = d.objs_message?.properties;
  if (message) {
    message.app_id = { type: "string" };
    // An edited message's `edited` (who, when), as conversations.history lists it (docs.slack.dev "message" reference).
    message.edited = {
      type: "object",
      properties: { user: { type: "string" }, ts: { type: "string" } },
      required: ["user", "ts"],
    };
    // A tombstone (the first message of a thread, deleted while it has replies) is `hidden`, and a thread's first
    // message says whether it is `is_locked`: both in what conversations.history lists today.
    message.hidden = { type: "boolean" };
    message.is_locked = { type: "boolean" };
    // Message metadata (2022, docs.slack.dev/messaging/message-metadata): chat.postMessage's `metadata`, read
    // back by conversations.history and conversations.replies with include_all_metadata.
    message.metadata = {
      type: "object",
      properties: { event_type: { type: "string" }, event_payload: { type: "object" } },
      required: ["event_type", "event_payload"],
    };
  }
  const file = d.objs_file?.properties;
  if (file) {
    file.file_access = { type: "string" };
    file.shares = { type: "object" };
  }
  const team = d.objs_team?.properties;
  if (team) {
    team.url = { type: "string" };
    team.is_verified = { type: "boolean" };
  }
  return d;
}

/**
 * Corrections to the 2021 success schemas of single methods. conversations.history
 * says `messages` has at least one item, but Slack answers `messages: []` for an
 * empty channel or an `oldest` past the last message (conversations.history
 * reference, "messages" may be empty; a bridge's catch-up reads exactly that).
 * conversations.replies needs none: its schema sets no minimum and its answer
 * always holds the thread's root.
 */
function withMethodCorrections(method: string, schema: Json): Json {
  if (method === "conversations.history") {
    const messages = (schema.properties as Record<string, Json> | undefined)?.messages;
    if (messages) delete messages.minItems;
  }
  return schema;
}

const loaded = new Map<string, ResponseCheck>();

export function responseCheck(specPath: string): ResponseCheck {
  const cached = loaded.get(specPath);
  if (cached) return cached;
  const doc = JSON.parse(readFileSync(specPath, "utf8")) as SpecDocument;
  const check = new ResponseCheck(doc);
  loaded.set(specPath, check);
  return check;
}

export class ResponseCheck {
  private readonly doc: SpecDocument;
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(doc: SpecDocument) {
    this.doc = doc;
    addFormats.default(this.ajv);
    this.ajv.addSchema({ definitions: rebase(withCorrections(doc.definitions)) }, "slack");
  }

  /** Where a successful answer departs from the method's success schema; empty when it conforms or there is none. */
  issues(method: string, body: unknown): string[] {
    const v = this.validator(method);
    if (!v || v(body)) return [];
    return (v.errors ?? []).map(
      (e) =>
        `${e.instancePath || "/"} ${e.message ?? "invalid"}${e.keyword === "additionalProperties" ? `: ${String(e.params.additionalProperty)}` : ""}`,
    );
  }

  private validator(method: string): ValidateFunction | null {
    const cached = this.validators.get(method);
    if (cached !== undefined) return cached;
    const item = this.doc.paths[`/${method}`];
    const schema = (item?.post ?? item?.get)?.responses?.["200"]?.schema;
    let v: ValidateFunction | null = null;
    if (schema) {
      const s = withMethodCorrections(method, rebase(schema) as Json);
      s.properties = { ...(s.properties as Json), ...TOP_LEVEL_ADDITIONS };
      v = this.ajv.compile(s);
    }
    this.validators.set(method, v);
    return v;
  }
}

function rebase(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x).replaceAll('"#/definitions/', '"slack#/definitions/'));
}
