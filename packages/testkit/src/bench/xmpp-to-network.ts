/**
 * The runs of an XMPP -> network bench (Discord's xmpp-to-discord, Slack's
 * xmpp-to-slack): one XMPP user in a room per linked channel says a burst in
 * one or more rooms at once, and the run is timed from her first send to
 * the last message the network (a fake in its own process, answering
 * `arrivals`) made; the order the network shows them in is counted.
 */
import { buildMessage } from "@parley/stanza";
import type { XmppServer } from "../server.ts";
import { TestClient } from "../xmpp-client.ts";
import { benchBody, wallNow } from "./arrival-probe.ts";
import type { BenchCleanup } from "./bench-run.ts";
import { awaitNetworkArrivals, type NetworkArrivals } from "./network-arrivals.ts";
import type { BenchLink } from "./network-burst.ts";
import type { RemoteFake } from "./remote-fake.ts";

/** A burst from XMPP into `channels` channels at once, `perChannel` each. */
export interface XmppToNetworkRun {
  readonly channels: number;
  readonly perChannel: number;
  /** First send on XMPP to the last message the network made. */
  readonly durationMs: number;
  readonly outOfOrder: number;
}

/**
 * A room `<prefix>-<i>-<stamp>` per channel, and the server's first account
 * in every one of them (nick alice), stopped by `cleanup`.
 */
export async function xmppUserInRooms(
  server: XmppServer,
  channels: readonly string[],
  prefix: string,
  cleanup: BenchCleanup,
): Promise<{ readonly links: BenchLink[]; readonly alice: TestClient }> {
  const stamp = `${process.pid}-${Date.now()}`;
  const links = channels.map((channel, i) => ({ channel, room: `${prefix}-${i}-${stamp}@${server.mucDomain}` }));
  const account = server.accounts[0];
  if (!account) throw new Error("the server has no account");
  const alice = await TestClient.connect(server, account);
  cleanup.defer(() => alice.stop());
  for (const l of links) await alice.joinRoom(l.room, "alice");
  return { links, alice };
}

/**
 * Waits until the fake made `count` bench messages of `tag` in `channel`
 * (asking it `{ op: "arrivals", channel }`); with `quietMs`, settles for
 * fewer once nothing new came for that long.
 */
export function fakeArrivals(
  fake: RemoteFake,
  timeoutMs: number,
): (tag: string, channel: string, count: number, quietMs?: number) => Promise<NetworkArrivals> {
  return (tag, channel, count, quietMs) =>
    awaitNetworkArrivals({
      tag,
      count,
      timeoutMs,
      ...(quietMs !== undefined && { quietMs }),
      poll: async () => (await fake.ask<{ arrivals: Array<[string, number]> }>({ op: "arrivals", channel })).arrivals,
    });
}

/**
 * `client` says `count` messages of `tag` in each room (interleaved, room r's
 * bodies tagged `<tag>r<r>`); timed until `arrived` says the network has them all.
 */
export async function timedFromXmpp(
  client: Pick<TestClient, "send">,
  arrived: (tag: string, channel: string, count: number) => Promise<NetworkArrivals>,
  tag: string,
  links: readonly BenchLink[],
  count: number,
): Promise<XmppToNetworkRun> {
  const firstAt = wallNow();
  for (let i = 0; i < count; i++) {
    for (const [r, l] of links.entries()) {
      await client.send(
        buildMessage({ type: "groupchat", id: `${tag}-${r}-${i}`, to: l.room, body: benchBody(`${tag}r${r}`, i) }),
      );
    }
  }
  const made = await Promise.all(links.map((l, r) => arrived(`${tag}r${r}`, l.channel, count)));
  return {
    channels: links.length,
    perChannel: count,
    durationMs: Math.max(...made.map((m) => m.lastAt)) - firstAt,
    outOfOrder: made.reduce((n, m) => n + m.outOfOrder, 0),
  };
}
