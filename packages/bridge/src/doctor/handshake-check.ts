/**
 * The component handshake's outcome in an operator's words. How each server
 * says what is wrong (seen on Prosody 0.12 and ejabberd 23.01):
 * - nothing listens: the connection is refused (component_ports not set, or
 *   the wrong port);
 * - a client port: the stream comes back as `jabber:client` (Prosody then
 *   sends host-unknown, ejabberd invalid-namespace);
 * - an unknown domain: Prosody opens a stream with an empty id and sends
 *   host-unknown before any handshake; ejabberd takes the handshake and
 *   answers not-authorized, the same as for a wrong secret;
 * - a wrong secret: not-authorized after the handshake (Prosody adds "Given
 *   token does not match calculated token");
 * - a virtual host's domain: ejabberd answers conflict ("Unable to register
 *   route on existing local domain"); Prosody host-unknown;
 * - a component already connected: Prosody's default (kick_new) answers
 *   conflict ("Component already connected").
 */
import type { BridgeConfig } from "../config/index.ts";
import { type DoctorCheck, failed, passed } from "./doctor-check.ts";
import type { HandshakeOutcome } from "./handshake-probe.ts";

const SUBJECT = "component handshake";

export function handshakeCheck(outcome: HandshakeOutcome, xmpp: BridgeConfig["xmpp"]): DoctorCheck {
  const { host, port, domain } = xmpp;
  const at = `${host}:${port}`;
  const componentPort =
    `set xmpp.host and xmpp.port to where the XMPP server takes components: on Prosody component_ports = { ${port} } ` +
    `in the global section (and component_interfaces for an address other than 127.0.0.1); on ejabberd a listener ` +
    `with port: ${port} and module: ejabberd_service`;
  const declare =
    `on Prosody, Component "${domain}" with component_secret in prosody.cfg.lua; on ejabberd, ${domain} under ` +
    `hosts: of the ejabberd_service listener, with the secret as its password`;
  switch (outcome.kind) {
    case "accepted":
      return passed(SUBJECT, `${at} accepted ${domain} and its secret`);
    case "unreachable":
      if (outcome.code === "ECONNREFUSED") {
        return failed(SUBJECT, `nothing listens on ${at} (connection refused)`, componentPort);
      }
      if (outcome.code === "ENOTFOUND" || outcome.code === "EAI_AGAIN") {
        return failed(SUBJECT, `the host name ${host} does not resolve`, "set xmpp.host to the XMPP server's address");
      }
      return failed(SUBJECT, `${at} cannot be reached (${outcome.code})`, `${componentPort}; and check the firewall`);
    case "silent":
      return failed(
        SUBJECT,
        `${at} took the connection but answered nothing within 5 s`,
        `check that xmpp.port is the component port and no firewall holds the connection; ${componentPort}`,
      );
    case "not-xmpp":
      return failed(SUBJECT, `${at} answers, but not as an XMPP server`, componentPort);
    case "other-stream": {
      const which =
        outcome.namespace === "jabber:client"
          ? "the server's client (c2s) port"
          : outcome.namespace === "jabber:server"
            ? "the server's server-to-server port"
            : `a port for ${outcome.namespace || "another kind of"} stream`;
      return failed(SUBJECT, `${at} is ${which}, not its component port`, componentPort);
    }
    case "stream-error":
      return streamErrorCheck(outcome, at, domain, declare);
    case "closed":
      return failed(
        SUBJECT,
        `${at} closed the connection ${outcome.afterHandshake ? "after the handshake" : "before the handshake"} without saying why`,
        `check that xmpp.domain and xmpp.secret match the server's settings for the component (${declare}), and the server's log`,
      );
  }
}

function streamErrorCheck(
  e: Extract<HandshakeOutcome, { kind: "stream-error" }>,
  at: string,
  domain: string,
  declare: string,
): DoctorCheck {
  const said = e.text !== undefined ? ` ("${e.text}")` : "";
  switch (e.condition) {
    case "host-unknown":
      return failed(
        SUBJECT,
        `the server at ${at} has no component named ${domain} (host-unknown)`,
        `set xmpp.domain to the component's name in the server's configuration, or declare it there: ${declare}; then restart the server`,
      );
    case "not-authorized":
      if (e.text !== undefined && /token does not match/i.test(e.text)) {
        return failed(
          SUBJECT,
          `the server refused the secret for ${domain} (not-authorized)`,
          `set xmpp.secret to the component_secret of Component "${domain}" in prosody.cfg.lua (or change that one to match, and restart Prosody)`,
        );
      }
      return failed(
        SUBJECT,
        `the server refused ${domain} (not-authorized): either xmpp.secret is not the secret it has for ${domain}, or it has no component of that name (ejabberd answers both alike)`,
        `make xmpp.domain and xmpp.secret match the server: ${declare}; then restart the server`,
      );
    case "conflict":
      if (e.text !== undefined && /local domain/i.test(e.text)) {
        return failed(
          SUBJECT,
          `${domain} is one of the server's own domains (a virtual host), not a component (conflict)`,
          `give the bridge a domain of its own, e.g. bridge.${domain}, in xmpp.domain and in the server's settings: ${declare.replaceAll(domain, `bridge.${domain}`)}`,
        );
      }
      return failed(
        SUBJECT,
        `another connection holds the component ${domain} already (conflict${said})`,
        "stop the bridge (or whatever else connects as this component) and run parley doctor again",
      );
    default:
      return failed(
        SUBJECT,
        `${at} refused the component ${domain} with ${e.condition}${said}`,
        `check xmpp.domain and xmpp.secret against the server's settings (${declare}), and the server's log`,
      );
  }
}
