/**
 * Links with a meaning in Matrix: `https://matrix.to/#/<id>` permalinks and
 * `matrix:` URIs (client-server API, "Appendix: Identifier Grammar" and
 * "Uris"). A link to a user is a mention (a "pill"), a link to a room alias
 * or room id a channel mention; a link to an event stays a link.
 */

/** What a Matrix link points at; `id` keeps its sigil (`@`, `#` or `!`). */
export interface MatrixEntity {
  readonly kind: "user" | "room";
  readonly id: string;
}

/** Identifiers are at most 255 bytes; longer ones are not identifiers and stay links. */
const MAX_ID = 255;
const USER_ID = /^@[^\s:/]+:[^\s/]+$/;
const ROOM_ALIAS = /^#[^\s:/]+:[^\s/]+$/;
/** Room ids are `!opaque:server`, or only `!opaque` from room version 12. */
const ROOM_ID = /^![^\s:/]+(?::[^\s/]+)?$/;

export function isUserId(id: string): boolean {
  return id.length <= MAX_ID && USER_ID.test(id);
}

function isRoomId(id: string): boolean {
  return id.length <= MAX_ID && (ROOM_ALIAS.test(id) || ROOM_ID.test(id));
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray `%`: take the text as written
  }
}

const MATRIX_TO = /^https?:\/\/matrix\.to\/#\/([^?]*)/i;
const MATRIX_URI = /^matrix:(u|r|roomid)\/([^?#]*)/i;
const URI_SIGIL: Readonly<Record<string, string>> = { u: "@", r: "#", roomid: "!" };

/** The user or room a link points at, or undefined for any other link (including links to events). */
export function matrixEntityOf(href: string): MatrixEntity | undefined {
  const url = href.trim();
  let id: string | undefined;
  const to = MATRIX_TO.exec(url);
  if (to) {
    const path = to[1] as string;
    if (path.includes("/")) return undefined; // `<room>/<event>`: a link to a message
    id = decode(path);
  } else {
    const uri = MATRIX_URI.exec(url);
    if (uri === null) return undefined;
    const path = uri[2] as string;
    if (path.includes("/")) return undefined;
    id = (URI_SIGIL[(uri[1] as string).toLowerCase()] as string) + decode(path);
  }
  if (isUserId(id)) return { kind: "user", id };
  if (isRoomId(id)) return { kind: "room", id };
  return undefined;
}

/**
 * The matrix.to link of a user or room. Characters that would end or
 * change the fragment (`/`, `?`, `#` after the sigil, `%`, spaces, quotes)
 * are percent-encoded; the rest stays readable, as clients write it.
 */
export function matrixToLink(id: string): string {
  const sigil = id.slice(0, 1);
  const rest = id.slice(1).replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/g, (c) => encodeURIComponent(c));
  return `https://matrix.to/#/${sigil}${rest}`;
}

/**
 * The name a pill shows, as a mention name: line feeds collapsed, no
 * leading sigils (a mention's name never has one; pills usually do not
 * either, but some clients write `@alice`). Applying it twice changes
 * nothing, so a name written by the writer reads back unchanged.
 */
export function pillName(text: string, sigil: "@" | "#"): string {
  // Split and trim rather than one regular expression: a run of spaces must cost linear time.
  const t = text
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
  return sigil === "@" ? t.replace(/^[@ ]+/, "") : t.replace(/^[# ]+/, "");
}

/** Schemes a link read from Matrix may keep: anything else (javascript:, data:, relative) is not followed. */
const READ_SCHEMES = /^(?:https?|ftp|mailto|magnet|xmpp|tel|geo|matrix):/i;
/** Schemes the writer puts in an href, as Matrix clients' sanitizers allow them. */
const WRITE_SCHEMES = /^(?:https?:\/\/|mailto:)/i;

export function isReadableHref(href: string): boolean {
  return READ_SCHEMES.test(href);
}

export function isWritableHref(href: string): boolean {
  return WRITE_SCHEMES.test(href);
}
