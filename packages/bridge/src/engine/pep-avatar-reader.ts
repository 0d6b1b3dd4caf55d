/**
 * Reads an XMPP user's XEP-0084 avatar from their PEP service (their bare
 * JID): the metadata item for the image's type, then the data item named by
 * the hash their presence advertised. What the user's server refuses (an
 * avatar node readable by contacts only) or does not have reads as no avatar.
 */
import { attrOf, childOf, childrenOf, element, NS, parseAvatarData, parseAvatarMetadata } from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";

const ANSWER_MS = 5000;

export interface PepAvatar {
  readonly data: Uint8Array;
  readonly type: string;
}

/** The avatar `owner` (a bare JID) publishes under item id `hash`, asked from `from`; undefined when it cannot be had. */
export async function readPepAvatar(
  router: IqRouter,
  o: { readonly owner: string; readonly from: string; readonly hash: string; readonly maxBytes: number },
): Promise<PepAvatar | undefined> {
  const item = async (node: string, id?: string) => {
    const answer = await router.request(
      {
        type: "get",
        to: o.owner,
        from: o.from,
        payload: element(
          "pubsub",
          { xmlns: NS.pubsub },
          element("items", { node }, ...(id !== undefined ? [element("item", { id })] : [])),
        ),
      },
      ANSWER_MS,
    );
    if (answer.type !== "result" || !answer.payload) return undefined;
    const items = childOf(answer.payload, "items", NS.pubsub);
    const found = items ? childrenOf(items, "item", NS.pubsub) : [];
    return found.find((i) => id === undefined || attrOf(i, "id") === id) ?? found[0];
  };
  const metadataItem = await item(NS.avatarMetadata);
  const metadataEl = metadataItem ? childOf(metadataItem, "metadata", NS.avatarMetadata) : undefined;
  const metadata = metadataEl ? parseAvatarMetadata(metadataEl) : undefined;
  const info = metadata?.ok ? metadata.value.infos.find((i) => i.id === o.hash && i.url === undefined) : undefined;
  if (!info || info.bytes > o.maxBytes) return undefined;
  const dataItem = await item(NS.avatarData, o.hash);
  const dataEl = dataItem ? childOf(dataItem, "data", NS.avatarData) : undefined;
  const data = dataEl ? parseAvatarData(dataEl) : undefined;
  if (!data?.ok || data.value.length === 0 || data.value.length > o.maxBytes) return undefined;
  return { data: data.value, type: info.type };
}
