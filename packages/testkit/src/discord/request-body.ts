/**
 * Request bodies as Discord accepts them: JSON, or multipart/form-data with a
 * `payload_json` part (or plain form fields) and files under `files[n]`.
 */

export interface UploadedFile {
  /** The form field: `files[0]`, `file`... */
  readonly field: string;
  /** n of `files[n]`, which attachment entries refer to by `id`. */
  readonly index: number | undefined;
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export type ParsedBody =
  | { readonly kind: "none" }
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "multipart"; readonly value: Record<string, unknown>; readonly files: readonly UploadedFile[] }
  | { readonly kind: "invalid"; readonly reason: string };

export async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (raw.length === 0) return { kind: "none" };
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) return parseMultipart(raw, contentType ?? "");
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return { kind: "json", value: Object.fromEntries(new URLSearchParams(raw.toString("utf8"))) };
  }
  try {
    return { kind: "json", value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return { kind: "invalid", reason: "The request body contains invalid JSON." };
  }
}

async function parseMultipart(raw: Buffer, contentType: string): Promise<ParsedBody> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData();
  } catch {
    return { kind: "invalid", reason: "The multipart body could not be parsed." };
  }
  const value: Record<string, unknown> = {};
  const files: UploadedFile[] = [];
  for (const [field, entry] of form) {
    if (typeof entry === "string") {
      if (field === "payload_json") {
        try {
          const parsed: unknown = JSON.parse(entry);
          if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(value, parsed);
          else return { kind: "invalid", reason: "payload_json is not a JSON object." };
        } catch {
          return { kind: "invalid", reason: "The request body contains invalid JSON." };
        }
      } else {
        value[field] = entry;
      }
      continue;
    }
    const m = /^files\[(\d+)\]$/.exec(field);
    files.push({
      field,
      index: m ? Number(m[1]) : undefined,
      filename: entry.name || field,
      contentType: entry.type || "application/octet-stream",
      bytes: new Uint8Array(await entry.arrayBuffer()),
    });
  }
  return { kind: "multipart", value, files };
}
