/**
 * XEP-0372 References (v0.4): `<reference type uri begin end anchor/>` marks a
 * part of the body (offsets in Unicode code points) as a mention or a link to data.
 */
import type { Message } from "../message.ts";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { attrOf, element, uintAttr } from "../xml.ts";

export type ReferenceType = "mention" | "data";

export interface Reference {
  readonly type: ReferenceType;
  readonly uri: string;
  readonly begin?: number;
  readonly end?: number;
  readonly anchor?: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0372 references (mentions, data links). */
    readonly references?: readonly Reference[];
  }
}

export const referenceCodec: PayloadCodec<Reference> = {
  names: ["reference"],
  ns: NS.reference,
  parse(el) {
    const type = attrOf(el, "type");
    if (type !== "mention" && type !== "data") {
      return err(
        parseError(
          "invalid-attribute",
          `reference type must be mention or data, got "${type ?? ""}"`,
          "reference@type",
        ),
      );
    }
    const uri = attrOf(el, "uri");
    if (!uri) return err(parseError("missing-attribute", "a reference needs a uri", "reference@uri"));
    const begin = uintAttr(el, "begin", "reference");
    if (!begin.ok) return begin;
    const end = uintAttr(el, "end", "reference");
    if (!end.ok) return end;
    if (begin.value !== undefined && end.value !== undefined && begin.value > end.value) {
      return err(parseError("invalid-attribute", "reference begin is after end", "reference"));
    }
    const anchor = attrOf(el, "anchor");
    return ok({
      type,
      uri,
      ...(begin.value !== undefined && { begin: begin.value }),
      ...(end.value !== undefined && { end: end.value }),
      ...(anchor !== undefined && { anchor }),
    });
  },
  build: (v) =>
    element("reference", {
      xmlns: NS.reference,
      type: v.type,
      uri: v.uri,
      begin: v.begin,
      end: v.end,
      anchor: v.anchor,
    }),
};

/** The mentions in a message (references of type mention). */
export function mentionsIn(m: Pick<Message, "references">): readonly Reference[] {
  return (m.references ?? []).filter((r) => r.type === "mention");
}

/** A mention of `jid` covering body code points [begin, end). */
export function buildMention(o: { jid: string; begin: number; end: number }): Reference {
  return { type: "mention", uri: `xmpp:${o.jid}`, begin: o.begin, end: o.end };
}

/** The code points [begin, end) of `text`. */
export function codePointSlice(text: string, begin: number, end?: number): string {
  return Array.from(text).slice(begin, end).join("");
}
