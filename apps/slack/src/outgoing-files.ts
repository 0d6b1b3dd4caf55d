/**
 * Files XMPP users share, uploaded to Slack with the external upload flow
 * (files.getUploadURLExternal, a POST of the bytes, then
 * files.completeUploadExternal into the channel and thread). The engine
 * hands over URLs (its media endpoint or the XMPP upload service); a file
 * that cannot be downloaded or uploaded is returned as a link instead, so
 * nothing is lost.
 *
 * A post's files are tracked by its delivery key: each upload's file id is
 * written to the state before the upload is completed, so a post whose
 * answer was lost (`findPosted`) can tell the files an earlier attempt
 * shared from the ones it never got to, and upload only those.
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

/** How the uploads of one post are kept track of (its files, by their place in the message). */
export interface UploadTracking {
  /** Whether the file at `index` is in the channel already (an earlier attempt shared it). */
  shared(index: number): Promise<boolean>;
  /** Notes the file id of the upload of the file at `index`, before it is completed. */
  started(index: number, fileId: string): Promise<void>;
}

/** The state key of the upload of a post's file (`key`: the post's delivery key). */
export const uploadKeyOf = (key: string, index: number) => `upload:${key}:${index}`;

/** Uploads each file into `channel` (and `thread`) that `tracking` does not have shared; returns the URLs that could not be uploaded. */
export async function uploadFiles(
  attachments: readonly OutgoingAttachment[],
  where: { readonly channel: string; readonly thread?: string },
  o: UploadOptions,
  tracking?: UploadTracking,
): Promise<string[]> {
  const links: string[] = [];
  for (const [index, a] of attachments.entries()) {
    if (tracking !== undefined && (await tracking.shared(index))) continue;
    try {
      const file = await downloadMedia(a.url, {
        maxBytes: o.maxBytes ?? SLACK_UPLOAD_LIMIT,
        allowPrivateAddresses: o.allowPrivateAddresses,
      });
      const filename = a.filename ?? file.filename ?? "file";
      const ticket = await o.client.files.getUploadURLExternal({ filename, length: file.bytes.length });
      if (typeof ticket.upload_url !== "string" || typeof ticket.file_id !== "string")
        throw new Error("files.getUploadURLExternal gave no upload URL");
      await tracking?.started(index, ticket.file_id);
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
