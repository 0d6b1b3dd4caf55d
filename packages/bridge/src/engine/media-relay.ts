/**
 * Files and avatars across the bridge. Remote files whose URLs are private or
 * short-lived are re-hosted (through the XMPP server's XEP-0363 upload service
 * when one is configured, else on the bridge's own media endpoint); files over
 * the size limit become a notice instead of vanishing. XMPP occupants' avatars
 * are read once per hash, from their vCard or else their XEP-0084 avatar, and
 * served on the media endpoint so the remote network can show them.
 */

import { buildVcardRequest, type Element, parseVcard } from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";
import { setBounded } from "../connector/bounded-map.ts";
import type { OutgoingAttachment, RemoteAttachment } from "../connector/connector.ts";
import {
  fetchMedia,
  type HttpUploader,
  type MediaStore,
  MediaTooLargeError,
  readStreamWithLimit,
  tooLargeNotice,
} from "../media/index.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { MediaRelay } from "./context.ts";
import { readPepAvatar } from "./pep-avatar-reader.ts";

export interface MediaRelayOptions {
  readonly store: MediaStore;
  /** The base URL remote networks fetch media from. */
  readonly publicUrl: () => string;
  readonly maxBytes: number;
  readonly allowPrivateAddresses: boolean;
  readonly uploader?: HttpUploader;
  readonly router: IqRouter;
  /** Who asks an occupant of a room for its vCard: an occupant of that room (the relay, or the reader puppet). */
  readonly requesterFor: (room: string) => string;
  readonly logger: Logger;
}

function filenameOf(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split("/").pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined; // not a URL, or a name that is not percent-encoded: the attachment goes without a name
  }
}

const AVATARS_KEPT = 10_000;

/**
 * How long a hash whose vCard gave no photo (or no answer) is not asked for
 * again: every message of that occupant would otherwise wait for the same
 * fruitless round trip (up to the 5 s timeout).
 */
const MISSING_AVATAR_RETRY_MS = 10 * 60_000;

interface AvatarLookup {
  readonly url: Promise<string | undefined>;
  /** When the look-up ended without a URL. */
  missingSince?: number;
}

export class EngineMediaRelay implements MediaRelay {
  private readonly o: MediaRelayOptions;
  /**
   * Avatar hash -> its look-up, in flight or done: at most AVATARS_KEPT,
   * the oldest dropped past it (each is only a look-up saved). Messages from an occupant
   * share one look-up, so a burst costs one vCard request, not one per
   * message, and they reach the lane in the order they came.
   */
  private readonly avatarByHash = new Map<string, AvatarLookup>();

  constructor(o: MediaRelayOptions) {
    this.o = o;
  }

  async toXmpp(a: RemoteAttachment): Promise<{ url: string; filename?: string } | { notice: string }> {
    const filename = a.filename ?? filenameOf(a.url);
    const named = filename !== undefined ? { filename } : {};
    if (a.size !== undefined && a.size > this.o.maxBytes) {
      return { notice: tooLargeNotice({ ...named, size: a.size, limit: this.o.maxBytes }) };
    }
    if (!a.ephemeral) return { url: a.url, ...named };
    try {
      const fetched = await fetchMedia(a.url, {
        maxBytes: this.o.maxBytes,
        allowPrivateAddresses: this.o.allowPrivateAddresses,
        ...(a.headers && { headers: { ...a.headers } }),
      });
      const contentType = a.contentType ?? fetched.contentType ?? "application/octet-stream";
      const name = filename ?? fetched.filename ?? "file";
      if (this.o.uploader) {
        const bytes = await readStreamWithLimit(fetched.body, this.o.maxBytes);
        return { url: await this.o.uploader.upload(bytes, { filename: name, contentType }), filename: name };
      }
      const stored = await this.o.store.put(fetched.body, { contentType, filename: name }, this.o.maxBytes);
      return { url: this.o.store.urlFor(stored.id, this.o.publicUrl()), filename: name };
    } catch (e) {
      if (e instanceof MediaTooLargeError) {
        return { notice: tooLargeNotice({ ...named, size: e.size, limit: this.o.maxBytes }) };
      }
      this.o.logger.warn("a remote file could not be re-hosted", { error: e instanceof Error ? e.message : String(e) });
      return { notice: `[file ${filename !== undefined ? `"${filename}" ` : ""}could not be bridged]` };
    }
  }

  async toRemote(url: string): Promise<OutgoingAttachment> {
    const filename = filenameOf(url);
    return { url, ...(filename !== undefined && { filename }) };
  }

  occupantAvatar(occupantJid: string, hash: string, realJid?: string): Promise<string | undefined> {
    const known = this.avatarByHash.get(hash);
    if (known && (known.missingSince === undefined || Date.now() - known.missingSince < MISSING_AVATAR_RETRY_MS)) {
      return known.url;
    }
    const lookup: AvatarLookup = {
      url: this.readAvatar(occupantJid, hash, realJid).then(
        (url) => {
          if (url === undefined) lookup.missingSince = Date.now();
          return url;
        },
        (e: unknown) => {
          lookup.missingSince = Date.now();
          this.o.logger.debug("an occupant's vCard could not be read; its avatar is left out", {
            error: e instanceof Error ? e.message : String(e),
          });
          return undefined;
        },
      ),
    };
    setBounded(this.avatarByHash, hash, lookup, AVATARS_KEPT);
    return lookup.url;
  }

  /**
   * The occupant's vCard photo, else (when the room tells who they are) their
   * XEP-0084 avatar, stored and served on the media endpoint; undefined when
   * they have neither.
   */
  private async readAvatar(occupantJid: string, hash: string, realJid?: string): Promise<string | undefined> {
    const maxBytes = Math.min(this.o.maxBytes, 2 * 1024 * 1024);
    const photo =
      (await this.readVcardPhoto(occupantJid, maxBytes)) ?? (await this.readPep(occupantJid, hash, realJid, maxBytes));
    if (!photo) return undefined;
    const stored = await this.o.store.put(photo.data, { contentType: photo.type }, this.o.maxBytes);
    return this.o.store.urlFor(stored.id, this.o.publicUrl());
  }

  private async readPep(
    occupantJid: string,
    hash: string,
    realJid: string | undefined,
    maxBytes: number,
  ): Promise<{ data: Uint8Array; type: string } | undefined> {
    const owner = realJid?.split("/")[0];
    if (owner === undefined || owner === "") return undefined;
    const from = this.o.requesterFor(occupantJid.split("/")[0] ?? occupantJid);
    return readPepAvatar(this.o.router, { owner, from, hash, maxBytes });
  }

  private async readVcardPhoto(
    occupantJid: string,
    maxBytes: number,
  ): Promise<{ data: Uint8Array; type: string } | undefined> {
    const answer = await this.o.router.request(
      {
        type: "get",
        to: occupantJid,
        from: this.o.requesterFor(occupantJid.split("/")[0] ?? occupantJid),
        payload: buildVcardRequest({ id: "v" }).getChildren("vCard")[0] as Element,
      },
      5000,
    );
    if (answer.type !== "result" || !answer.payload) return undefined;
    const vcard = parseVcard(answer.payload, { maxPhotoBytes: maxBytes });
    const photo = vcard.ok ? vcard.value.photo : undefined;
    if (!photo?.data) return undefined;
    return { data: photo.data, type: photo.type ?? "image/png" };
  }
}
