/**
 * A catch-up that meets a full delivery queue, on real Prosody. While a room
 * is caught up, what the network says to that room waits until the room's
 * archive has been read, and the archive is read on only as what was read is
 * relayed. After a long outage in a busy room, the network's backlog can fill
 * the delivery queue with jobs that all wait on that read: the catch-up's
 * deliveries must not wait for room behind them, or neither direction moves
 * again. The bounds are made small here (a queue of 20 jobs, 10 messages read
 * ahead) to reach them with a few messages; the XMPP -> Matrix bench reached
 * the real ones (10,000 and 5,000) with 10,000 messages each way.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import type { RefMessage } from "../src/index.ts";
import { CatchingUpConnector } from "./catching-up-connector.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

const MAX_PENDING = 20;
const HELD = 10;
/** Said in the room while the bridge was away: more than the catch-up reads ahead. */
const SAID = 40;
/** Posted on the network meanwhile: more than the delivery queue admits. */
const BACKLOG = 60;

describe("a catch-up while the network's backlog fills the delivery queue (Prosody)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("prosody", { bounds: { maxPending: MAX_PENDING, catchUpHeld: HELD } });
  });
  after(async () => {
    await h?.close();
  });

  async function say(body: string): Promise<void> {
    const id = stanzaId("q");
    const back = h.alice.waitFor(isMessage((m) => m.id === id && m.type === "groupchat"));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, body }));
    await back;
  }

  it("relays both ways to the end: what the room said to the network, then the backlog to the room", async () => {
    await say("before the outage");
    await apiCall(h, (c) => c.method === "post" && c.args.text === "before the outage");
    await h.bridge.stop();
    const said: string[] = [];
    for (let i = 1; i <= SAID; i++) {
      said.push(`said ${i}`);
      await say(`said ${i}`);
    }
    const backlog: RefMessage[] = [];
    for (let i = 1; i <= BACKLOG; i++) backlog.push(h.net.post(i % 2 === 1 ? "u1" : "u2", "general", `backlog ${i}`));
    const from = h.net.calls.length;
    const inRoom = h.alice.waitFor(
      isMessage((m) => m.type === "groupchat" && m.body === `backlog ${BACKLOG}`),
      {
        timeoutMs: 60_000,
        description: "the last of the backlog in the room",
      },
    );
    await h.restartBridge(new CatchingUpConnector(h.net, backlog));
    await apiCall(h, (c) => c.method === "post" && c.args.text === `said ${SAID}`, 60_000);
    const posted = h.net.calls
      .slice(from)
      .filter((c) => c.method === "post" && String(c.args.text).startsWith("said "))
      .map((c) => String(c.args.text));
    assert.deepEqual(posted, said, "every message said in the room, once and in order");
    await inRoom;
  });
});
