/**
 * XEP-0444 Message Reactions (v0.2): `<reactions id><reaction>emoji</reaction>...</reactions>`
 * is the full, current set of the sender's reactions to one message; an empty
 * set removes them all.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { element, elementsOf, isElement, requiredAttr, textOf } from "../xml.ts";

export interface Reactions {
  /** The id of the message reacted to (the room's stanza id in groupchat). */
  readonly id: string;
  /** The sender's reactions, deduplicated, in document order. */
  readonly emojis: readonly string[];
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0444: the sender's reactions to a message. */
    readonly reactions?: Reactions;
  }
}

/** Upper bound on distinct reactions in one payload; more is refused as hostile. */
export const MAX_REACTIONS = 256;

export const reactionsCodec: PayloadCodec<Reactions> = {
  names: ["reactions"],
  ns: NS.reactions,
  parse(el) {
    const id = requiredAttr(el, "id", "reactions");
    if (!id.ok) return id;
    const seen = new Set<string>();
    for (const c of elementsOf(el)) {
      if (!isElement(c, "reaction", NS.reactions)) continue;
      const emoji = (textOf(c) ?? "").trim();
      if (emoji === "") continue;
      seen.add(emoji);
      if (seen.size > MAX_REACTIONS) {
        return err(parseError("invalid-element", `more than ${MAX_REACTIONS} distinct reactions`, "reactions"));
      }
    }
    return ok({ id: id.value, emojis: [...seen] });
  },
  build(v) {
    const el = element("reactions", { xmlns: NS.reactions, id: v.id });
    for (const e of new Set(v.emojis)) el.cnode(element("reaction", {}, e));
    return el;
  },
};
