/** A real XMPP client (@xmpp/client) logged in to a testkit server, with room helpers. */

import { buildPresence } from "@parley/stanza";
import { client } from "@xmpp/client";
import type { XmppAccount, XmppServer } from "./server.ts";
import { XmppSession } from "./xmpp-session.ts";

export class TestClient extends XmppSession {
  private constructor(entity: ReturnType<typeof client>) {
    super(entity);
  }

  /** Connects (plain SASL on loopback, no TLS), binds `resource`, and sends initial presence. */
  /** Logs `account` in on `server` (any server reachable without TLS: the fields used are host, c2sPort and domain). */
  static async connect(
    server: Pick<XmppServer, "host" | "c2sPort" | "domain">,
    account: Pick<XmppAccount, "local" | "password">,
    resource = "test",
  ): Promise<TestClient> {
    const entity = client({
      service: `xmpp://${server.host}:${server.c2sPort}`,
      domain: server.domain,
      username: account.local,
      password: account.password,
      resource,
    });
    const c = new TestClient(entity);
    await c.startEntity();
    await c.send(buildPresence({}));
    return c;
  }
}
