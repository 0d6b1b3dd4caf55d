/** A real XEP-0114 component connection (@xmpp/component) to a testkit server, as a bridge would open. */
import { component } from "@xmpp/component";
import type { XmppServer } from "./server.ts";
import { XmppSession } from "./xmpp-session.ts";

export class TestComponent extends XmppSession {
  readonly domain: string;

  private constructor(entity: ReturnType<typeof component>, domain: string) {
    super(entity);
    this.domain = domain;
  }

  /** Connects and authenticates as the server's `index`-th configured component. */
  static async connect(server: XmppServer, index = 0): Promise<TestComponent> {
    const config = server.components[index];
    if (!config) throw new Error(`the server has no component number ${index}`);
    const entity = component({
      service: `xmpp://${server.host}:${server.componentPort}`,
      domain: config.domain,
      password: config.secret,
    });
    // @xmpp/connection gives the server 2 s to open the stream, which a busy test machine can take.
    (entity as unknown as { timeout: number }).timeout = 15_000;
    const c = new TestComponent(entity, config.domain);
    try {
      await c.startEntity();
    } catch (e) {
      await c.stop(); // a failed start must not leave an entity reconnecting behind (it keeps a test file alive)
      throw e;
    }
    return c;
  }
}
