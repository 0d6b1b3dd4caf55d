/**
 * XEP-0308 Last Message Correction (v1.2): `<replace id=.../>` marks a message
 * as the new version of the message whose id it names.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { attrOf, element } from "../xml.ts";

export interface Correction {
  /** The id of the message being corrected (its origin id or stanza id, per the sender). */
  readonly id: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0308: this message replaces an earlier one. */
    readonly replace?: Correction;
  }
}

export const correctionCodec: PayloadCodec<Correction> = {
  names: ["replace"],
  ns: NS.correction,
  parse(el) {
    const id = attrOf(el, "id");
    if (!id) return err(parseError("missing-attribute", "replace needs the id of the corrected message", "replace@id"));
    return ok({ id });
  },
  build(v) {
    return element("replace", { xmlns: NS.correction, id: v.id });
  },
};
