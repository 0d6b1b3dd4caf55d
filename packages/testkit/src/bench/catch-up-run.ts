/**
 * Catch-up after an outage, both directions at once, for an XMPP <-> network
 * bench (Discord's xmpp-to-discord, Slack's xmpp-to-slack): the bridge is
 * stopped; the XMPP user says `toNetwork` messages in a linked room (the
 * bridge reads them from the room's archive when it is back) and the fake
 * network posts `toXmpp` in the linked channel (read from the channel's
 * history, or handed over again by the network); then the bridge starts, and
 * each direction is timed from that start to its last arrival.
 */
import { buildMessage } from "@parley/stanza";
import type { TestClient } from "../xmpp-client.ts";
import { type ArrivalProbe, benchBody, wallNow } from "./arrival-probe.ts";
import { progress } from "./bench-run.ts";
import type { NetworkArrivals } from "./network-arrivals.ts";
import type { BenchLink } from "./network-burst.ts";
import type { RemoteFake } from "./remote-fake.ts";

/** One direction of a catch-up: how many arrived, and from the bridge's start to the last. */
export interface CatchUpLeg {
  readonly messages: number;
  readonly ms: number;
}

export interface CatchUpRun {
  readonly toNetwork: CatchUpLeg & { readonly missing: number; readonly outOfOrder: number };
  readonly toXmpp: CatchUpLeg;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function timedCatchUp(o: {
  /** The network's name, in progress lines. */
  readonly network: string;
  readonly link: BenchLink;
  /** The XMPP user (an occupant of `link.room`) and the probe that times arrivals at her. */
  readonly alice: Pick<TestClient, "send">;
  readonly probe: ArrivalProbe;
  readonly fake: RemoteFake;
  /** Waits for the fake network to have made `count` bench messages of `tag` (see fakeArrivals). */
  readonly madeOnNetwork: (tag: string, channel: string, count: number, quietMs?: number) => Promise<NetworkArrivals>;
  readonly toNetwork: number;
  readonly toXmpp: number;
  readonly timeoutMs: number;
  readonly stopBridge: () => Promise<void>;
  readonly startBridge: () => Promise<void>;
  /** Runs after both sides have spoken and before the bridge starts (e.g. the network gives up redelivering). */
  readonly beforeStart?: () => Promise<void>;
}): Promise<CatchUpRun> {
  const { link, fake } = o;
  await o.stopBridge();
  progress(`bridge stopped; ${o.toNetwork} messages on XMPP, ${o.toXmpp} on ${o.network}`);
  for (let i = 0; i < o.toNetwork; i++) {
    await o.alice.send(buildMessage({ type: "groupchat", id: `cux-${i}`, to: link.room, body: benchBody("cux", i) }));
  }
  const toXmpp = o.probe.expect({ tag: "cud", room: link.room, count: o.toXmpp, timeoutMs: o.timeoutMs });
  const bodies = Array.from({ length: o.toXmpp }, (_, i) => benchBody("cud", i));
  await fake.ask({ op: "post", channel: link.channel, bodies, intervalMs: 0 });
  await fake.ask({ op: "arrivals", channel: link.channel }); // the fake's own posts are not the bridge's
  await o.beforeStart?.();
  await sleep(1000);
  progress("both sides said their part; the bridge starts again");
  const restartedAt = wallNow();
  await o.startBridge();
  const [toNetwork, toXmppMs] = await Promise.all([
    o.madeOnNetwork("cux", link.channel, o.toNetwork, 60_000).then((m) => {
      progress(
        `catch-up to ${o.network}: ${m.arrived} of ${o.toNetwork} in ${Math.round(m.lastAt - restartedAt)} ms, ` +
          `${m.outOfOrder} out of order`,
      );
      return {
        messages: m.arrived,
        ms: m.lastAt - restartedAt,
        missing: o.toNetwork - m.arrived,
        outOfOrder: m.outOfOrder,
      };
    }),
    toXmpp.done.then((t) => {
      const ms = Math.max(...t.receivedAt.map((r) => r ?? Number.NaN)) - restartedAt;
      progress(`catch-up to XMPP: ${o.toXmpp} in ${Math.round(ms)} ms`);
      return ms;
    }),
  ]);
  return { toNetwork, toXmpp: { messages: o.toXmpp, ms: toXmppMs } };
}
