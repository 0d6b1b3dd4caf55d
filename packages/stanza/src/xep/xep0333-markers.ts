/** XEP-0333 Displayed Markers (v0.4, urn:xmpp:chat-markers:0): `<markable/>` and `<received|displayed|acknowledged id/>`. */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element, localNameOf, requiredAttr } from "../xml.ts";

export const MARKER_TYPES = ["received", "displayed", "acknowledged"] as const;
export type MarkerType = (typeof MARKER_TYPES)[number];

export interface ChatMarker {
  readonly type: MarkerType;
  /** The id of the marked message (the room's stanza id in groupchat). */
  readonly id: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0333: the sender wants read markers for this message. */
    readonly markable?: true;
    /** XEP-0333: the sender marks a message as received/displayed/acknowledged. */
    readonly marker?: ChatMarker;
  }
}

export const markableCodec: PayloadCodec<true> = {
  names: ["markable"],
  ns: NS.markers,
  parse: () => ok(true),
  build: () => element("markable", { xmlns: NS.markers }),
};

export const markerCodec: PayloadCodec<ChatMarker> = {
  names: MARKER_TYPES,
  ns: NS.markers,
  parse(el) {
    const name = localNameOf(el) as MarkerType;
    const id = requiredAttr(el, "id", name);
    return id.ok ? ok({ type: name, id: id.value }) : id;
  },
  build: (v) => element(v.type, { xmlns: NS.markers, id: v.id }),
};
