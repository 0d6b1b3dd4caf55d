/**
 * The part of ejabberd.yml a Parley bridge needs, as a file of its own for
 * `include_config_file` (ejabberd adds its `listen` entries to the main
 * file's, and its `acl`, `access_rules` and `modules` entries alongside the
 * main file's, refusing a module configured in both): the component listener with each bridge's secret, the MUC
 * service with its archive, the rules that let the bridges create the
 * rooms they are linked to, and the bridges' privileges (XEP-0356, mod_privilege).
 */
import { yamlString } from "./quoting.ts";
import { bridgesPhrase, resolveSetup, type ServerSetup } from "./server-setup.ts";

/** The file name `parley init` writes it to and the guide uses. */
export const EJABBERD_FILE_NAME = "ejabberd-parley.yml";

/** The names this file adds to ejabberd's acl and access_rules. */
export const EJABBERD_ACL = "parley_bridges";
export const EJABBERD_MUC_CREATE_RULE = "parley_muc_create";
/** The acl and access rule of the bridges granted contacts (XEP-0356). */
export const EJABBERD_CONTACTS_RULE = "parley_contacts";

export function ejabberdConfig(setup: ServerSetup): string {
  const s = resolveSetup(setup);
  const privileged = s.components.filter((c) => c.rosterPrivilege);
  const lines = [
    `# Parley: what ejabberd needs for ${bridgesPhrase(s.components)} (server ${s.domain}).`,
    "# Include it from ejabberd.yml, then restart ejabberd:",
    `#   include_config_file: ${`/etc/ejabberd/${EJABBERD_FILE_NAME}`}`,
    "# ejabberd refuses a module configured twice: take mod_muc and mod_mam out of ejabberd.yml",
    "# (Debian's configures both), moving any option of yours into this file.",
    "",
    "listen:",
    "  # Bridges connect as external components (XEP-0114) on this port.",
    `  - port: ${s.componentPort}`,
    `    ip: ${yamlString(s.componentInterface)}`,
    "    module: ejabberd_service",
    "    hosts:",
    ...s.components.flatMap((c) => [`      ${yamlString(c.domain)}:`, `        password: ${yamlString(c.secret)}`]),
    "",
    "acl:",
    `  ${EJABBERD_ACL}:`,
    "    server:",
    ...s.components.map((c) => `      - ${yamlString(c.domain)}`),
  ];
  if (privileged.length > 0) {
    lines.push(
      `  ${EJABBERD_CONTACTS_RULE}:`,
      "    server:",
      ...privileged.map((c) => `      - ${yamlString(c.domain)}`),
    );
  }
  lines.push(
    "",
    "access_rules:",
    "  # Local users and the bridges may create rooms (a bridge creates a linked room that is missing).",
    `  ${EJABBERD_MUC_CREATE_RULE}:`,
    "    - allow: local",
    `    - allow: ${EJABBERD_ACL}`,
  );
  if (privileged.length > 0) lines.push(`  ${EJABBERD_CONTACTS_RULE}:`, `    - allow: ${EJABBERD_CONTACTS_RULE}`);
  lines.push("", "modules:");
  if (privileged.length > 0) {
    lines.push(
      "  # Contacts (XEP-0356): a bridge puts the remote users an XMPP user writes to into that",
      "  # user's roster, and sends them their presence when the user comes online. ejabberd before",
      "  # 23.10 grants it but fails the roster set (ejabberd issue #3942): the bridge then asks",
      "  # each user with a subscription request instead, as it does without this module.",
      "  mod_privilege:",
      "    roster:",
      `      set: ${EJABBERD_CONTACTS_RULE}`,
      "    presence:",
      `      managed_entity: ${EJABBERD_CONTACTS_RULE}`,
    );
  }
  if (s.archive) {
    lines.push(
      "  # The room archive (XEP-0313): the bridge reads it to catch up after an outage and",
      "  # to confirm what arrived.",
      "  mod_mam: {}",
    );
  }
  lines.push(
    "  mod_muc:",
    "    hosts:",
    `      - ${yamlString(s.mucDomain)}`,
    `    access_create: ${EJABBERD_MUC_CREATE_RULE}`,
    "    # Every member of a bridged channel is an occupant of its room (ejabberd's default is 200).",
    `    max_users: ${s.maxOccupants}`,
    "    default_room_options:",
    `      mam: ${s.archive}`,
    `      max_users: ${s.maxOccupants}`,
  );
  return `${lines.join("\n")}\n`;
}
