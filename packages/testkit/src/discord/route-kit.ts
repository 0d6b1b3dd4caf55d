/**
 * What every REST route handler gets and returns, and the lookups they share
 * (a channel the bot can see, a message in it), each failing with the error
 * Discord answers.
 */
import type { APIChannel, APIMessage } from "discord-api-types/v10";
import type { Directory } from "./directory.ts";
import { missingAccess, missingPermissions, unknownChannel, unknownMessage } from "./discord-errors.ts";
import type { MessageStore } from "./message-store.ts";
import type { DeniablePermission } from "./permissions.ts";
import type { UploadedFile } from "./request-body.ts";
import type { WebhookStore } from "./webhook-store.ts";

export interface RestWorld {
  readonly dir: Directory;
  readonly store: MessageStore;
  readonly webhooks: WebhookStore;
  readonly gatewayUrl: string;
  readonly applicationId: string;
  /** The application's flags: which privileged intents are turned on. */
  applicationFlags(): number;
  /** Sessions started so far, for session_start_limit. */
  sessionStarts(): number;
}

export interface RouteRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body, or the payload_json/fields of a multipart body; `{}` without a body. */
  readonly json: Record<string, unknown>;
  readonly files: readonly UploadedFile[];
}

export interface RouteAnswer {
  readonly status: number;
  readonly body?: unknown;
}

export type Route = (w: RestWorld, r: RouteRequest) => RouteAnswer;

export const ok = (body: unknown): RouteAnswer => ({ status: 200, body });
export const created = (body: unknown): RouteAnswer => ({ status: 201, body });
export const noContent = (): RouteAnswer => ({ status: 204 });

/** A channel the bot can see; a ViewChannel denial answers 50001 Missing Access as Discord does. */
export function visibleChannel(w: RestWorld, channelId: string): APIChannel {
  const c = w.dir.channel(channelId);
  if (!c) throw unknownChannel();
  if (w.dir.lacks(channelId, "ViewChannel")) throw missingAccess();
  return c;
}

export function needPermission(w: RestWorld, channelId: string, permission: DeniablePermission): void {
  if (w.dir.lacks(channelId, permission)) throw missingPermissions();
}

export function existingMessage(w: RestWorld, channelId: string, messageId: string): APIMessage {
  const m = w.store.get(channelId, messageId);
  if (!m) throw unknownMessage();
  return m;
}

export function param(r: RouteRequest, name: string): string {
  return r.params[name] ?? "";
}

export function intQuery(r: RouteRequest, name: string, fallback: number): number {
  const v = r.query.get(name);
  return v !== null && /^\d+$/.test(v) ? Number(v) : fallback;
}
