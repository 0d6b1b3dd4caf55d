/**
 * Content types and filenames come from strangers (a remote CDN, a user's
 * upload) and end up in HTTP headers and on disk. These functions reduce them
 * to values that cannot inject a header, escape a directory or spoof an
 * extension, while keeping what is legitimately there: a `text/html` upload
 * stays `text/html` (the server that serves it decides how to neutralize it).
 */

export const FALLBACK_CONTENT_TYPE = "application/octet-stream";

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,127}$/;

/**
 * `type/subtype` in lower case, plus a `charset` parameter when it is a plain
 * token; anything that does not parse becomes application/octet-stream.
 */
export function sanitizeContentType(raw: string | undefined | null): string {
  if (typeof raw !== "string" || raw.length > 1024) return FALLBACK_CONTENT_TYPE;
  const [essence = "", ...params] = raw.split(";");
  const slash = essence.indexOf("/");
  if (slash < 0) return FALLBACK_CONTENT_TYPE;
  const type = essence.slice(0, slash).trim().toLowerCase();
  const subtype = essence
    .slice(slash + 1)
    .trim()
    .toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return FALLBACK_CONTENT_TYPE;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    const value = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    if (TOKEN.test(value) && value.length <= 40) return `${type}/${subtype}; charset=${value}`;
  }
  return `${type}/${subtype}`;
}

/** The part of a content type before its parameters. */
export function contentTypeEssence(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim();
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/avif": "avif",
  "image/heic": "heic",
  "image/bmp": "bmp",
  "image/svg+xml": "svg",
  "image/x-icon": "ico",
  "image/vnd.microsoft.icon": "ico",
  "video/mp4": "mp4",
  "video/webm": "webm",
  "video/quicktime": "mov",
  "video/ogg": "ogv",
  "audio/mpeg": "mp3",
  "audio/ogg": "ogg",
  "audio/opus": "opus",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/aac": "aac",
  "audio/mp4": "m4a",
  "audio/flac": "flac",
  "audio/webm": "weba",
  "application/pdf": "pdf",
  "application/zip": "zip",
  "application/gzip": "gz",
  "application/json": "json",
  "application/xml": "xml",
  "text/plain": "txt",
  "text/markdown": "md",
  "text/csv": "csv",
  "text/html": "html",
  "text/css": "css",
  "text/xml": "xml",
};

/** A short alphanumeric extension for a (sanitized) content type; `bin` when unknown. */
export function extensionFor(contentType: string): string {
  return EXTENSIONS[contentTypeEssence(contentType).toLowerCase()] ?? "bin";
}

const MAX_FILENAME_BYTES = 255;

/**
 * The last path segment only, without control characters, bidirectional
 * overrides (which make `cod.exe` display as `exe.doc`) or surrounding
 * spaces and dots, cut to 255 UTF-8 bytes keeping the extension. `undefined`
 * when nothing usable is left.
 */
export function sanitizeFilename(raw: string | undefined | null): string | undefined {
  if (typeof raw !== "string") return undefined;
  const segments = raw.slice(0, 4096).split(/[/\\]/);
  const last = segments[segments.length - 1] ?? "";
  const cleaned = last
    .normalize("NFC")
    // Controls (C0, DEL, C1); bidi marks, embeddings, overrides and isolates; zero-width space and BOM.
    .replace(/\p{Cc}|[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu, "")
    .replace(/^[\s.]+|[\s.]+$/gu, "");
  if (cleaned === "") return undefined;
  return truncateUtf8KeepingExtension(cleaned, MAX_FILENAME_BYTES);
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Cuts whole code points (never half a surrogate pair) until `s` fits in `max` bytes. */
function truncateUtf8(s: string, max: number): string {
  if (utf8Length(s) <= max) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

function truncateUtf8KeepingExtension(name: string, max: number): string {
  if (utf8Length(name) <= max) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 17 ? name.slice(dot) : "";
  return truncateUtf8(name.slice(0, name.length - ext.length), max - utf8Length(ext)) + ext;
}
