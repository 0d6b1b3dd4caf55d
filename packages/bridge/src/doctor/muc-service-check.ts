/**
 * Each MUC service the bridge uses (xmpp.mucDomain and the domains of the
 * linked rooms) answers disco#info as a MUC service. A domain the server
 * does not have answers with an error (Prosody: not-allowed, "Communication
 * with remote domains is not enabled", when s2s is off; ejabberd: forbidden;
 * remote-server-not-found with s2s on); a domain that is something else (the
 * virtual host itself, say) answers without the MUC feature.
 */
import { NS } from "@parley/stanza";
import { type DoctorCheck, failed, passed } from "./doctor-check.ts";
import type { DoctorSession } from "./doctor-session.ts";
import type { ServerKind } from "./server-kind.ts";

export interface MucDomainUse {
  readonly domain: string;
  /** Where the configuration names it: "xmpp.mucDomain", or "the room of links[2]", or "a link an admin made". */
  readonly namedBy: string;
}

/** How to declare a MUC service called `domain` on this server. */
export function mucServiceSetting(domain: string, kind: ServerKind): string {
  const prosody = `Component "${domain}" "muc" in prosody.cfg.lua`;
  const ejabberd = `mod_muc with host: ${domain} in ejabberd.yml`;
  if (kind === "prosody") return `on Prosody, ${prosody}`;
  if (kind === "ejabberd") return `on ejabberd, ${ejabberd}`;
  return `on Prosody, ${prosody}; on ejabberd, ${ejabberd}`;
}

/** Checks each domain once; resolves with the checks and the domains that are MUC services. */
export async function checkMucServices(
  session: DoctorSession,
  uses: readonly MucDomainUse[],
  kind: ServerKind,
): Promise<{ checks: DoctorCheck[]; services: Set<string> }> {
  const checks: DoctorCheck[] = [];
  const services = new Set<string>();
  const byDomain = new Map<string, string[]>();
  for (const u of uses) {
    const key = u.domain.toLowerCase();
    byDomain.set(key, [...(byDomain.get(key) ?? []), u.namedBy]);
  }
  for (const [domain, namedBy] of byDomain) {
    const subject = `MUC service ${domain}`;
    const where = settingsNaming(namedBy);
    const fix = `set ${where} to the domain of the server's MUC service, or declare one named ${domain} (${mucServiceSetting(domain, kind)}) and restart the server`;
    const info = await session.discoInfo(domain);
    if (!info.ok) {
      const text = info.error.text !== undefined ? `: ${info.error.text}` : "";
      checks.push(failed(subject, `is not a service of this XMPP server (${info.error.condition}${text})`, fix));
      continue;
    }
    const conference = info.value.identities.find((i) => i.category === "conference");
    if (!info.value.features.includes(NS.muc) || !conference) {
      // Every identity it gives, the server's own first: a server domain can also be a PEP service.
      const identities = [...info.value.identities].sort(
        (a, b) => Number(b.category === "server") - Number(a.category === "server"),
      );
      const is =
        identities.length > 0
          ? identities.map((i) => `${i.category}/${i.type}${i.name ? ` "${i.name}"` : ""}`).join(", ")
          : "something without identity";
      checks.push(
        failed(
          subject,
          `answers, but as ${is}, not as a MUC service`,
          `set ${where} to the domain of the server's MUC service (often conference.<your domain>)`,
        ),
      );
      continue;
    }
    services.add(domain);
    checks.push(passed(subject, `answers as a MUC service${conference.name ? ` ("${conference.name}")` : ""}`));
  }
  return { checks, services };
}

/** "xmpp.mucDomain" (rooms given by bare name are resolved against it), or the links that name the domain. */
function settingsNaming(namedBy: readonly string[]): string {
  const unique = [...new Set(namedBy)];
  if (unique.includes("xmpp.mucDomain")) return "xmpp.mucDomain (and any room@domain in links)";
  const shown = unique.slice(0, 3).join(", ");
  return unique.length > 3 ? `${shown} and ${unique.length - 3} more` : shown;
}
