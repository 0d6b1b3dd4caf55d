/**
 * XEP-0084 User Avatar for puppets: the component answers, as the PEP
 * service of each puppet JID, item requests of the avatar metadata and data
 * nodes (clients that read avatars that way only, instead of vCard-temp,
 * see the remote user's picture). The image is the one served as the vCard
 * photo; its SHA-1 is the XEP-0153 hash in the puppet's presence and the item
 * id here. A puppet without an avatar has empty metadata (XEP-0084 §4.2:
 * "disabled").
 */
import {
  attrOf,
  buildAvatarData,
  buildAvatarMetadata,
  childOf,
  childrenOf,
  type Element,
  element,
  NS,
  parseJid,
} from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";

/** A puppet's avatar: undefined for no such puppet, null for a puppet without one. */
export type PuppetAvatarLookup = (
  local: string,
) => Promise<{ readonly hash: string; readonly bytes: Uint8Array; readonly contentType: string } | null | undefined>;

export function installPuppetAvatarPep(router: IqRouter, o: { domain: string; avatarOf: PuppetAvatarLookup }): void {
  router.handle("get", NS.pubsub, "pubsub", async (iq) => {
    const to = parseJid(iq.to ?? "");
    if (!to.ok || to.value.domain !== o.domain || to.value.local === undefined) {
      return { error: { condition: "feature-not-implemented" } };
    }
    const items = childOf(iq.payload, "items", NS.pubsub);
    const node = items ? attrOf(items, "node") : undefined;
    if (!items || (node !== NS.avatarMetadata && node !== NS.avatarData)) {
      return { error: { condition: "item-not-found" } };
    }
    const avatar = await o.avatarOf(to.value.local);
    if (avatar === undefined) return { error: { condition: "item-not-found" } };
    const wanted = childrenOf(items, "item", NS.pubsub)
      .map((item) => attrOf(item, "id"))
      .filter((id): id is string => id !== undefined);
    if (node === NS.avatarMetadata) {
      const infos = avatar ? [{ id: avatar.hash, bytes: avatar.bytes.length, type: avatar.contentType }] : [];
      return { payload: itemsOf(node, avatar?.hash ?? "current", buildAvatarMetadata({ infos })) };
    }
    if (!avatar || (wanted.length > 0 && !wanted.includes(avatar.hash))) {
      return { error: { condition: "item-not-found" } };
    }
    return { payload: itemsOf(node, avatar.hash, buildAvatarData(avatar.bytes)) };
  });
}

function itemsOf(node: string, id: string, payload: Element): Element {
  return element("pubsub", { xmlns: NS.pubsub }, element("items", { node }, element("item", { id }, payload)));
}
