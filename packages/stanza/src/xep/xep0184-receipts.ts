/** XEP-0184 Message Delivery Receipts (v1.4): `<request/>` asks for a receipt; `<received id/>` is one. */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { ok } from "../result.ts";
import { element, requiredAttr } from "../xml.ts";

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0184: the sender asks for a delivery receipt. */
    readonly receiptRequest?: true;
    /** XEP-0184: a receipt for the message with this id. */
    readonly receipt?: { readonly id: string };
  }
}

export const receiptRequestCodec: PayloadCodec<true> = {
  names: ["request"],
  ns: NS.receipts,
  parse: () => ok(true),
  build: () => element("request", { xmlns: NS.receipts }),
};

export const receiptCodec: PayloadCodec<{ readonly id: string }> = {
  names: ["received"],
  ns: NS.receipts,
  parse(el) {
    const id = requiredAttr(el, "id", "received");
    return id.ok ? ok({ id: id.value }) : id;
  },
  build: (v) => element("received", { xmlns: NS.receipts, id: v.id }),
};
