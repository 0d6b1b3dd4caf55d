/**
 * Files XMPP users share, uploaded to Slack with the external upload flow
 * (files.getUploadURLExternal, a POST of the bytes, then
 * files.completeUploadExternal into the channel and thread). The engine
 * hands over URLs (its media endpoint or the XMPP upload service); a file
 * that cannot be downloaded or uploaded is returned as a link instead, so
 * nothing is lost.
 */
import { describeFailure, downloadMedia, type Logger, type OutgoingAttachment } from "@parley/bridge";
import type { webApi } from "@slack/bolt";

/** Larger files go as links (Slack takes up to 1 GB, but the bridge holds a file in memory). */
export const SLACK_UPLOAD_LIMIT = 50 * 1024 * 1024;

export interface UploadOptions {
  readonly client: webApi.WebClient;
  readonly logger: Logger;
  readonly allowPrivateAddresses: boolean;
  readonly maxBytes?: number;
}

/** Uploads each file into `channel` (and `thread`); returns the URLs that could not be uploaded. */
export async function uploadFiles(
  attachments: readonly OutgoingAttachment[],
  where: { readonly channel: string; readonly thread?: string },
  o: UploadOptions,
): Promise<string[]> {
  const links: string[] = [];
  for (const a of attachments) {
    try {
      const file = await downloadMedia(a.url, {
        maxBytes: o.maxBytes ?? SLACK_UPLOAD_LIMIT,
        allowPrivateAddresses: o.allowPrivateAddresses,
      });
      const filename = a.filename ?? file.filename ?? "file";
      const ticket = await o.client.files.getUploadURLExternal({ filename, length: file.bytes.length });
      if (typeof ticket.upload_url !== "string" || typeof ticket.file_id !== "string")
        throw new Error("files.getUploadURLExternal gave no upload URL");
      const put = await fetch(ticket.upload_url, {
        method: "POST",
        headers: { "content-type": a.contentType ?? file.contentType ?? "application/octet-stream" },
        body: new Uint8Array(file.bytes),
      });
      if (!put.ok) throw new Error(`the upload URL answered HTTP ${put.status}`);
      await o.client.files.completeUploadExternal({
        files: [{ id: ticket.file_id, title: filename }],
        channel_id: where.channel,
        ...(where.thread !== undefined && { thread_ts: where.thread }),
      });
    } catch (e) {
      o.logger.warn("a file goes to Slack as a link: it could not be uploaded", { error: describeFailure(e) });
      links.push(a.url);
    }
  }
  return links;
}
