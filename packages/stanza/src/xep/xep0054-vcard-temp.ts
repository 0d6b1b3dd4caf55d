/**
 * XEP-0054 vcard-temp (v1.2): the parts of `<vCard xmlns="vcard-temp">` a bridge
 * reads and serves for puppets: full name, nickname, photo, URL, description.
 * Every other child is kept verbatim.
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { childOf, type Element, element, elementsOf, localNameOf, textOf } from "../xml.ts";

export interface VcardPhoto {
  /** MIME type (TYPE). */
  readonly type?: string;
  /** The image bytes (BINVAL, base64-decoded). */
  readonly data?: Uint8Array;
  /** An external URL (EXTVAL) instead of inline data. */
  readonly url?: string;
}

export interface Vcard {
  readonly fullName?: string;
  readonly nickname?: string;
  readonly photo?: VcardPhoto;
  readonly url?: string;
  readonly description?: string;
  /** Children not read above, kept as they came. */
  readonly extra: readonly Element[];
}

/** Default ceiling for a decoded photo; larger ones are refused. */
export const DEFAULT_MAX_VCARD_PHOTO_BYTES = 8 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseVcard(el: Element, options: { maxPhotoBytes?: number } = {}): Result<Vcard> {
  if (localNameOf(el) !== "vCard" || el.getNS() !== NS.vcardTemp) {
    return err(parseError("unexpected-element", "expected <vCard xmlns='vcard-temp'/>"));
  }
  const max = options.maxPhotoBytes ?? DEFAULT_MAX_VCARD_PHOTO_BYTES;
  const out: { -readonly [K in keyof Vcard]: Vcard[K] } = { extra: [] };
  const extra: Element[] = [];
  for (const c of elementsOf(el)) {
    switch (localNameOf(c)) {
      case "FN":
        out.fullName = textOf(c) ?? "";
        break;
      case "NICKNAME":
        out.nickname = textOf(c) ?? "";
        break;
      case "URL":
        out.url = textOf(c) ?? "";
        break;
      case "DESC":
        out.description = textOf(c) ?? "";
        break;
      case "PHOTO": {
        const r = parsePhoto(c, max);
        if (!r.ok) return r;
        out.photo = r.value;
        break;
      }
      default:
        extra.push(c);
    }
  }
  out.extra = extra;
  return ok(out);
}

function parsePhoto(el: Element, max: number): Result<VcardPhoto> {
  const type = textOf(childOf(el, "TYPE"))?.trim();
  const ext = textOf(childOf(el, "EXTVAL"))?.trim();
  const binval = textOf(childOf(el, "BINVAL"));
  const photo: { type?: string; data?: Uint8Array; url?: string } = {};
  if (type) photo.type = type;
  if (ext) photo.url = ext;
  if (binval !== undefined) {
    const b64 = binval.replace(/\s+/g, "");
    if (!BASE64.test(b64) || b64.length % 4 === 1) {
      return err(parseError("invalid-text", "PHOTO/BINVAL is not base64", "vCard/PHOTO/BINVAL"));
    }
    if ((b64.length * 3) / 4 > max + 3) {
      return err(parseError("invalid-text", `PHOTO is over the ${max}-byte limit`, "vCard/PHOTO/BINVAL"));
    }
    photo.data = new Uint8Array(Buffer.from(b64, "base64"));
  }
  return ok(photo);
}

export function buildVcard(v: Omit<Vcard, "extra"> & { extra?: readonly Element[] }): Element {
  const el = element("vCard", { xmlns: NS.vcardTemp });
  if (v.fullName !== undefined) el.cnode(element("FN", {}, v.fullName));
  if (v.nickname !== undefined) el.cnode(element("NICKNAME", {}, v.nickname));
  if (v.photo) {
    const p = v.photo;
    el.cnode(
      element(
        "PHOTO",
        {},
        p.type !== undefined ? element("TYPE", {}, p.type) : undefined,
        p.data !== undefined ? element("BINVAL", {}, Buffer.from(p.data).toString("base64")) : undefined,
        p.url !== undefined ? element("EXTVAL", {}, p.url) : undefined,
      ),
    );
  }
  if (v.url !== undefined) el.cnode(element("URL", {}, v.url));
  if (v.description !== undefined) el.cnode(element("DESC", {}, v.description));
  for (const x of v.extra ?? []) el.cnode(x);
  return el;
}

/** The iq that fetches `jid`'s vCard (omit `to` for one's own). */
export function buildVcardRequest(o: { id: string; to?: string; from?: string }): Element {
  return buildIq({ type: "get", id: o.id, to: o.to, from: o.from, payload: element("vCard", { xmlns: NS.vcardTemp }) });
}
