/**
 * Turns a create/edit message request (JSON or multipart) into what the
 * message store takes, enforcing the limits the real API applies beyond the
 * OpenAPI schema: 2000 characters of content for bots, 6000 characters of
 * embeds, at most 10 files of at most 10 MiB each, no empty messages, and
 * webhook usernames without "discord" or "clyde".
 */
import type { APIEmbed } from "discord-api-types/v10";
import type { NewAttachment } from "./attachment-store.ts";
import { emptyMessage, entityTooLarge, fieldError, invalidFormBody } from "./discord-errors.ts";
import type { AllowedMentions } from "./mentions.ts";
import type { MessageEdit, NewMessage } from "./message-store.ts";
import type { UploadedFile } from "./request-body.ts";

export const MAX_CONTENT = 2000;
export const MAX_FILES = 10;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_EMBED_CHARS = 6000;

type Body = Record<string, unknown>;

interface AttachmentEntry {
  readonly id: string;
  readonly filename?: string;
  readonly description?: string;
  readonly title?: string;
}

/** POST /channels/{id}/messages, webhook execute and the `message` of a forum post. */
export function newMessageFrom(body: Body, files: readonly UploadedFile[]): NewMessage {
  checkLimits(body, files);
  const attachments = attachmentsFrom(body, files).added;
  const stickerIds = stringList(body.sticker_ids);
  const embeds = Array.isArray(body.embeds) ? (body.embeds as APIEmbed[]) : [];
  const content = typeof body.content === "string" ? body.content : "";
  const hasComponents = Array.isArray(body.components) && body.components.length > 0;
  if (!content.trim() && embeds.length === 0 && attachments.length === 0 && stickerIds.length === 0) {
    if (!hasComponents && !body.poll) throw emptyMessage();
  }
  const ref = body.message_reference as { message_id?: string; channel_id?: string } | null | undefined;
  return {
    content,
    embeds,
    attachments,
    stickerIds,
    ...(ref?.message_id ? { replyTo: { messageId: ref.message_id, channelId: ref.channel_id ?? undefined } } : {}),
    ...(typeof body.nonce === "string" || typeof body.nonce === "number" ? { nonce: body.nonce } : {}),
    enforceNonce: body.enforce_nonce === true,
    allowedMentions: (body.allowed_mentions as AllowedMentions | null | undefined) ?? undefined,
    tts: body.tts === true,
    flags: typeof body.flags === "number" ? body.flags : 0,
  };
}

/** PATCH of a message: only what the body names changes. */
export function messageEditFrom(body: Body, files: readonly UploadedFile[]): MessageEdit {
  checkLimits(body, files);
  const { kept, added } = attachmentsFrom(body, files);
  return {
    ...(body.content !== undefined ? { content: typeof body.content === "string" ? body.content : null } : {}),
    ...(body.embeds !== undefined ? { embeds: Array.isArray(body.embeds) ? (body.embeds as APIEmbed[]) : null } : {}),
    ...(Array.isArray(body.attachments) ? { keepAttachments: kept } : {}),
    newAttachments: added,
    allowedMentions: (body.allowed_mentions as AllowedMentions | null | undefined) ?? undefined,
    ...(typeof body.flags === "number" ? { flags: body.flags } : {}),
  };
}

/** Discord refuses webhook names that impersonate it (and the `everyone`/`here` pseudo-users). */
export function checkWebhookName(field: "username" | "name", name: unknown): void {
  if (typeof name !== "string") return;
  const lower = name.toLowerCase();
  for (const word of ["discord", "clyde"]) {
    if (lower.includes(word)) {
      throw invalidFormBody(
        fieldError([field], { code: "USERNAME_INVALID_CONTAINS", message: `Username cannot contain "${word}"` }),
      );
    }
  }
  if (lower === "everyone" || lower === "here") {
    throw invalidFormBody(fieldError([field], { code: "USERNAME_INVALID", message: `Username cannot be "${lower}"` }));
  }
}

function checkLimits(body: Body, files: readonly UploadedFile[]): void {
  if (typeof body.content === "string" && [...body.content].length > MAX_CONTENT) {
    throw invalidFormBody(
      fieldError(["content"], { code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${MAX_CONTENT} or fewer in length.` }),
    );
  }
  if (Array.isArray(body.embeds)) {
    const chars = (body.embeds as APIEmbed[]).reduce((n, e) => n + embedChars(e), 0);
    if (chars > MAX_EMBED_CHARS) {
      throw invalidFormBody(
        fieldError(["embeds"], {
          code: "BASE_TYPE_MAX_LENGTH",
          message: `Embed size exceeds maximum size of ${MAX_EMBED_CHARS}`,
        }),
      );
    }
  }
  if (files.length > MAX_FILES) {
    throw invalidFormBody(
      fieldError(["files"], { code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${MAX_FILES} or fewer in length.` }),
    );
  }
  if (files.some((f) => f.bytes.byteLength > MAX_FILE_BYTES)) throw entityTooLarge();
}

function embedChars(e: APIEmbed): number {
  const fields = (e.fields ?? []).reduce((n, f) => n + (f.name?.length ?? 0) + (f.value?.length ?? 0), 0);
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    (e.footer?.text?.length ?? 0) +
    (e.author?.name?.length ?? 0) +
    fields
  );
}

/**
 * `attachments` entries either name an uploaded file by its `files[n]` index
 * (new) or an existing attachment by its snowflake (kept, on edits). Uploaded
 * files no entry names are attached as they are.
 */
function attachmentsFrom(body: Body, files: readonly UploadedFile[]): { kept: string[]; added: NewAttachment[] } {
  const entries = (Array.isArray(body.attachments) ? body.attachments : []) as AttachmentEntry[];
  const kept: string[] = [];
  const added: NewAttachment[] = [];
  const used = new Set<UploadedFile>();
  for (const entry of entries) {
    const id = String(entry.id);
    const file = files.find((f) => f.index !== undefined && String(f.index) === id);
    if (file) {
      used.add(file);
      added.push(toAttachment(file, entry));
    } else {
      kept.push(id);
    }
  }
  for (const file of files) if (!used.has(file)) added.push(toAttachment(file, undefined));
  return { kept, added };
}

function toAttachment(file: UploadedFile, entry: AttachmentEntry | undefined): NewAttachment {
  return {
    filename: entry?.filename ?? file.filename,
    contentType: file.contentType,
    bytes: file.bytes,
    ...(entry?.description ? { description: entry.description } : {}),
    ...(entry?.title ? { title: entry.title } : {}),
  };
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}
