/**
 * What the XMPP server must be told for Parley's bridges, as plain inputs, and
 * their checks. Both servers' texts are made from one `ServerSetup`, so a
 * setting the bridge needs is stated once here and rendered twice.
 */

/** One bridge process: an XEP-0114 component with its own domain and secret. */
export interface BridgeComponent {
  /** The component's domain, e.g. `discord.example.org` (xmpp.domain in parley.yaml). */
  readonly domain: string;
  /** The shared secret (xmpp.secret in parley.yaml). */
  readonly secret: string;
  /**
   * Contacts through XEP-0356 (Privileged Entity): the server lets this bridge
   * write its users' rosters (`roster: set`), so a remote user an XMPP user
   * writes to appears in their roster at once, and tells it when its users
   * come online (`presence: managed_entity`), so those contacts show their
   * presence. Default true. Off, the bridge asks each user with a subscription
   * request from the puppet instead, which the user accepts.
   */
  readonly rosterPrivilege?: boolean;
}

/** A bridge with its defaults filled in. */
export interface ResolvedComponent {
  readonly domain: string;
  readonly secret: string;
  readonly rosterPrivilege: boolean;
}

/** What the MUC service offers the bridges. Both default to true: the bridge needs them. */
export interface MucFeatures {
  /** The room archive (XEP-0313): catch-up after an outage, and confirming what arrived. */
  readonly archive?: boolean;
  /**
   * Message moderation (XEP-0425): a message deleted on the network is removed
   * from the room. Prosody: mod_muc_moderation. ejabberd 23.01 has none, so
   * this changes nothing there.
   */
  readonly moderation?: boolean;
}

export interface ServerSetup {
  /** The server's own domain (its VirtualHost or `hosts` entry), e.g. `example.org`. */
  readonly domain: string;
  /** The MUC service the linked rooms live on, e.g. `conference.example.org`. */
  readonly mucDomain: string;
  /** The bridges to accept; one per network. */
  readonly components: readonly BridgeComponent[];
  /** The port the bridges connect to; default 5347. */
  readonly componentPort?: number;
  /** The address that port listens on; default 127.0.0.1 (the bridges run on the same machine). */
  readonly componentInterface?: string;
  readonly muc?: MucFeatures;
  /**
   * Prosody: how many rooms stay in memory (`muc_room_cache_size`); default
   * 1000. Above it Prosody writes the least recently used room to disk and
   * reads it back at its next message, so keep it above the number of rooms
   * in use, linked or not.
   */
  readonly roomCacheSize?: number;
  /**
   * ejabberd: most occupants per room (`max_users`, service-wide and for new
   * rooms); default 1000. Every member of a bridged channel is an occupant,
   * and ejabberd's own default is 200.
   */
  readonly maxOccupants?: number;
}

/** A ServerSetup with every default filled in, checked. */
export interface ResolvedSetup {
  readonly domain: string;
  readonly mucDomain: string;
  readonly components: readonly ResolvedComponent[];
  readonly componentPort: number;
  readonly componentInterface: string;
  readonly archive: boolean;
  readonly moderation: boolean;
  readonly roomCacheSize: number;
  readonly maxOccupants: number;
}

export const DEFAULT_COMPONENT_PORT = 5347;

/** An input the configuration cannot be made from: names the field and what to write instead. */
export class ServerSetupError extends Error {
  readonly field: string;
  readonly fix: string;
  constructor(field: string, problem: string, fix: string) {
    super(`${field} ${problem}: ${fix}`);
    this.name = "ServerSetupError";
    this.field = field;
    this.fix = fix;
  }
}

// Letters, digits, dots and dashes (and IDN labels as Unicode letters): what a server or component domain is.
const DOMAIN =
  /^(?=.{1,253}$)[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*$/u;
const ADDRESS = /^[0-9A-Fa-f.:]+$|^\*$/;

function checkDomain(field: string, value: string): string {
  if (!DOMAIN.test(value)) {
    throw new ServerSetupError(
      field,
      "is not a domain name",
      "write a name such as example.org (letters, digits, dots and dashes; no @, / or spaces)",
    );
  }
  return value.toLowerCase();
}

function checkWhole(field: string, value: number, min: number, max: number, fix: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ServerSetupError(field, `must be a whole number from ${min} to ${max}`, fix);
  }
  return value;
}

/** Checks a setup and fills in its defaults; throws ServerSetupError naming the first bad field. */
export function resolveSetup(setup: ServerSetup): ResolvedSetup {
  const domain = checkDomain("domain", setup.domain);
  const mucDomain = checkDomain("mucDomain", setup.mucDomain);
  if (mucDomain === domain) {
    throw new ServerSetupError(
      "mucDomain",
      "is the server's own domain",
      `use a subdomain such as conference.${domain}`,
    );
  }
  if (setup.components.length === 0) {
    throw new ServerSetupError("components", "is empty", "give one { domain, secret } per bridge");
  }
  const seen = new Set<string>([domain, mucDomain]);
  const components = setup.components.map((c, i) => {
    const field = `components[${i}]`;
    const componentDomain = checkDomain(`${field}.domain`, c.domain);
    if (seen.has(componentDomain)) {
      throw new ServerSetupError(
        `${field}.domain`,
        "is already used by the server, its MUC service or another bridge",
        `give each bridge a domain of its own, such as discord.${domain}`,
      );
    }
    seen.add(componentDomain);
    // Printable characters only: the secret is written inside a quoted string in both formats.
    if (c.secret === "" || /[\p{Cc}]/u.test(c.secret)) {
      throw new ServerSetupError(
        `${field}.secret`,
        c.secret === "" ? "is empty" : "has control characters",
        "use the secret `parley init` wrote into parley.yaml, or one from `openssl rand -hex 24`",
      );
    }
    return { domain: componentDomain, secret: c.secret, rosterPrivilege: c.rosterPrivilege ?? true };
  });
  const componentInterface = setup.componentInterface ?? "127.0.0.1";
  if (!ADDRESS.test(componentInterface)) {
    throw new ServerSetupError(
      "componentInterface",
      "is not an IP address",
      "write the address to listen on, such as 127.0.0.1 (the bridges on the same machine) or ::1",
    );
  }
  return {
    domain,
    mucDomain,
    components,
    componentPort: checkWhole(
      "componentPort",
      setup.componentPort ?? DEFAULT_COMPONENT_PORT,
      1,
      65535,
      "write the port the bridges connect to (xmpp.port in parley.yaml), usually 5347",
    ),
    componentInterface,
    archive: setup.muc?.archive ?? true,
    moderation: setup.muc?.moderation ?? true,
    roomCacheSize: checkWhole(
      "roomCacheSize",
      setup.roomCacheSize ?? 1000,
      100,
      1_000_000,
      "write more than the number of rooms in use; 1000 suits most servers",
    ),
    maxOccupants: checkWhole(
      "maxOccupants",
      setup.maxOccupants ?? 1000,
      200,
      1_000_000,
      "write more than the members of the largest bridged channel; 1000 suits most communities",
    ),
  };
}

/** How the bridges read in a comment: "the bridge for discord.example.org", or a list. */
export function bridgesPhrase(components: readonly BridgeComponent[]): string {
  const names = components.map((c) => c.domain);
  return names.length === 1 ? `the bridge ${names[0]}` : `the bridges ${names.join(", ")}`;
}
