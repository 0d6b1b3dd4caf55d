/**
 * The two directions of a soak (see relayInterleaved) when the network is a
 * fake in a process of its own: network -> XMPP, the fake posts a burst
 * (`{ op: "post", tag, from, count }`) and the bench counts what reached its
 * XMPP user; XMPP -> network, the user writes in the rooms and the fake
 * counts what the bot posted (`{ op: "relayed" }` -> `{ count }`).
 */
import { buildMessage } from "@parley/stanza";
import type { XmppSession } from "../xmpp-session.ts";
import type { RemoteFake } from "./remote-fake.ts";
import { type SoakArrivals, type SoakDirections, waitForCount } from "./soak-run.ts";

/** Messages `from`..`from + count - 1` XMPP -> network: message n in room n mod rooms, id `x<n>`. */
export async function sendSoakMessages(
  client: Pick<XmppSession, "send">,
  rooms: readonly string[],
  from: number,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const seq = from + i;
    const room = rooms[seq % rooms.length] as string;
    await client.send(buildMessage({ type: "groupchat", to: room, id: `x${seq}`, body: `bench x ${seq} soak` }));
  }
}

/** `tag` marks the fake's bodies ("d"); `label` names the network in progress and errors ("Discord"). */
export function remoteFakeSoakDirections(o: {
  readonly fake: RemoteFake;
  readonly client: Pick<XmppSession, "send">;
  readonly rooms: readonly string[];
  readonly arrivals: SoakArrivals;
  readonly tag: string;
  readonly label: string;
}): SoakDirections {
  let sentToXmpp = 0;
  let sentToNetwork = 0;
  let relayedBefore = 0;
  return {
    toXmpp: async (count) => {
      const target = o.arrivals.count + count;
      await o.fake.ask({ op: "post", tag: o.tag, from: sentToXmpp, count });
      sentToXmpp += count;
      await waitForCount(`${o.label} -> XMPP`, target, () => o.arrivals.count);
    },
    toNetwork: async (count) => {
      const target = relayedBefore + count;
      await sendSoakMessages(o.client, o.rooms, sentToNetwork, count);
      sentToNetwork += count;
      await waitForCount(
        `XMPP -> ${o.label}`,
        target,
        async () => (await o.fake.ask<{ count: number }>({ op: "relayed" })).count,
      );
      relayedBefore = target;
    },
  };
}
