/**
 * Where the puppets' avatars are kept: fetched from the remote network (at
 * most 4 MiB, under the media policy) into the media store, and read back
 * from it for their vCards and PEP nodes.
 */
import { avatarHash } from "@parley/stanza";
import { fetchMedia, type MediaStore } from "../media/index.ts";
import type { AvatarHost } from "./puppet-directory.ts";

export function mediaAvatarHost(
  store: MediaStore,
  policy: { readonly maxBytes: number; readonly allowPrivateAddresses: boolean },
): AvatarHost {
  return {
    fetch: async (url) => {
      const got = await fetchMedia(url, {
        maxBytes: Math.min(policy.maxBytes, 4 * 1024 * 1024),
        allowPrivateAddresses: policy.allowPrivateAddresses,
      });
      const chunks: Uint8Array[] = [];
      for await (const c of got.body) chunks.push(c);
      const bytes = Buffer.concat(chunks);
      const contentType = got.contentType ?? "image/png";
      const stored = await store.put(bytes, { contentType }, policy.maxBytes);
      return { mediaId: stored.id, hash: avatarHash(bytes), contentType };
    },
    read: async (mediaId) => {
      const f = await store.open(mediaId);
      if (!f) return undefined;
      const chunks: Uint8Array[] = [];
      for await (const c of f.body as AsyncIterable<Uint8Array>) chunks.push(c);
      return { bytes: Buffer.concat(chunks), contentType: f.contentType };
    },
  };
}
