/**
 * The part of prosody.cfg.lua a Parley bridge needs, as a file of its own to
 * `Include` (Prosody reads an included file from the global section, so its
 * first options are global wherever the Include line stands): the component
 * port, the bridges' privileges (XEP-0356), the MUC service with its archive
 * and moderation modules, and one Component per bridge with its secret.
 *
 * mod_privilege (prosody-modules) must also run on the VirtualHost whose
 * users' rosters it opens: this file cannot add it there without replacing
 * the server's own modules_enabled, so it says so in a comment, and
 * `prosodyHostModules` names it for whoever writes the main file.
 */
import { luaString } from "./quoting.ts";
import { bridgesPhrase, resolveSetup, type ServerSetup } from "./server-setup.ts";

/** The file name `parley init` writes it to and the guide uses. */
export const PROSODY_FILE_NAME = "prosody-parley.cfg.lua";

/** Modules the server's VirtualHost (or its global modules_enabled) must load for these bridges. */
export function prosodyHostModules(setup: ServerSetup): string[] {
  return resolveSetup(setup).components.some((c) => c.rosterPrivilege) ? ["privilege"] : [];
}

export function prosodyConfig(setup: ServerSetup): string {
  const s = resolveSetup(setup);
  const privileged = s.components.filter((c) => c.rosterPrivilege);
  const mucModules = [s.archive && "muc_mam", s.moderation && "muc_moderation"].filter(
    (m): m is string => typeof m === "string",
  );
  const lines = [
    `-- Parley: what Prosody needs for ${bridgesPhrase(s.components)} (server ${s.domain}).`,
    "-- Copy it into /etc/prosody/conf.d/ (Debian's prosody.cfg.lua includes every file there),",
    `-- or add  Include ${luaString(`/etc/prosody/${PROSODY_FILE_NAME}`)}  to prosody.cfg.lua; then restart Prosody.`,
    "",
    "-- Bridges connect as external components (XEP-0114) on this port.",
    `component_ports = { ${s.componentPort} }`,
    `component_interfaces = { ${luaString(s.componentInterface)} }`,
    "-- A bridge that reconnects before Prosody noticed it was gone takes over its own session.",
    'component_conflict_resolve = "kick_old"',
    "",
  ];
  if (privileged.length > 0) {
    lines.push(
      "-- Contacts (XEP-0356, mod_privilege from prosody-modules): a bridge puts the remote users an",
      "-- XMPP user writes to into that user's roster, and sends them their presence when the user",
      '-- comes online. Also add "privilege" to modules_enabled, globally or in your VirtualHost',
      `-- ${luaString(s.domain)}; without it users get a subscription request to accept instead.`,
      "privileged_entities = {",
      ...privileged.map((c) => `  [${luaString(c.domain)}] = { roster = "set"; presence = "managed_entity" };`),
      "}",
      "",
    );
  }
  lines.push(
    "-- The rooms. The bridge reads their archive (XEP-0313, muc_mam) to catch up after an",
    "-- outage and to confirm what arrived; it asks them to moderate (XEP-0425,",
    "-- muc_moderation from prosody-modules) a message deleted on the network. In each linked",
    `-- room it needs the admin affiliation for ${s.components.map((c) => c.domain).join(", ")}.`,
    `Component ${luaString(s.mucDomain)} "muc"`,
    `  modules_enabled = { ${mucModules.map(luaString).join(", ")} }`,
  );
  if (s.archive) lines.push("  muc_log_by_default = true");
  lines.push(
    "  -- Rooms kept in memory; beyond this Prosody writes rooms to disk and reads them back",
    "  -- at their next message. Keep it above the number of rooms in use.",
    `  muc_room_cache_size = ${s.roomCacheSize}`,
  );
  for (const c of s.components) {
    lines.push(
      "",
      `-- The bridge ${c.domain}: the same domain and secret as xmpp.domain and xmpp.secret in its parley.yaml.`,
      `Component ${luaString(c.domain)}`,
      `  component_secret = ${luaString(c.secret)}`,
    );
    // mod_privilege hears of the component's login on the component's own host.
    if (c.rosterPrivilege) lines.push('  modules_enabled = { "privilege" }');
  }
  return `${lines.join("\n")}\n`;
}
