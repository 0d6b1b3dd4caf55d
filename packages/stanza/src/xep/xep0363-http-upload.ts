/**
 * XEP-0363 HTTP File Upload (v1.1, urn:xmpp:http:upload:0): ask the upload
 * service for a slot, read the PUT/GET URLs and the headers allowed on the PUT,
 * and read the service's quota errors.
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import type { StanzaError } from "../stanza-error.ts";
import { attrOf, childOf, childrenOf, type Element, element, localNameOf, textOf, uintAttr } from "../xml.ts";

export interface UploadRequest {
  readonly filename: string;
  readonly size: number;
  readonly contentType?: string;
}

export interface UploadSlot {
  readonly putUrl: string;
  readonly getUrl: string;
  /** Headers the PUT must carry: only Authorization, Cookie and Expires, newlines stripped, in order. */
  readonly putHeaders: ReadonlyArray<{ readonly name: "Authorization" | "Cookie" | "Expires"; readonly value: string }>;
}

const ALLOWED_HEADERS = new Map<string, "Authorization" | "Cookie" | "Expires">([
  ["authorization", "Authorization"],
  ["cookie", "Cookie"],
  ["expires", "Expires"],
]);

function isUpload(el: Element, name: string): boolean {
  return localNameOf(el) === name && attrOf(el, "xmlns") === NS.httpUpload;
}

export function buildUploadRequest(r: UploadRequest): Element {
  if (!Number.isInteger(r.size) || r.size < 0)
    throw new TypeError(`upload size must be a non-negative integer, got ${r.size}`);
  return element("request", {
    xmlns: NS.httpUpload,
    filename: r.filename,
    size: r.size,
    "content-type": r.contentType,
  });
}

/** The whole iq asking `service` for a slot. */
export function buildUploadSlotRequest(o: { service: string; id: string; from?: string } & UploadRequest): Element {
  return buildIq({ type: "get", id: o.id, to: o.service, from: o.from, payload: buildUploadRequest(o) });
}

export function parseUploadRequest(el: Element): Result<UploadRequest> {
  if (!isUpload(el, "request"))
    return err(parseError("unexpected-element", `expected <request xmlns='${NS.httpUpload}'/>`));
  const filename = attrOf(el, "filename");
  if (!filename) return err(parseError("missing-attribute", "request needs a filename", "request@filename"));
  const size = uintAttr(el, "size", "request");
  if (!size.ok) return size;
  if (size.value === undefined) return err(parseError("missing-attribute", "request needs a size", "request@size"));
  const ct = attrOf(el, "content-type");
  return ok({ filename, size: size.value, ...(ct !== undefined && { contentType: ct }) });
}

export function parseUploadSlot(el: Element): Result<UploadSlot> {
  if (!isUpload(el, "slot")) return err(parseError("unexpected-element", `expected <slot xmlns='${NS.httpUpload}'/>`));
  const put = childOf(el, "put", NS.httpUpload);
  const get = childOf(el, "get", NS.httpUpload);
  const putUrl = put ? attrOf(put, "url") : undefined;
  const getUrl = get ? attrOf(get, "url") : undefined;
  if (!putUrl) return err(parseError("missing-attribute", "slot needs <put url/>", "slot/put@url"));
  if (!getUrl) return err(parseError("missing-attribute", "slot needs <get url/>", "slot/get@url"));
  const putHeaders: Array<{ name: "Authorization" | "Cookie" | "Expires"; value: string }> = [];
  for (const h of put ? childrenOf(put, "header", NS.httpUpload) : []) {
    const name = ALLOWED_HEADERS.get(
      (attrOf(h, "name") ?? "")
        .replace(/[\r\n]/g, "")
        .trim()
        .toLowerCase(),
    );
    if (name === undefined) continue; // other headers MUST be ignored
    putHeaders.push({ name, value: (textOf(h) ?? "").replace(/[\r\n]/g, "") });
  }
  return ok({ putUrl, getUrl, putHeaders });
}

export function buildUploadSlot(s: UploadSlot): Element {
  const put = element("put", { url: s.putUrl });
  for (const h of s.putHeaders) put.cnode(element("header", { name: h.name }, h.value));
  return element("slot", { xmlns: NS.httpUpload }, put, element("get", { url: s.getUrl }));
}

export interface UploadErrorDetail {
  /** From `<file-too-large><max-file-size/>`. */
  readonly maxFileSize?: number;
  /** From `<retry stamp/>`: when to try again (XEP-0082 DateTime, as sent). */
  readonly retryAt?: string;
}

/** The upload-specific detail of an error the service returned, if any. */
export function uploadErrorDetail(e: StanzaError): UploadErrorDetail {
  const app = e.application;
  if (!app) return {};
  if (isUpload(app, "file-too-large")) {
    const t = textOf(childOf(app, "max-file-size", NS.httpUpload))?.trim();
    return t && /^\d{1,15}$/.test(t) ? { maxFileSize: Number(t) } : {};
  }
  if (isUpload(app, "retry")) {
    const stamp = attrOf(app, "stamp");
    return stamp ? { retryAt: stamp } : {};
  }
  return {};
}
