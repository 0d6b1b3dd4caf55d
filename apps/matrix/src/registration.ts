/**
 * The application-service registration Synapse loads: who the bridge is (id,
 * tokens, bot), where it listens, and which user IDs and aliases it owns
 * exclusively (every `@<userPrefix>…` ghost and `#<aliasPrefix>…` portal on
 * this server). Ephemeral events (typing, receipts, presence) are asked for
 * because they are bridged.
 */
import { stringify } from "yaml";
import { appserviceUrlOf, type MatrixOptions } from "./config.ts";

export interface NamespaceEntry {
  readonly exclusive: boolean;
  readonly regex: string;
}

/** The registration file's fields, as the Matrix application-service spec names them. */
export interface AppserviceRegistration {
  id: string;
  url: string | null;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  namespaces: { users?: NamespaceEntry[]; aliases?: NamespaceEntry[]; rooms?: NamespaceEntry[] };
  rate_limited?: boolean;
  receive_ephemeral?: boolean;
  "de.sorunome.msc2409.push_ephemeral"?: boolean;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * The registration for these options. `rate_limited: false` because every
 * XMPP user speaks through one bridge: Synapse's per-user message limits are
 * meant for people, and a limit on the ghosts would throttle whole rooms.
 */
export function buildRegistration(o: MatrixOptions, boundPort?: number): AppserviceRegistration {
  const server = escapeRegex(o.serverName);
  return {
    id: o.appserviceId,
    url: appserviceUrlOf(o, boundPort),
    as_token: o.asToken,
    hs_token: o.hsToken,
    sender_localpart: o.botLocalpart,
    namespaces: {
      users: [{ exclusive: true, regex: `@${escapeRegex(o.userPrefix)}.*:${server}` }],
      aliases: [{ exclusive: true, regex: `#${escapeRegex(o.aliasPrefix)}.*:${server}` }],
      rooms: [],
    },
    rate_limited: false,
    receive_ephemeral: true,
    // Older Synapse releases read the unstable name of the same setting (MSC2409).
    "de.sorunome.msc2409.push_ephemeral": true,
  };
}

/** The registration as YAML, with a header saying what it is. */
export function registrationYaml(r: AppserviceRegistration): string {
  return `# Parley Matrix bridge: application-service registration. Keep it secret (it holds the tokens).\n${stringify(r)}`;
}

/** The line to add to Synapse's homeserver.yaml so it loads the registration at `path`. */
export function homeserverConfigLine(path: string): string {
  return `app_service_config_files: [${JSON.stringify(path)}]`;
}
