/**
 * XEP-0084 User Avatar (v1.1.4): avatar data and metadata published over PEP
 * (urn:xmpp:avatar:data, urn:xmpp:avatar:metadata), and the metadata
 * notifications contacts receive.
 */
import { buildIq } from "../iq.ts";
import type { Message } from "../message.ts";
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, childrenOf, type Element, element, localNameOf, textOf, uintAttr } from "../xml.ts";

export interface AvatarInfo {
  /** SHA-1 hex of the image bytes; also the pubsub item id. */
  readonly id: string;
  readonly bytes: number;
  readonly type: string;
  readonly width?: number;
  readonly height?: number;
  /** Where the image can be fetched instead of the data node. */
  readonly url?: string;
}

/** Metadata: the available images; empty means the avatar was disabled. */
export interface AvatarMetadata {
  readonly infos: readonly AvatarInfo[];
}

export function parseAvatarMetadata(el: Element): Result<AvatarMetadata> {
  if (localNameOf(el) !== "metadata" || el.getNS() !== NS.avatarMetadata) {
    return err(parseError("unexpected-element", `expected <metadata xmlns='${NS.avatarMetadata}'/>`));
  }
  const infos: AvatarInfo[] = [];
  for (const i of childrenOf(el, "info", NS.avatarMetadata)) {
    const id = attrOf(i, "id");
    const type = attrOf(i, "type");
    const bytes = uintAttr(i, "bytes", "metadata/info");
    if (!bytes.ok) return bytes;
    if (!id || !type || bytes.value === undefined) {
      return err(parseError("missing-attribute", "avatar info needs id, bytes and type", "metadata/info"));
    }
    const width = uintAttr(i, "width", "metadata/info");
    const height = uintAttr(i, "height", "metadata/info");
    if (!width.ok) return width;
    if (!height.ok) return height;
    const url = attrOf(i, "url");
    infos.push({
      id,
      bytes: bytes.value,
      type,
      ...(width.value !== undefined && { width: width.value }),
      ...(height.value !== undefined && { height: height.value }),
      ...(url !== undefined && { url }),
    });
  }
  return ok({ infos });
}

export function buildAvatarMetadata(m: AvatarMetadata): Element {
  const el = element("metadata", { xmlns: NS.avatarMetadata });
  for (const i of m.infos) {
    el.cnode(element("info", { id: i.id, bytes: i.bytes, type: i.type, width: i.width, height: i.height, url: i.url }));
  }
  return el;
}

export function parseAvatarData(el: Element): Result<Uint8Array> {
  if (localNameOf(el) !== "data" || el.getNS() !== NS.avatarData) {
    return err(parseError("unexpected-element", `expected <data xmlns='${NS.avatarData}'/>`));
  }
  const b64 = (textOf(el) ?? "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return err(parseError("invalid-text", "avatar data is not base64", "data"));
  return ok(new Uint8Array(Buffer.from(b64, "base64")));
}

export function buildAvatarData(bytes: Uint8Array): Element {
  return element("data", { xmlns: NS.avatarData }, Buffer.from(bytes).toString("base64"));
}

function publish(node: string, itemId: string, payload: Element, id: string, from?: string): Element {
  return buildIq({
    type: "set",
    id,
    from,
    payload: element(
      "pubsub",
      { xmlns: NS.pubsub },
      element("publish", { node }, element("item", { id: itemId }, payload)),
    ),
  });
}

/** Publish the image bytes to the data node; item id = SHA-1 hex (`info.id`). */
export function buildAvatarDataPublish(o: { id: string; from?: string; hash: string; bytes: Uint8Array }): Element {
  return publish(NS.avatarData, o.hash, buildAvatarData(o.bytes), o.id, o.from);
}

/** Publish the metadata; item id = the id of the first (PNG) info, per §4.2. */
export function buildAvatarMetadataPublish(o: { id: string; from?: string; metadata: AvatarMetadata }): Element {
  const itemId = o.metadata.infos[0]?.id ?? "current";
  return publish(NS.avatarMetadata, itemId, buildAvatarMetadata(o.metadata), o.id, o.from);
}

/**
 * The avatar metadata carried by a PEP notification message, if this message
 * is one. Pubsub events of other nodes are left alone (they stay in `extra`).
 */
export function readAvatarMetadataEvent(m: Pick<Message, "extra">): AvatarMetadata | undefined {
  for (const x of m.extra) {
    if (localNameOf(x) !== "event" || x.getNS() !== NS.pubsubEvent) continue;
    const items = childOf(x, "items", NS.pubsubEvent);
    if (!items || attrOf(items, "node") !== NS.avatarMetadata) continue;
    const item = childOf(items, "item", NS.pubsubEvent);
    const md = item ? childOf(item, "metadata", NS.avatarMetadata) : undefined;
    if (!md) continue;
    const r = parseAvatarMetadata(md);
    if (r.ok) return r.value;
  }
  return undefined;
}
