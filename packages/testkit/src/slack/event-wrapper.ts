/**
 * The `event_callback` wrapper every Events API event travels in, over HTTP
 * and inside Socket Mode envelopes alike, checked against Slack's published
 * wrapper schema (vendor/slack/event-wrapper-schema.json) so the fake never
 * sends a shape Slack does not. The 2021 schema still requires
 * `authed_users`, which Slack has since replaced by `authorizations`: both
 * are sent.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { randomHex } from "./ids.ts";

const SCHEMA = fileURLToPath(new URL("../../vendor/slack/event-wrapper-schema.json", import.meta.url));
let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(SCHEMA, "utf8")) as Record<string, unknown>;
    delete schema.$schema;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator;
}

export interface WrapperContext {
  readonly verificationToken: string;
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
}

export function eventCallback(
  ctx: WrapperContext,
  event: Record<string, unknown>,
  eventId: string,
): Record<string, unknown> {
  return {
    token: ctx.verificationToken,
    team_id: ctx.teamId,
    context_team_id: ctx.teamId,
    context_enterprise_id: null,
    api_app_id: ctx.appId,
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: ctx.teamId, user_id: ctx.botUserId, is_bot: true, is_enterprise_install: false },
    ],
    authed_users: [ctx.botUserId],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(`${ctx.teamId}:${randomHex(6)}`).toString("base64url")}`,
  };
}

/** Where the payload departs from Slack's wrapper schema; empty when it conforms. */
export function wrapperIssues(payload: unknown): string[] {
  const v = validate();
  if (v(payload)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
}
