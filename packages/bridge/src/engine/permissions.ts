/**
 * Who may use the bridge for what (`permissions` in the config, as mautrix
 * bridges have it): per bare JID, per domain, or `*` for everyone else, one
 * of four levels, each including the ones before it:
 *
 * - `none`: the bridge ignores them (nothing they say in a linked room is
 *   relayed; they cannot write to remote users);
 * - `relay`: what they say in linked rooms is relayed;
 * - `dm`: they may also write to remote users directly (which may make the
 *   bridge look up a remote id nobody has shown it yet);
 * - `admin`: they may also run the bridge's admin commands.
 *
 * Defaults: `*` is `relay`; the XMPP server's own domain (xmpp.serverDomain,
 * else xmpp.domain without its first label) is `dm`; every JID in `admins`
 * is `admin`. What the config says overrides the defaults; the most specific
 * entry wins (JID, then domain, then `*`). An occupant whose real JID the
 * room does not tell is judged by `*`.
 */

export const PERMISSION_LEVELS = ["none", "relay", "dm", "admin"] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

const RANK: Readonly<Record<PermissionLevel, number>> = { none: 0, relay: 1, dm: 2, admin: 3 };

export interface PermissionsOptions {
  /** What the config says: bare JID, domain or `*` -> level (keys in normal form). */
  readonly entries: Readonly<Record<string, PermissionLevel>>;
  readonly admins: readonly string[];
  /** The XMPP server's own domain: its users may write to remote users by default. */
  readonly serverDomain: string;
}

export class Permissions {
  private readonly levels = new Map<string, PermissionLevel>();

  constructor(o: PermissionsOptions) {
    this.levels.set("*", "relay");
    this.levels.set(o.serverDomain.toLowerCase(), "dm");
    for (const admin of o.admins) this.levels.set(admin.toLowerCase(), "admin");
    for (const [who, level] of Object.entries(o.entries)) this.levels.set(who.toLowerCase(), level);
  }

  /** The level of `jid` (bare or full; undefined: someone whose JID is not known). */
  levelOf(jid: string | undefined): PermissionLevel {
    const fallback = this.levels.get("*") ?? "relay";
    if (jid === undefined || jid === "") return fallback;
    const bare = jid.split("/")[0]?.toLowerCase() ?? "";
    const at = bare.indexOf("@");
    const domain = at < 0 ? bare : bare.slice(at + 1);
    return this.levels.get(bare) ?? this.levels.get(domain) ?? fallback;
  }

  /** Whether `jid` has at least `level`. */
  allows(jid: string | undefined, level: PermissionLevel): boolean {
    return RANK[this.levelOf(jid)] >= RANK[level];
  }
}
