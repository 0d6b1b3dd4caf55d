/**
 * Application-service registrations, as Synapse reads them from the files
 * listed in `app_service_config_files`. Checked here before Synapse starts, so
 * a mistake in a test fails at once with the field named, not after a minute
 * of waiting for a homeserver that refused its configuration.
 */

export interface AppserviceNamespace {
  exclusive: boolean;
  regex: string;
}

export interface AppserviceRegistration {
  id: string;
  /** Where Synapse pushes transactions; null for an appservice that only calls the client API. */
  url: string | null;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  namespaces: {
    users?: AppserviceNamespace[];
    aliases?: AppserviceNamespace[];
    rooms?: AppserviceNamespace[];
  };
  rate_limited?: boolean;
  /** MSC2409's name for receive_ephemeral; Synapse 1.163 honours both. */
  "de.sorunome.msc2409.push_ephemeral"?: boolean;
  /** Typing, receipts and presence in transactions (stable in Synapse 1.163, no experimental flag needed). */
  receive_ephemeral?: boolean;
}

/** Throws an error naming the registration and the field that Synapse would refuse. */
export function checkRegistrations(regs: readonly AppserviceRegistration[]): void {
  const ids = new Set<string>();
  const tokens = new Set<string>();
  regs.forEach((r, i) => {
    const where = `appservice registration ${i}${typeof r?.id === "string" ? ` (${JSON.stringify(r.id)})` : ""}`;
    const fail = (what: string): never => {
      throw new Error(`${where}: ${what}`);
    };
    if (typeof r !== "object" || r === null) fail("not an object");
    for (const field of ["id", "as_token", "hs_token", "sender_localpart"] as const) {
      if (typeof r[field] !== "string" || r[field] === "") fail(`${field} must be a non-empty string`);
    }
    if (r.url !== null && typeof r.url !== "string") fail("url must be a string or null");
    if (typeof r.url === "string" && !/^https?:\/\//.test(r.url)) fail("url must be an http(s) URL");
    if (encodeURIComponent(r.sender_localpart) !== r.sender_localpart) {
      fail("sender_localpart must not need URL encoding");
    }
    if (typeof r.namespaces !== "object" || r.namespaces === null) fail("namespaces must be an object");
    for (const kind of ["users", "aliases", "rooms"] as const) {
      const list: unknown = r.namespaces[kind];
      if (list === undefined) continue;
      if (!Array.isArray(list)) fail(`namespaces.${kind} must be an array`);
      for (const ns of list as unknown[]) {
        const n = ns as Partial<AppserviceNamespace> | null;
        if (typeof n?.regex !== "string" || typeof n.exclusive !== "boolean") {
          fail(`namespaces.${kind} entries need a string regex and a boolean exclusive`);
        }
      }
    }
    if (ids.has(r.id)) fail("id is used by another registration");
    if (tokens.has(r.as_token)) fail("as_token is used by another registration");
    ids.add(r.id);
    tokens.add(r.as_token);
  });
}
