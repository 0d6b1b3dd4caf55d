/**
 * XEP-0334 Message Processing Hints (v0.3): `<no-permanent-store/>`, `<no-store/>`,
 * `<no-copy/>`, `<store/>` in urn:xmpp:hints.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element, localNameOf } from "../xml.ts";

export const HINTS = ["no-permanent-store", "no-store", "no-copy", "store"] as const;
export type Hint = (typeof HINTS)[number];

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0334 processing hints, in document order. */
    readonly hints?: readonly Hint[];
  }
}

export const hintCodec: PayloadCodec<Hint> = {
  names: HINTS,
  ns: NS.hints,
  parse: (el) => ok(localNameOf(el) as Hint),
  build: (h) => element(h, { xmlns: NS.hints }),
};
