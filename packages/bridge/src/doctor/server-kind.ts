/**
 * Which XMPP server the bridge talks to, so that a fix can name the setting
 * of that server. Asked with XEP-0092 (software version) of the server's own
 * domain, which the component domain is a subdomain of by convention.
 */
import type { SoftwareVersion } from "./doctor-session.ts";

export type ServerKind = "prosody" | "ejabberd" | "other";

export interface XmppServerSoftware {
  readonly kind: ServerKind;
  /** "Prosody 0.12.3", or "an unknown server". */
  readonly label: string;
  /** The version as the server gives it (e.g. "23.01-1"), when it does. */
  readonly version?: string;
}

export function serverSoftware(version: SoftwareVersion | undefined): XmppServerSoftware {
  if (!version) return { kind: "other", label: "an XMPP server that does not say which (no XEP-0092 answer)" };
  const name = version.name.trim();
  const kind: ServerKind = /prosody/i.test(name) ? "prosody" : /ejabberd/i.test(name) ? "ejabberd" : "other";
  return {
    kind,
    label: version.version ? `${name} ${version.version}` : name,
    ...(version.version !== undefined && { version: version.version }),
  };
}

/** The parent domain of a component domain (`discord.example.org` -> `example.org`), or itself when it has one label. */
export function parentDomain(domain: string): string {
  const dot = domain.indexOf(".");
  return dot < 0 ? domain : domain.slice(dot + 1);
}
