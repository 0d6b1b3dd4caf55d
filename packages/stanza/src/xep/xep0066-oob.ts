/**
 * XEP-0066 Out of Band Data (v1.5), the `jabber:x:oob` message payload:
 * `<x><url/><desc/></x>`, how clients share files uploaded over XEP-0363.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { childOf, element, textOf } from "../xml.ts";

export interface OutOfBand {
  readonly url: string;
  readonly desc?: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0066 attachments, in document order. */
    readonly oob?: readonly OutOfBand[];
  }
}

export const oobCodec: PayloadCodec<OutOfBand> = {
  names: ["x"],
  ns: NS.oob,
  parse(el) {
    const url = textOf(childOf(el, "url", NS.oob))?.trim();
    if (!url) return err(parseError("missing-element", "an OOB payload needs a non-empty <url/>", "x/url"));
    const desc = textOf(childOf(el, "desc", NS.oob));
    return ok(desc === undefined ? { url } : { url, desc });
  },
  build: (v) =>
    element(
      "x",
      { xmlns: NS.oob },
      element("url", {}, v.url),
      v.desc !== undefined ? element("desc", {}, v.desc) : undefined,
    ),
};

/** Whether a URL is an absolute http(s) URL, the only kind a bridge should fetch. */
export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}
