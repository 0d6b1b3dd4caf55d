/**
 * Files as Slack keeps them: a file object (files.info's shape) with its
 * bytes, served at `url_private` / `url_private_download` only to a request
 * carrying the bot token (`Authorization: Bearer xoxb-...`), as Slack does;
 * and the uploads of the external flow (files.getUploadURLExternal gives an
 * id and an upload URL, the client POSTs the bytes there, then
 * files.completeUploadExternal makes the file and shares it).
 */
import type { IdSource } from "./ids.ts";
import { randomHex } from "./ids.ts";

export interface StoredFile {
  readonly file: Record<string, unknown> & { id: string; name: string; size: number };
  readonly bytes: Uint8Array;
}

export interface PendingUpload {
  readonly id: string;
  readonly filename: string;
  readonly length: number;
  readonly key: string;
  readonly altText?: string;
  bytes?: Uint8Array;
  completed: boolean;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  txt: "text/plain",
  pdf: "application/pdf",
  mp4: "video/mp4",
  ogg: "audio/ogg",
  mp3: "audio/mpeg",
  json: "application/json",
};

export function mimetypeOf(name: string): string {
  const ext = name.split(".").pop()?.toLowerCase() ?? "";
  return MIME_BY_EXTENSION[ext] ?? "application/octet-stream";
}

export class FileStore {
  private readonly ids: IdSource;
  private readonly baseUrl: string;
  private readonly teamId: string;
  private readonly teamDomain: string;
  private readonly files = new Map<string, StoredFile>();
  private readonly uploads = new Map<string, PendingUpload>();

  constructor(o: { ids: IdSource; baseUrl: string; teamId: string; teamDomain: string }) {
    this.ids = o.ids;
    this.baseUrl = o.baseUrl;
    this.teamId = o.teamId;
    this.teamDomain = o.teamDomain;
  }

  /** A file owned by `user`, with the URLs Slack gives (url_private needs the bot token). */
  create(o: {
    user: string;
    name: string;
    title?: string;
    mimetype?: string;
    bytes: Uint8Array;
    id?: string;
    altText?: string;
  }): StoredFile {
    const id = o.id ?? this.ids.id("F");
    const t = Math.floor(Date.now() / 1000);
    const mimetype = o.mimetype ?? mimetypeOf(o.name);
    const ext = o.name.includes(".") ? (o.name.split(".").pop() ?? "") : "";
    const path = `${this.teamId}-${id}/${encodeURIComponent(o.name)}`;
    const file = {
      id,
      created: t,
      timestamp: t,
      name: o.name,
      title: o.title ?? o.name,
      mimetype,
      filetype: ext.toLowerCase() || "binary",
      pretty_type: ext.toUpperCase() || "Binary",
      user: o.user,
      user_team: this.teamId,
      editable: false,
      size: o.bytes.length,
      mode: "hosted",
      is_external: false,
      external_type: "",
      is_public: true,
      public_url_shared: false,
      display_as_bot: false,
      username: "",
      url_private: `${this.baseUrl}/files-pri/${path}`,
      url_private_download: `${this.baseUrl}/files-pri/${this.teamId}-${id}/download/${encodeURIComponent(o.name)}`,
      permalink: `https://${this.teamDomain}.slack.com/files/${o.user}/${id}/${encodeURIComponent(o.name)}`,
      permalink_public: `https://slack-files.com/${this.teamId}-${id}-${randomHex(5)}`,
      ...(o.altText !== undefined ? { alt_txt: o.altText } : {}),
      channels: [] as string[],
      groups: [] as string[],
      ims: [] as string[],
      shares: {},
      has_rich_preview: false,
      file_access: "visible",
      comments_count: 0,
    };
    const stored = { file, bytes: o.bytes };
    this.files.set(id, stored);
    return stored;
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  all(): StoredFile[] {
    return [...this.files.values()];
  }

  /** Notes that the file was shared in a channel (files.info lists it there). */
  shareIn(id: string, channel: string, kind: "channels" | "groups" | "ims", ts: string): void {
    const f = this.files.get(id);
    if (!f) return;
    const list = f.file[kind] as string[];
    if (!list.includes(channel)) list.push(channel);
    const shares = f.file.shares as Record<string, Record<string, unknown[]>>;
    const bucket = kind === "channels" ? "public" : "private";
    const inBucket = shares[bucket] ?? {};
    shares[bucket] = inBucket;
    const list2 = inBucket[channel] ?? [];
    inBucket[channel] = list2;
    list2.push({ ts, channel_name: "", team_id: this.teamId });
  }

  /** Answers the path of a url_private (`<team>-<file>/<name>` or `<team>-<file>/download/<name>`). */
  byPrivatePath(path: string): StoredFile | undefined {
    const m = /^([A-Z0-9]+)-([A-Z0-9]+)\//.exec(path);
    if (!m || m[1] !== this.teamId || !m[2]) return undefined;
    return this.files.get(m[2]);
  }

  // --- the external upload flow --------------------------------------------

  startUpload(filename: string, length: number, altText?: string): PendingUpload {
    const u: PendingUpload = {
      id: this.ids.id("F"),
      filename,
      length,
      key: randomHex(12),
      ...(altText !== undefined ? { altText } : {}),
      completed: false,
    };
    this.uploads.set(u.key, u);
    return u;
  }

  uploadUrl(u: PendingUpload): string {
    return `${this.baseUrl}/upload/v1/${u.key}`;
  }

  uploadByKey(key: string): PendingUpload | undefined {
    return this.uploads.get(key);
  }

  uploadById(id: string): PendingUpload | undefined {
    return [...this.uploads.values()].find((u) => u.id === id);
  }
}
