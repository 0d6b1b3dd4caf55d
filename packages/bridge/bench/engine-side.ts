/**
 * The engine: the reference network posts, the reference connector hands
 * each event to a running `Bridge`, which relays it through the delivery
 * queue, the store and its component session, from the author's puppet.
 */

import { localFromRemoteId } from "@parley/stanza";
import { pollUntil } from "@parley/testkit";
import { Bridge } from "../src/engine/bridge.ts";
import type { Logger } from "../src/ops/logger-types.ts";
import { ReferenceConnector } from "../src/reference/reference-connector.ts";
import { ReferenceNetwork } from "../src/reference/reference-network.ts";
import { type BenchBridgeSetup, benchBridgeConfig } from "./bench-config.ts";
import type { BurstSide } from "./burst-run.ts";

/** The engine did not finish a burst's follow-up work (deliveries, reflections) in time. */
export class EngineSettleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineSettleError";
  }
}

const AUTHOR = { id: "u1", name: "Anna" } as const;

export class EngineSide implements BurstSide {
  readonly name = "engine";
  readonly bridge: Bridge;
  private readonly net: ReferenceNetwork;
  private readonly connector: ReferenceConnector;
  private readonly channelOf: ReadonlyMap<string, string>;
  private readonly lastPosted = new Map<string, string>();
  private readonly settleTimeoutMs: number;
  /** Remote users (ids) who are members of every linked channel, so the bridge seats their puppets in every room. */
  private readonly seated: readonly string[];

  private constructor(o: {
    bridge: Bridge;
    net: ReferenceNetwork;
    connector: ReferenceConnector;
    channelOf: Map<string, string>;
    settleTimeoutMs: number;
    seated: readonly string[];
  }) {
    this.bridge = o.bridge;
    this.net = o.net;
    this.connector = o.connector;
    this.channelOf = o.channelOf;
    this.settleTimeoutMs = o.settleTimeoutMs;
    this.seated = o.seated;
  }

  /** Starts a bridge whose links are `setup.links`; the relay occupant joins (and creates) every linked room. */
  static async start(
    setup: BenchBridgeSetup,
    o: { logger: Logger; settleTimeoutMs: number; seated?: number },
  ): Promise<EngineSide> {
    const net = new ReferenceNetwork();
    net.addUser(AUTHOR.id, AUTHOR.name);
    const seated = Array.from({ length: o.seated ?? 0 }, (_, i) => `s${i + 1}`);
    for (const [i, id] of seated.entries()) net.addUser(id, `Seated ${i + 1}`);
    for (const l of setup.links) net.addChannel(l.channel);
    const connector = new ReferenceConnector(net);
    const config = benchBridgeConfig(setup);
    const bridge = await Bridge.start({ config, connector, logger: o.logger });
    const channelOf = new Map(config.links.map((l) => [l.room, l.channel]));
    for (const id of seated) for (const l of setup.links) net.join(id, l.channel);
    return new EngineSide({ bridge, net, connector, channelOf, settleTimeoutMs: o.settleTimeoutMs, seated });
  }

  private channel(room: string): string {
    const c = this.channelOf.get(room.toLowerCase());
    if (c === undefined) throw new Error(`room ${room} is not linked in the bench configuration`);
    return c;
  }

  async prepare(room: string): Promise<void> {
    this.channel(room);
    await this.bridge.relay.join(room); // already joined at start; a no-op unless the room dropped the relay
    // The seated members' puppets are in the room before the burst, as the ceiling's are.
    await pollUntil(
      `the ${this.seated.length} seated puppets in ${room}`,
      () => this.seated.every((id) => this.bridge.occupancy.nickIn(room, localFromRemoteId(id)) !== undefined),
      { timeoutMs: this.settleTimeoutMs, intervalMs: 20 },
    );
  }

  post(room: string, body: string): void {
    const m = this.net.post(AUTHOR.id, this.channel(room), body);
    this.lastPosted.set(room, m.id);
  }

  /** Waits for the connector and the delivery queue to empty and for the room's reflection of the last message. */
  async settle(room: string): Promise<void> {
    const deadline = Date.now() + this.settleTimeoutMs;
    await this.connector.idle();
    if (!(await this.bridge.delivery.drain(this.settleTimeoutMs))) {
      throw new EngineSettleError(`deliveries still queued after ${this.settleTimeoutMs} ms`);
    }
    const last = this.lastPosted.get(room);
    if (last === undefined) return;
    while (Date.now() < deadline) {
      const records = await this.bridge.store.byRemoteId(this.connector.network, last);
      if (records.some((r) => r.stanzaId !== undefined)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new EngineSettleError(
      `the message map never learnt the room's stanza-id for remote message ${last} in ${room} ` +
        `within ${this.settleTimeoutMs} ms (reflections not processed?)`,
    );
  }

  async stop(): Promise<void> {
    await this.bridge.stop();
  }
}
