/**
 * JIDs (RFC 7622) and XEP-0106 JID Escaping (v1.1).
 *
 * Validation follows RFC 7622's structure and limits: each part at most 1023
 * bytes of UTF-8, domainpart required, no empty localpart or resourcepart when
 * their separator is present, the localpart free of the characters RFC 7622
 * excludes (`" & ' / : < > @`, space) and of controls, NFC normalization of
 * every part, case folding of localpart and domainpart. Full PRECIS
 * (RFC 8264) class checks are approximated: toLowerCase stands in for the
 * UsernameCaseMapped mapping and unassigned code points are not rejected.
 */
import { createHash } from "node:crypto";
import { err, ok, parseError, type Result } from "./result.ts";

export interface Jid {
  readonly local?: string;
  readonly domain: string;
  readonly resource?: string;
}

export const MAX_JID_PART_BYTES = 1023;

const encoder = new TextEncoder();
/** Whether a part is over the byte limit; a UTF-16 unit is at most 3 UTF-8 bytes, so short parts skip encoding. */
function overLimit(s: string): boolean {
  return s.length * 3 > MAX_JID_PART_BYTES && encoder.encode(s).length > MAX_JID_PART_BYTES;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what this replaces
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what this rejects
const LOCAL_FORBIDDEN = /[\u0000-\u0020\u007f-\u009f"&'/:<>@\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what this rejects
const UNICODE_LABEL_FORBIDDEN = /[\u0000-\u002c\u002e\u002f\u003a-\u0040\u005b-\u0060\u007b-\u009f\s]/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const isAscii = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

const bad = (message: string, path: string) => err(parseError("invalid-jid", message, path));

export function parseJid(input: string): Result<Jid> {
  if (typeof input !== "string" || input === "") return bad("a JID cannot be empty", "jid");
  const slash = input.indexOf("/");
  const bare = slash < 0 ? input : input.slice(0, slash);
  const resourceRaw = slash < 0 ? undefined : input.slice(slash + 1);
  const at = bare.indexOf("@");
  const localRaw = at < 0 ? undefined : bare.slice(0, at);
  const domainRaw = at < 0 ? bare : bare.slice(at + 1);

  const domain = normalizeDomain(domainRaw);
  if (!domain.ok) return domain;
  let local: string | undefined;
  if (localRaw !== undefined) {
    const r = normalizeLocal(localRaw);
    if (!r.ok) return r;
    local = r.value;
  }
  let resource: string | undefined;
  if (resourceRaw !== undefined) {
    const r = normalizeResource(resourceRaw);
    if (!r.ok) return r;
    resource = r.value;
  }
  return ok({
    ...(local !== undefined && { local }),
    domain: domain.value,
    ...(resource !== undefined && { resource }),
  });
}

export function normalizeLocal(raw: string): Result<string> {
  if (raw === "") return bad("the localpart is empty (remove the @ or put a name before it)", "jid/local");
  const s = raw.normalize("NFC").toLowerCase();
  const m = LOCAL_FORBIDDEN.exec(s);
  if (m) return bad(`the localpart contains a character JIDs forbid: ${JSON.stringify(m[0])}`, "jid/local");
  if (overLimit(s)) return bad(`the localpart is over ${MAX_JID_PART_BYTES} bytes`, "jid/local");
  return ok(s);
}

export function normalizeDomain(raw: string): Result<string> {
  let s = raw.normalize("NFC").toLowerCase();
  if (s.endsWith(".")) s = s.slice(0, -1);
  if (s === "") return bad("the domainpart is empty", "jid/domain");
  if (overLimit(s)) return bad(`the domainpart is over ${MAX_JID_PART_BYTES} bytes`, "jid/domain");
  if (s.startsWith("[")) {
    return IPV6.test(s) ? ok(s) : bad("the domainpart is not a valid IPv6 literal", "jid/domain");
  }
  for (const label of s.split(".")) {
    if (label === "") return bad("the domainpart has an empty label", "jid/domain");
    if (label.length > 63 && encoder.encode(label).length > 63)
      return bad("a domain label is over 63 bytes", "jid/domain");
    if (isAscii(label)) {
      if (!LABEL.test(label))
        return bad(`the domain label "${label}" is not letters, digits and inner hyphens`, "jid/domain");
    } else if (UNICODE_LABEL_FORBIDDEN.test(label)) {
      return bad(`the domain label ${JSON.stringify(label)} contains a forbidden character`, "jid/domain");
    }
  }
  return ok(s);
}

export function normalizeResource(raw: string): Result<string> {
  if (raw === "") return bad("the resourcepart is empty (remove the / or put a resource after it)", "jid/resource");
  const s = raw.normalize("NFC");
  if (CONTROL.test(s)) return bad("the resourcepart contains a control character", "jid/resource");
  if (overLimit(s)) return bad(`the resourcepart is over ${MAX_JID_PART_BYTES} bytes`, "jid/resource");
  return ok(s);
}

export function formatJid(j: Jid): string {
  let s = j.domain;
  if (j.local !== undefined) s = `${j.local}@${s}`;
  if (j.resource !== undefined) s = `${s}/${j.resource}`;
  return s;
}

/** The bare JID (no resource), normalized; undefined when the input is not a JID. */
export function bareJid(j: string | Jid): string | undefined {
  const p = typeof j === "string" ? parseJid(j) : ok(j);
  if (!p.ok) return undefined;
  return formatJid({ ...(p.value.local !== undefined && { local: p.value.local }), domain: p.value.domain });
}

export function withResource(j: string | Jid, resource: string): Result<Jid> {
  const p = typeof j === "string" ? parseJid(j) : ok(j);
  if (!p.ok) return p;
  const r = normalizeResource(resource);
  if (!r.ok) return r;
  return ok({ ...p.value, resource: r.value });
}

/** Whether two JIDs are the same address after normalization. Invalid JIDs equal nothing. */
export function sameJid(a: string | Jid, b: string | Jid): boolean {
  const pa = typeof a === "string" ? parseJid(a) : ok(a);
  const pb = typeof b === "string" ? parseJid(b) : ok(b);
  return pa.ok && pb.ok && formatJid(pa.value) === formatJid(pb.value);
}

export function sameBareJid(a: string | Jid, b: string | Jid): boolean {
  const x = bareJid(a);
  return x !== undefined && x === bareJid(b);
}

// --- XEP-0106 ----------------------------------------------------------------

const ESCAPES: Record<string, string> = {
  " ": "\\20",
  '"': "\\22",
  "&": "\\26",
  "'": "\\27",
  "/": "\\2f",
  ":": "\\3a",
  "<": "\\3c",
  ">": "\\3e",
  "@": "\\40",
};
const UNESCAPES: Record<string, string> = { "5c": "\\" };
for (const [ch, seq] of Object.entries(ESCAPES)) UNESCAPES[seq.slice(1)] = ch;
const ESCAPE_CODE = /^(?:20|22|26|27|2f|3a|3c|3e|40|5c)/i;

/**
 * XEP-0106 escaping of a localpart: the nine disallowed characters become
 * `\hh`, and a backslash is escaped (`\5c`) only where it would otherwise be
 * read as the start of an escape sequence.
 */
export function escapeLocal(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const e = ESCAPES[ch];
    if (e !== undefined) out += e;
    else if (ch === "\\" && ESCAPE_CODE.test(s.slice(i + 1, i + 3))) out += "\\5c";
    else out += ch;
  }
  return out;
}

/** XEP-0106 unescaping; partial or unknown sequences are left as they are. */
export function unescapeLocal(s: string): string {
  if (s.indexOf("\\") < 0) return s;
  return s.replace(/\\(20|22|26|27|2f|3a|3c|3e|40|5c)/gi, (_, code: string) => UNESCAPES[code.toLowerCase()] ?? _);
}

/**
 * A localpart for any remote identifier (a Discord snowflake, a Slack id, a
 * Matrix user id): the XEP-0106 escape of the id when that is already a valid,
 * normalized localpart; otherwise (upper-case letters, which JIDs fold so that
 * ids differing in case would collide, or anything invalid or too long) a
 * readable lower-case prefix plus `~` and 16 hex digits of the id's SHA-256.
 * Stable for a given id; the result always passes `normalizeLocal` unchanged.
 * Map back through the bridge's store, not by unescaping, for hashed forms.
 */
export function localFromRemoteId(id: string): string {
  const escaped = escapeLocal(id.normalize("NFC"));
  const r = normalizeLocal(escaped);
  if (r.ok && r.value === escaped) return escaped;
  const digest = createHash("sha256").update(id, "utf8").digest("hex").slice(0, 16);
  const readable = Array.from(escaped.toLowerCase().replace(/[^a-z0-9._-]/g, ""))
    .slice(0, 48)
    .join("");
  return `${readable}~${digest}`;
}

/**
 * A resourcepart (MUC nickname) for any display name: NFC, controls and
 * line breaks turned into spaces, whitespace collapsed and trimmed, cut at a
 * character boundary to fit the byte limit; `fallback` when nothing is left.
 */
export function resourceFromNick(nick: string, fallback = "user"): string {
  let s = nick.normalize("NFC").replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
  if (s === "") s = fallback;
  if (encoder.encode(s).length <= MAX_JID_PART_BYTES) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = encoder.encode(ch).length;
    if (bytes + n > MAX_JID_PART_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}
