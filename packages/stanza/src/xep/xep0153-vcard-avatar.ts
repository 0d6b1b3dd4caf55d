/**
 * XEP-0153 vCard-Based Avatars (v1.1): presence carries
 * `<x xmlns="vcard-temp:x:update"><photo>sha1</photo></x>`. No `<photo/>` means
 * "not ready to advertise"; an empty one means "no avatar".
 */
import { createHash } from "node:crypto";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { childOf, element, textOf } from "../xml.ts";

export interface VcardUpdate {
  /** SHA-1 hex of the avatar; "" when the user has none; absent when not yet known. */
  readonly photo?: string;
}

declare module "../presence.ts" {
  interface PresencePayloads {
    /** XEP-0153: the hash of the sender's vCard avatar. */
    readonly vcardUpdate?: VcardUpdate;
  }
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

export const vcardUpdateCodec: PayloadCodec<VcardUpdate> = {
  names: ["x"],
  ns: NS.vcardUpdate,
  parse(el) {
    const p = childOf(el, "photo", NS.vcardUpdate);
    if (!p) return ok({});
    const photo = (textOf(p) ?? "").trim().toLowerCase();
    if (photo !== "" && !SHA1_HEX.test(photo)) {
      return err(parseError("invalid-text", "photo must be a SHA-1 hash in hex (40 characters) or empty", "x/photo"));
    }
    return ok({ photo });
  },
  build: (v) =>
    element("x", { xmlns: NS.vcardUpdate }, v.photo === undefined ? undefined : element("photo", {}, v.photo)),
};

/** The SHA-1 hex digest XEP-0153 and XEP-0084 use to name an avatar image. */
export function avatarHash(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}
