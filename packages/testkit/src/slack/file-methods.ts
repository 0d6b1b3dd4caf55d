/**
 * Files: the external upload flow (files.getUploadURLExternal, a POST of the
 * bytes to the upload URL, files.completeUploadExternal, which shares the
 * files in a channel as one message from the bot) and files.info. The upload
 * URL and private downloads are plain HTTP routes of the fake, served by
 * handleUpload / handlePrivateFile.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { memberChannel, requiredStr, scopes, str } from "./method-kit.ts";
import { SlackApiError } from "./slack-errors.ts";
import { type MethodSpec, readBody, type SlackWorld } from "./web-api.ts";

export const FILE_METHODS: Record<string, MethodSpec> = {
  "files.getUploadURLExternal": {
    scopes: scopes("files:write"),
    run: (w, args) => {
      const filename = requiredStr(args, "filename", "invalid_arguments");
      const length = typeof args.length === "number" ? args.length : -1;
      if (length < 1) throw new SlackApiError("invalid_arguments");
      const alt = str(args, "alt_txt") ?? str(args, "alt_text");
      const u = w.files.startUpload(filename, length, alt);
      return { upload_url: w.files.uploadUrl(u), file_id: u.id };
    },
  },
  "files.completeUploadExternal": {
    scopes: scopes("files:write"),
    run: (w, args) => {
      let list: unknown;
      try {
        list = JSON.parse(str(args, "files") ?? "");
      } catch {
        throw new SlackApiError("invalid_arguments");
      }
      if (!Array.isArray(list) || list.length === 0) throw new SlackApiError("invalid_arguments");
      const channelId = str(args, "channel_id") ?? str(args, "channels")?.split(",")[0];
      const channel = channelId ? memberChannel(w, channelId) : undefined;
      const threadTs = str(args, "thread_ts");
      if (threadTs && channel && !w.store.get(channel.id, threadTs)) throw new SlackApiError("thread_not_found");
      const made = list.map((entry) => {
        const id = entry && typeof entry === "object" ? (entry as { id?: unknown }).id : undefined;
        const title = entry && typeof entry === "object" ? (entry as { title?: unknown }).title : undefined;
        const u = typeof id === "string" ? w.files.uploadById(id) : undefined;
        if (!u || u.completed) throw new SlackApiError("file_not_found");
        if (!u.bytes) throw new SlackApiError("file_upload_not_found");
        u.completed = true;
        return w.files.create({
          id: u.id,
          user: w.ws.botUser.id,
          name: u.filename,
          ...(typeof title === "string" && title !== "" ? { title } : {}),
          bytes: u.bytes,
          ...(u.altText !== undefined ? { altText: u.altText } : {}),
        });
      });
      if (channel) {
        const text = str(args, "initial_comment") ?? "";
        const m = w.store.add(channel.id, {
          subtype: "file_share",
          user: w.ws.botUser.id,
          ...w.botFields(),
          text,
          team: w.ws.teamId,
          upload: true,
          display_as_bot: false,
          files: made.map((f) => structuredClone(f.file)),
          ...(threadTs ? { thread_ts: threadTs } : {}),
        });
        const kind = channel.is_im ? "ims" : channel.is_private ? "groups" : "channels";
        for (const f of made) w.files.shareIn(f.file.id, channel.id, kind, m.ts);
        w.recordAction({
          kind: "post",
          channel: channel.id,
          ts: m.ts,
          text,
          ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
          files: made.map((f) => f.file.id),
        });
      }
      return { files: made.map((f) => ({ id: f.file.id, title: f.file.title })) };
    },
  },
  "files.info": {
    scopes: scopes("files:read"),
    run: (w, args) => {
      const f = w.files.get(str(args, "file") ?? "");
      if (!f) throw new SlackApiError("file_not_found");
      return { file: structuredClone(f.file), comments: [], response_metadata: { next_cursor: "" } };
    },
  },
};

/** POST to an upload URL: raw bytes, or multipart (the first file part), as Slack's upload endpoint takes both. */
export async function handleUpload(
  w: SlackWorld,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<string | undefined> {
  const u = w.files.uploadByKey(key);
  if (req.method !== "POST" || !u || u.completed) {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not Found");
    return undefined;
  }
  const raw = await readBody(req);
  const type = req.headers["content-type"] ?? "";
  let bytes: Uint8Array = new Uint8Array(raw);
  if (type.toLowerCase().startsWith("multipart/form-data")) {
    const form = await new Response(new Uint8Array(raw), { headers: { "content-type": type } }).formData();
    const part = [...form.values()].find((v) => typeof v !== "string");
    if (part && typeof part !== "string") bytes = new Uint8Array(await part.arrayBuffer());
  }
  u.bytes = bytes;
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(`OK - ${bytes.length}`);
  return bytes.length === u.length ? undefined : `upload ${u.id}: ${bytes.length} bytes sent, ${u.length} announced`;
}

/**
 * GET of a url_private: the bytes to a request with the bot token; anything
 * else gets what Slack gives a browser that is not signed in, an HTML page
 * with status 200 (a bridge that does not send the token stores a login page).
 */
export function handlePrivateFile(
  w: SlackWorld,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  botToken: string | undefined,
): void {
  const f = w.files.byPrivatePath(path);
  const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  if (!auth || auth !== botToken) {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(
      `<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to ${w.ws.teamName} | Slack</body></html>`,
    );
    return;
  }
  if (!f) {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("file not found");
    return;
  }
  const download = path.includes("/download/");
  res.writeHead(200, {
    "Content-Type": String(f.file.mimetype ?? "application/octet-stream"),
    "Content-Length": String(f.bytes.length),
    ...(download ? { "Content-Disposition": `attachment; filename="${encodeURIComponent(f.file.name)}"` } : {}),
  });
  res.end(Buffer.from(f.bytes));
}
