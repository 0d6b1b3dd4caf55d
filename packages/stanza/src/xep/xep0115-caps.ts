/**
 * XEP-0115 Entity Capabilities (v1.6): the `<c hash node ver/>` presence payload
 * and the verification string (§5.1) computed from disco#info, with the
 * validation rules of §5.4.
 */
import { createHash } from "node:crypto";
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, element } from "../xml.ts";
import { formType } from "./xep0004-data-forms.ts";
import type { DiscoInfo } from "./xep0030-disco.ts";

export interface Caps {
  /** The hash function name from the IANA registry, e.g. "sha-1". */
  readonly hash: string;
  readonly node: string;
  readonly ver: string;
  /** Legacy (pre-1.5) extension names. */
  readonly ext?: string;
}

declare module "../presence.ts" {
  interface PresencePayloads {
    /** XEP-0115: the sender's capabilities hash. */
    readonly caps?: Caps;
  }
}

export const capsCodec: PayloadCodec<Caps> = {
  names: ["c"],
  ns: NS.caps,
  parse(el) {
    const hash = attrOf(el, "hash");
    const node = attrOf(el, "node");
    const ver = attrOf(el, "ver");
    if (!node || !ver) return err(parseError("missing-attribute", "caps need node and ver", "c"));
    // A missing hash marks a legacy (pre-1.5) entity; keep it visible as "" rather than refusing.
    const ext = attrOf(el, "ext");
    return ok({ hash: hash ?? "", node, ver, ...(ext !== undefined && { ext }) });
  },
  build: (v) => element("c", { xmlns: NS.caps, hash: v.hash, node: v.node, ver: v.ver, ext: v.ext }),
};

const HASHES: Record<string, string> = {
  "sha-1": "sha1",
  "sha-224": "sha224",
  "sha-256": "sha256",
  "sha-384": "sha384",
  "sha-512": "sha512",
  md5: "md5",
};
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The §5.1 verification string (before hashing), or an error when §5.4 says to ignore the info. */
export function capsVerificationString(info: DiscoInfo): Result<string> {
  const idKeys = info.identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`);
  if (new Set(idKeys).size !== idKeys.length)
    return err(parseError("invalid-element", "duplicate identity in disco#info", "query/identity"));
  if (new Set(info.features).size !== info.features.length) {
    return err(parseError("invalid-element", "duplicate feature in disco#info", "query/feature"));
  }
  let s = "";
  for (const k of [...idKeys].sort(cmp)) s += `${k}<`;
  for (const f of [...info.features].sort(cmp)) s += `${f}<`;
  const forms: Array<{ type: string; body: string }> = [];
  const seenTypes = new Set<string>();
  for (const form of info.forms) {
    const ftFields = form.fields.filter((f) => f.var === "FORM_TYPE");
    if (ftFields.length === 0) continue; // forms without FORM_TYPE are not part of the hash
    const ft = ftFields[0];
    if (ftFields.length > 1 || ft === undefined || ft.type !== "hidden" || ft.values.length !== 1) {
      return err(
        parseError(
          "invalid-element",
          "an extension form's FORM_TYPE must be one hidden field with one value",
          "query/x",
        ),
      );
    }
    const type = formType(form) ?? "";
    if (seenTypes.has(type))
      return err(parseError("invalid-element", `two extension forms share FORM_TYPE ${type}`, "query/x"));
    seenTypes.add(type);
    let body = `${type}<`;
    const fields = form.fields.filter((f) => f.var !== "FORM_TYPE").sort((a, b) => cmp(a.var ?? "", b.var ?? ""));
    for (const f of fields) {
      body += `${f.var ?? ""}<`;
      for (const v of [...f.values].sort(cmp)) body += `${v}<`;
    }
    forms.push({ type, body });
  }
  for (const f of forms.sort((a, b) => cmp(a.type, b.type))) s += f.body;
  return ok(s);
}

/** The `ver` attribute for `info`: base64 of the hash of the verification string. */
export function capsVerification(info: DiscoInfo, hash = "sha-1"): Result<string> {
  const algo = HASHES[hash];
  if (algo === undefined) return err(parseError("invalid-attribute", `unsupported caps hash "${hash}"`, "c@hash"));
  const s = capsVerificationString(info);
  if (!s.ok) return s;
  return ok(createHash(algo).update(s.value, "utf8").digest("base64"));
}

/** Whether advertised caps match the disco#info the entity returned. */
export function verifyCaps(caps: Caps, info: DiscoInfo): boolean {
  const v = capsVerification(info, caps.hash);
  return v.ok && v.value === caps.ver;
}
