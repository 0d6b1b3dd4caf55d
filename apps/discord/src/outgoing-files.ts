/**
 * Files XMPP users share, made Discord attachments: the engine hands over
 * URLs (its media endpoint, or the XMPP upload service); each is downloaded
 * and uploaded with the message while the message stays within Discord's
 * upload limit (10 MiB without server boosts) and 10 files. A file that is
 * larger, or cannot be downloaded, goes as a link in the text instead, so
 * nothing is lost.
 */
import { describeFailure, downloadMedia, MediaTooLargeError, type OutgoingAttachment } from "@parley/bridge";
import type { RawFile } from "discord.js";

export const DISCORD_UPLOAD_LIMIT = 10 * 1024 * 1024;
export const DISCORD_MAX_FILES = 10;

export interface FetchedFiles {
  readonly files: RawFile[];
  /** URLs that go in the text instead. */
  readonly links: string[];
}

export interface FileFetchOptions {
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  /**
   * Lets downloads reach loopback and private addresses (the engine's
   * `media.allowPrivateAddresses`). Off by default: an XMPP user must not make
   * the bridge fetch from the LAN and post the result on Discord.
   */
  readonly allowPrivateAddresses?: boolean;
  /** Called with a reason when a file goes as a link (for the debug log). */
  readonly onLink?: (url: string, why: string) => void;
}

export async function fetchOutgoingFiles(
  attachments: readonly OutgoingAttachment[],
  o: FileFetchOptions = {},
): Promise<FetchedFiles> {
  const files: RawFile[] = [];
  const links: string[] = [];
  let budget = o.maxBytes ?? DISCORD_UPLOAD_LIMIT;
  const asLink = (url: string, why: string) => {
    links.push(url);
    o.onLink?.(url, why);
  };
  for (const a of attachments) {
    if (files.length >= DISCORD_MAX_FILES) {
      asLink(a.url, "more than 10 files");
      continue;
    }
    if (a.size !== undefined && a.size > budget) {
      asLink(a.url, "larger than Discord's upload limit");
      continue;
    }
    const got = await downloadMedia(a.url, {
      maxBytes: budget,
      timeoutMs: o.timeoutMs ?? 30_000,
      allowPrivateAddresses: o.allowPrivateAddresses === true,
    }).catch((e: unknown) => ({
      failed: e instanceof MediaTooLargeError ? "larger than Discord's upload limit" : describeFailure(e),
    }));
    if ("failed" in got) {
      asLink(a.url, got.failed);
      continue;
    }
    budget -= got.bytes.byteLength;
    const contentType = a.contentType ?? got.contentType;
    files.push({
      name: fileName(a),
      data: got.bytes,
      ...(contentType !== undefined && { contentType }),
    });
  }
  return { files, links };
}

/** The attachment's name, else the URL's last path segment, made safe for a multipart header. */
export function fileName(a: Pick<OutgoingAttachment, "url" | "filename">): string {
  let name = a.filename;
  if (name === undefined || name.trim() === "") {
    try {
      name = decodeURIComponent(new URL(a.url).pathname.split("/").pop() ?? "");
    } catch {
      name = ""; // no name in the URL: the default name below
    }
  }
  const safe = name
    .replace(/[\p{Cc}"\\/]+/gu, "_")
    .trim()
    .slice(0, 200);
  return safe === "" ? "file" : safe;
}
