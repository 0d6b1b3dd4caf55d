/**
 * XEP-0461 Message Replies (v0.2): `<reply to? id/>` names the message answered;
 * an optional quote of it in the body is marked with an XEP-0428 fallback.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { attrOf, element, requiredAttr } from "../xml.ts";
import { codePointLength, type Fallback } from "./xep0428-fallback.ts";

export interface Reply {
  /** The id of the message replied to (the room's stanza id in groupchat). */
  readonly id: string;
  /** The full JID of the author of the message replied to, when known. */
  readonly to?: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0461: this message replies to another. */
    readonly reply?: Reply;
  }
}

export const replyCodec: PayloadCodec<Reply> = {
  names: ["reply"],
  ns: NS.reply,
  parse(el) {
    const id = requiredAttr(el, "id", "reply");
    if (!id.ok) return id;
    const to = attrOf(el, "to");
    return ok(to === undefined ? { id: id.value } : { id: id.value, to });
  },
  build: (v) => element("reply", { xmlns: NS.reply, to: v.to, id: v.id }),
};

/**
 * A reply body with a quote of the original for clients without XEP-0461, and
 * the fallback marking the quote: "> nick wrote:\n> line\n> line\ntext".
 */
export function buildReplyBody(o: { quotedNick?: string; quotedText: string; text: string }): {
  body: string;
  fallback: Fallback;
} {
  const lines = o.quotedText.split("\n").map((l) => `> ${l}`);
  if (o.quotedNick !== undefined) lines.unshift(`> ${o.quotedNick} wrote:`);
  const quote = `${lines.join("\n")}\n`;
  return {
    body: quote + o.text,
    fallback: { for: NS.reply, body: [{ start: 0, end: codePointLength(quote) }], subject: [] },
  };
}
