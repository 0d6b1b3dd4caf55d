/**
 * Names on the Matrix side: ghost user IDs for XMPP JIDs and portal aliases
 * for MUC rooms. Matrix localparts allow only `a-z 0-9 . _ = - / +`, so a JID
 * is escaped the way the Matrix spec's appendix on mapping other character
 * sets suggests (upper case `A` as `_a`, `_` as `__`, any other byte of the
 * UTF-8 form as `=xx`), which is reversible: the JID comes back from the ID.
 */

const PLAIN = /^[a-z0-9.-]$/;

/** Escapes any string into Matrix localpart characters, reversibly. */
export function escapeLocalpart(s: string): string {
  let out = "";
  for (const ch of s) {
    if (PLAIN.test(ch)) out += ch;
    else if (ch === "_") out += "__";
    else if (/^[A-Z]$/.test(ch)) out += `_${ch.toLowerCase()}`;
    else for (const b of Buffer.from(ch, "utf8")) out += `=${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The string `escapeLocalpart` made, or undefined when `s` is not such an escape. */
export function unescapeLocalpart(s: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "_") {
      const next = s[i + 1];
      if (next === "_") bytes.push(0x5f);
      else if (next !== undefined && /^[a-z]$/.test(next)) bytes.push(next.toUpperCase().charCodeAt(0));
      else return undefined;
      i++;
    } else if (ch === "=") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (PLAIN.test(ch)) {
      bytes.push(ch.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  try {
    return UTF8.decode(new Uint8Array(bytes));
  } catch {
    return undefined; // not UTF-8: not an id this bridge made
  }
}

export interface MatrixNames {
  readonly serverName: string;
  readonly userPrefix: string;
  readonly aliasPrefix: string;
  readonly botLocalpart: string;
}

/** `@<userPrefix><escaped jid>:<serverName>`. */
export function ghostUserId(jid: string, n: MatrixNames): string {
  return `@${n.userPrefix}${escapeLocalpart(jid)}:${n.serverName}`;
}

/** The JID behind a ghost's user ID, or undefined for any other user. */
export function jidOfGhost(userId: string, n: MatrixNames): string | undefined {
  const prefix = `@${n.userPrefix}`;
  const suffix = `:${n.serverName}`;
  if (!userId.startsWith(prefix) || !userId.endsWith(suffix)) return undefined;
  const escaped = userId.slice(prefix.length, userId.length - suffix.length);
  if (escaped === "") return undefined;
  return unescapeLocalpart(escaped);
}

export function botUserId(n: MatrixNames): string {
  return `@${n.botLocalpart}:${n.serverName}`;
}

/** Whether one of the application service's own users (a ghost or the bot) sent it: an echo. */
export function isOwnUser(userId: string, n: MatrixNames): boolean {
  return userId === botUserId(n) || jidOfGhost(userId, n) !== undefined;
}

/**
 * The room JID a portal alias names: `#<aliasPrefix><room>=<muc domain>:<serverName>`
 * for `room@muc.domain`; undefined when the alias is not one (wrong server,
 * no prefix, no `=`, or not a plausible JID).
 */
export function roomJidOfAlias(alias: string, n: MatrixNames): string | undefined {
  const prefix = `#${n.aliasPrefix}`;
  const suffix = `:${n.serverName}`;
  if (!alias.startsWith(prefix) || !alias.endsWith(suffix)) return undefined;
  const body = alias.slice(prefix.length, alias.length - suffix.length);
  const eq = body.lastIndexOf("=");
  if (eq <= 0 || eq === body.length - 1) return undefined;
  const local = body.slice(0, eq).toLowerCase();
  const domain = body.slice(eq + 1).toLowerCase();
  // A MUC room's localpart: no separators or spaces; a domain: DNS-ish labels.
  if (!/^[^\s@/:"&'<>]{1,256}$/u.test(local)) return undefined;
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain) && !/^[a-z0-9-]+$/.test(domain)) return undefined;
  return `${local}@${domain}`;
}

/** The alias localpart (without `#` and server) of the portal for a room JID. */
export function portalAliasLocalpart(roomJid: string, n: MatrixNames): string {
  const at = roomJid.lastIndexOf("@");
  return `${n.aliasPrefix}${roomJid.slice(0, at)}=${roomJid.slice(at + 1)}`;
}
