/**
 * One ordered pipeline per room, through the Matrix app against real Prosody
 * and real Synapse: an XMPP occupant whose avatar is still being fetched
 * (their vCard answer is slow) speaks, then another occupant speaks, and the
 * Matrix room gets the two in that order.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { slowAvatarServerOptions, speakWhileAvatarIsFetched, TestComponent } from "@parley/testkit";
import { type Harness, startHarness } from "./matrix-harness.ts";
import type { SyncItem } from "./matrix-user.ts";

describe("one ordered pipeline per room, XMPP to Matrix", () => {
  let h: Harness;
  let carol: TestComponent;

  before(async () => {
    h = await startHarness({ xmpp: slowAvatarServerOptions() });
    // Carol is an XMPP user whose client answers vCard requests only when the test says so (Prosody sends a
    // vCard request to an occupant on to their own server, which is the test's here).
    carol = await TestComponent.connect(h.xmpp, 1);
  });
  after(async () => {
    await carol?.stop();
    await h?.close();
  });

  test("an occupant whose avatar is being fetched reaches Matrix before the next speaker", async () => {
    // Carol speaks while the bridge waits for her vCard; alice speaks next; the room has them in that order.
    const { first, second } = await speakWhileAvatarIsFetched({
      slow: carol,
      alice: h.alice,
      room: h.room,
      avatarHashSeen: (hash) => h.bridge.relay.occupant(h.room, "carol")?.avatarHash === hash,
    });

    const isOne = (body: string) => (i: SyncItem) =>
      i.kind === "timeline" && i.roomId === h.roomId && i.event.content.body === body;
    await h.bob.waitFor(isOne(first), 20_000, "carol's message on Matrix");
    await h.bob.waitFor(isOne(second), 20_000, "alice's message on Matrix");
    const order = h.bob.seen((i) => isOne(first)(i) || isOne(second)(i)).map((i) => i.event.content.body);
    assert.deepEqual(order, [first, second], "Matrix gets them in the order they were said");
  });
});
