/**
 * The setting of the room presence tests: a bridge on a real XMPP server
 * with the reference network's channel "general" linked to a fresh room, and
 * an XMPP user, alice, in that room. The tests tell the engine of members
 * themselves (`bridge.connectorHost`), so the network has no users.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPresence, startXmppServer, TestClient, type XmppServer, type XmppServerKind } from "@parley/testkit";
import { Bridge, type BridgeStore, ReferenceConnector, ReferenceNetwork } from "../src/index.ts";
import { openStore } from "../src/internals.ts";
import { bridgeConfig } from "./engine-harness.ts";

export interface PresenceSetting {
  readonly server: XmppServer;
  readonly bridge: Bridge;
  readonly alice: TestClient;
  /** The linked room's bare JID. */
  readonly room: string;
  /** The puppets seated in the room now, sorted. */
  seated(): string[];
  stop(): Promise<void>;
}

/** Starts the setting on `kind`; `maxOccupants` is the room's cap (default: the config default). */
export async function startPresenceSetting(
  kind: XmppServerKind,
  options: { readonly maxOccupants?: number } = {},
): Promise<PresenceSetting> {
  const server = await startXmppServer(kind);
  const dir = mkdtempSync(join(tmpdir(), "parley-room-presence-"));
  const room = `lobby-${process.pid}-${Date.now()}@${server.mucDomain}`;
  let store: BridgeStore | undefined;
  let alice: TestClient | undefined;
  let bridge: Bridge | undefined;
  const stop = async () => {
    await bridge?.stop().catch(() => undefined);
    await alice?.stop();
    await store?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const loaded = bridgeConfig(server, dir, room);
    const config =
      options.maxOccupants === undefined
        ? loaded
        : { ...loaded, connectors: { reference: { roomPresence: { maxOccupants: options.maxOccupants } } } };
    const net = new ReferenceNetwork();
    net.addChannel("general");
    store = await openStore(config.store.url);
    const account = server.accounts[0];
    if (!account) throw new Error("the test server has no account");
    alice = await TestClient.connect(server, account);
    await alice.joinRoom(room, "alice");
    const relaySeen = alice.waitFor(isPresence((p) => (p.from ?? "").toLowerCase().startsWith(`${room}/`)));
    bridge = await Bridge.start({ config, connector: new ReferenceConnector(net), store });
    await relaySeen;
    const started = bridge;
    return {
      server,
      bridge: started,
      alice,
      room,
      seated: () => started.occupancy.localsIn(room).sort(),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
