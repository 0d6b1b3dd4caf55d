/** Starts either server by name, so a test can run the same cases on both. */
import { startEjabberd } from "./ejabberd.ts";
import { startProsody } from "./prosody.ts";
import type { XmppServer, XmppServerKind, XmppServerOptions } from "./server.ts";

export const XMPP_SERVER_KINDS: readonly XmppServerKind[] = ["prosody", "ejabberd"];

export function startXmppServer(kind: XmppServerKind, options?: XmppServerOptions): Promise<XmppServer> {
  return kind === "prosody" ? startProsody(options) : startEjabberd(options);
}
