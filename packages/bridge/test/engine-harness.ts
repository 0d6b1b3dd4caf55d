/**
 * A bridge on a real XMPP server with the reference network on the other
 * side, and an XMPP user in the linked room: the setting of the engine's
 * end-to-end tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isPresence,
  startXmppServer,
  TestClient,
  type XmppServer,
  type XmppServerKind,
  type XmppServerOptions,
} from "@parley/testkit";
import {
  Bridge,
  type BridgeOptions,
  type BridgeStore,
  type DeliveryRetryPolicy,
  loadConfig,
  type RefApiCall,
  ReferenceConnector,
  ReferenceNetwork,
} from "../src/index.ts";
import { openStore } from "../src/internals.ts";

/** What a test may change about the setting; every field is optional and the defaults are the relay tests' own. */
export interface HarnessOptions {
  /** For the XMPP server (e.g. a second component for a bridge process of the test's own). */
  readonly server?: XmppServerOptions;
  /** `media.maxBytes` in the bridge config (default: the config default). */
  readonly mediaMaxBytes?: number;
  /** Network users added after Anna (u1) and Bob (u2). */
  readonly users?: ReadonlyArray<{ readonly id: string; readonly name: string; readonly avatarUrl?: string }>;
  /** The delivery queue's retry policy (default: the engine's). */
  readonly delivery?: DeliveryRetryPolicy;
  /** What the bridge holds at once (`BridgeOptions.bounds`; default: the engine's). */
  readonly bounds?: BridgeOptions["bounds"];
  /** `xmpp.limits.maxDepth` in the bridge config (default: the config default). */
  readonly maxDepth?: number;
  /** Other `xmpp.limits` fields (default: the config defaults). */
  readonly limits?: Readonly<Record<string, number>>;
  /** Top-level sections added to the bridge config (e.g. `permissions`), as YAML. */
  readonly extraConfig?: string;
  /** The connector the bridge starts with (default: a plain `ReferenceConnector` on the network). */
  readonly connector?: (net: ReferenceNetwork) => ReferenceConnector;
}

export interface Harness {
  server: XmppServer;
  net: ReferenceNetwork;
  connector: ReferenceConnector;
  bridge: Bridge;
  store: BridgeStore;
  alice: TestClient;
  room: string;
  dir: string;
  domain: string;
  /** Stops the bridge (keeping the store) and starts a new one on the same store and network, with `connector` if given. */
  restartBridge(connector?: ReferenceConnector): Promise<void>;
  close(): Promise<void>;
}

export function bridgeConfig(
  server: XmppServer,
  dir: string,
  room: string,
  extra = "",
  options: {
    mediaMaxBytes?: number;
    maxDepth?: number;
    limits?: Readonly<Record<string, number>>;
    /** Which of the server's components the bridge is (default: the first). */
    component?: number;
  } = {},
) {
  const c = server.components[options.component ?? 0];
  if (!c) throw new Error("the test server has no component");
  return loadConfig(
    {
      text: `
xmpp:
  host: ${server.host}
  port: ${server.componentPort}
  domain: ${c.domain}
  secret: \${SECRET}${limitsYaml({ ...options.limits, ...(options.maxDepth !== undefined && { maxDepth: options.maxDepth }) })}
store:
  url: sqlite:${join(dir, "parley.db")}
http:
  host: 127.0.0.1
  port: 0
ops:
  host: 127.0.0.1
  port: 0
log:
  level: ${process.env.PARLEY_TEST_LOG ?? "error"}
admins: ["${server.accounts[0]?.jid}"]
media:
  dir: ${join(dir, "media")}
  allowPrivateAddresses: true${options.mediaMaxBytes !== undefined ? `\n  maxBytes: ${options.mediaMaxBytes}` : ""}
links:
  - { network: reference, channel: general, room: "${room}" }
connectors:
  reference: {}
${extra}`,
    },
    { env: { SECRET: c.secret } },
  );
}

/** An `xmpp.limits` line for the fields given, or nothing. */
function limitsYaml(limits: Readonly<Record<string, number>>): string {
  const fields = Object.entries(limits).map(([k, v]) => `${k}: ${v}`);
  return fields.length === 0 ? "" : `\n  limits: { ${fields.join(", ")} }`;
}

export async function startHarness(kind: XmppServerKind, options: HarnessOptions = {}): Promise<Harness> {
  const server = await startXmppServer(kind, options.server);
  const dir = mkdtempSync(join(tmpdir(), "parley-engine-"));
  const room = `general-${process.pid}-${Date.now()}@${server.mucDomain}`;
  const net = new ReferenceNetwork();
  net.addChannel("general");
  net.addUser("u1", "Anna", undefined);
  net.addUser("u2", "Bob");
  for (const u of options.users ?? []) net.addUser(u.id, u.name, u.avatarUrl);
  const config = bridgeConfig(server, dir, room, options.extraConfig ?? "", {
    ...(options.mediaMaxBytes !== undefined && { mediaMaxBytes: options.mediaMaxBytes }),
    ...(options.maxDepth !== undefined && { maxDepth: options.maxDepth }),
    ...(options.limits !== undefined && { limits: options.limits }),
  });
  const delivery = {
    ...(options.delivery !== undefined && { delivery: options.delivery }),
    ...(options.bounds !== undefined && { bounds: options.bounds }),
  };
  const store = await openStore(config.store.url);
  const a = server.accounts[0];
  if (!a) throw new Error("no account");
  const alice = await TestClient.connect(server, a);
  await alice.joinRoom(room, "alice");
  const h: Harness = {
    server,
    net,
    connector: options.connector?.(net) ?? new ReferenceConnector(net),
    bridge: undefined as unknown as Bridge,
    store,
    alice,
    room,
    dir,
    domain: config.xmpp.domain,
    async restartBridge(connector) {
      await h.bridge.stop();
      h.connector = connector ?? new ReferenceConnector(net);
      h.bridge = await Bridge.start({ config, connector: h.connector, store, ...delivery });
    },
    async close() {
      await h.bridge?.stop().catch(() => undefined);
      await alice.stop();
      await store.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const relaySeen = alice.waitFor(isPresence((p) => (p.from ?? "").toLowerCase().startsWith(`${room.toLowerCase()}/`)));
  h.bridge = await Bridge.start({ config, connector: h.connector, store, ...delivery });
  await relaySeen;
  return h;
}

/** The first API call on the reference network matching `pred`, made already or within `timeoutMs`. */
export function apiCall(h: Harness, pred: (c: RefApiCall) => boolean, timeoutMs = 10_000): Promise<RefApiCall> {
  const found = h.net.calls.find(pred);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      h.net.off("api", on);
      reject(
        new Error(`no matching API call within ${timeoutMs} ms; last calls: ${JSON.stringify(h.net.calls.slice(-5))}`),
      );
    }, timeoutMs);
    const on = (c: RefApiCall) => {
      if (!pred(c)) return;
      clearTimeout(timer);
      h.net.off("api", on);
      resolve(c);
    };
    h.net.on("api", on);
  });
}
