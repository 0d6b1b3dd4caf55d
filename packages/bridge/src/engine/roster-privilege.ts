/**
 * XEP-0356 Privileged Entity, version 0.4 (`urn:xmpp:privilege:2`, Prosody's
 * mod_privilege) and 0.2 (`urn:xmpp:privilege:1`, ejabberd 23.01's):
 * https://xmpp.org/extensions/xep-0356.html
 *
 * A server that trusts the bridge tells it so, right after the component
 * handshake, with a `<message from='example.org'>` carrying
 * `<privilege><perm access='roster' type='set'/>...</privilege>`: one per
 * user domain, so the grant is remembered per domain. With roster `set`
 * the bridge can put a puppet into the roster of a user of that domain itself
 * (an ordinary roster set, RFC 6121 §2.3, addressed to the user's bare JID);
 * with presence `managed_entity` the server forwards its users' own presence
 * to the bridge, which tells the bridge when to send them their contacts'
 * presence. Anything else a server grants is not used.
 *
 * Only a server speaks from its bare domain (servers stamp what their users
 * and peers send), and what a domain grants is only ever used for that
 * domain's own users.
 */
import { bareJid, childOf, childrenOf, type Element, element, nsOf, parseJid } from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";
import type { Logger } from "../ops/logger-types.ts";

export const NS_PRIVILEGE = "urn:xmpp:privilege:2";
/** The namespace of XEP-0356 before version 0.3, which ejabberd 23.01 still speaks. */
export const NS_PRIVILEGE_1 = "urn:xmpp:privilege:1";
const NS_ROSTER = "jabber:iq:roster";

/** Answers to a roster set that say the grant itself does not work, whatever the item. */
const SERVER_FAULTS = new Set(["internal-server-error", "forbidden", "not-allowed", "feature-not-implemented"]);

/** What one server domain lets the bridge do (XEP-0356 §3–§6); `none` where it says nothing. */
export interface PrivilegeGrant {
  readonly roster: "none" | "get" | "set" | "both";
  readonly message: "none" | "outgoing";
  readonly presence: "none" | "managed_entity" | "roster";
}

const ROSTER = ["none", "get", "set", "both"] as const;
const MESSAGE = ["none", "outgoing"] as const;
const PRESENCE = ["none", "managed_entity", "roster"] as const;

function oneOf<T extends string>(allowed: readonly T[], value: string | undefined): T | undefined {
  return allowed.find((a) => a === value);
}

/**
 * The grant a `<message>` advertises, with the domain it is for, or undefined
 * when the message is no privilege advertisement. Unknown permission types
 * count as `none`.
 */
export function parsePrivilegeGrant(
  el: Element,
): { readonly server: string; readonly grant: PrivilegeGrant } | undefined {
  if (el.name !== "message" || el.attrs.type === "error") return undefined;
  // Every message the bridge receives comes through here: most have no privilege, and need no JID parsed
  // (nor their children read twice, once per namespace).
  if (!childOf(el, "privilege")) return undefined;
  const privilege = childOf(el, "privilege", NS_PRIVILEGE) ?? childOf(el, "privilege", NS_PRIVILEGE_1);
  if (!privilege) return undefined;
  const from = parseJid(el.attrs.from ?? "");
  // Only a server speaks for its users: a privilege from anything with a local part or a resource is not one.
  if (!from.ok || from.value.local !== undefined || from.value.resource !== undefined) return undefined;
  const ns = nsOf(privilege);
  let roster: PrivilegeGrant["roster"] = "none";
  let message: PrivilegeGrant["message"] = "none";
  let presence: PrivilegeGrant["presence"] = "none";
  for (const perm of childrenOf(privilege, "perm", ns)) {
    const type = perm.attrs.type;
    if (perm.attrs.access === "roster") roster = oneOf(ROSTER, type) ?? "none";
    else if (perm.attrs.access === "message") message = oneOf(MESSAGE, type) ?? "none";
    else if (perm.attrs.access === "presence") presence = oneOf(PRESENCE, type) ?? "none";
  }
  return { server: from.value.domain.toLowerCase(), grant: { roster, message, presence } };
}

/** A roster item the bridge writes for a user: a puppet, named and grouped. */
export interface ContactItem {
  /** The puppet's bare JID. */
  readonly jid: string;
  readonly name: string;
  /** The roster group, e.g. the network's display name. */
  readonly group: string;
}

export interface RosterPrivilegeOptions {
  /** The bridge's component domain (the `from` of its requests). */
  readonly domain: string;
  readonly router: IqRouter;
  readonly logger: Logger;
  /** A user of a domain granting presence came online (their full JID). */
  readonly onUserAvailable: (fullJid: string) => void;
  /** How long the user's server has to answer a roster set; default 15 s. */
  readonly timeoutMs?: number;
}

export class RosterPrivilege {
  private readonly options: RosterPrivilegeOptions;
  /** Server domain -> what it granted, as last advertised (a reconnect advertises again). */
  private readonly grants = new Map<string, PrivilegeGrant>();
  /** Server domains that granted roster set but failed one, until they advertise again. */
  private readonly failing = new Set<string>();

  constructor(options: RosterPrivilegeOptions) {
    this.options = options;
  }

  /** The grant of a server domain, or undefined when it advertised none. */
  grantOf(server: string): PrivilegeGrant | undefined {
    return this.grants.get(server.toLowerCase());
  }

  /** Whether the bridge may write rosters of users of `server`. */
  maySetRoster(server: string): boolean {
    const roster = this.grantOf(server)?.roster;
    return (roster === "set" || roster === "both") && !this.failing.has(server.toLowerCase());
  }

  /**
   * Takes the stanzas this part owns: a privilege advertisement, and a
   * user's own presence forwarded by a server granting presence (from the
   * user's full JID to the bridge's bare domain). Returns false for anything else.
   */
  dispatch(el: Element): boolean {
    if (el.name === "message") {
      const advertised = parsePrivilegeGrant(el);
      if (!advertised) return false;
      this.grants.set(advertised.server, advertised.grant);
      this.failing.delete(advertised.server);
      this.options.logger.info("the XMPP server grants the bridge privileges (XEP-0356)", {
        server: advertised.server,
        ...advertised.grant,
        contacts: this.maySetRoster(advertised.server) ? "roster" : "subscription requests",
      });
      return true;
    }
    if (el.name !== "presence" || (el.attrs.to ?? "").toLowerCase() !== this.options.domain.toLowerCase()) return false;
    const from = parseJid(el.attrs.from ?? "");
    if (!from.ok || from.value.local === undefined || from.value.resource === undefined) return false;
    const presence = this.grantOf(from.value.domain)?.presence;
    if (presence !== "managed_entity" && presence !== "roster") return false;
    if (el.attrs.type === undefined) this.options.onUserAvailable(el.attrs.from ?? "");
    return true;
  }

  /**
   * Puts `item` into the roster of `user` (a bare JID) with a roster set the
   * user's server carries out on the grant. Subscription `both` asks for the
   * contact as if both had accepted each other's request: the user sees the
   * puppet's presence and their server probes it at login. (ejabberd 23.01
   * keeps the item's subscription as it was, `none` for a new one; the bridge
   * then sends presence when the user comes online, on the presence grant.)
   * Resolves with the server's error condition, or undefined once done. A
   * server that fails a roster set it granted (ejabberd before 23.10 answers
   * internal-server-error: its mod_roster looks up its options for the
   * component's domain, ejabberd issue #3942) is not asked again until it
   * advertises its grant again.
   */
  async addContact(user: string, item: ContactItem): Promise<string | undefined> {
    const to = bareJid(user);
    if (to === undefined) return "jid-malformed";
    const answer = await this.options.router.request(
      {
        type: "set",
        to,
        from: this.options.domain,
        payload: element(
          "query",
          { xmlns: NS_ROSTER },
          element("item", { jid: item.jid, name: item.name, subscription: "both" }, element("group", {}, item.group)),
        ),
      },
      this.options.timeoutMs ?? 15_000,
    );
    if (answer.type === "result") return undefined;
    const condition = answer.error?.condition ?? "undefined-condition";
    if (SERVER_FAULTS.has(condition)) {
      const server = parseJid(to);
      if (server.ok) this.failing.add(server.value.domain.toLowerCase());
      this.options.logger.warn(
        "the XMPP server granted roster privilege (XEP-0356) but fails roster sets; its users get subscription requests instead (ejabberd before 23.10 does: upgrade it, or leave mod_privilege out)",
        { server: server.ok ? server.value.domain : to, condition },
      );
    }
    return condition;
  }
}
