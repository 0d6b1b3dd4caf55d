/**
 * One ordered pipeline per room, through the Discord app: an XMPP occupant
 * whose avatar is still being fetched (their vCard answer is slow) speaks,
 * then another occupant speaks, and Discord gets the two in that order; and a
 * room whose edits hang does not hold up another channel's messages.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Element, type Message, NS } from "@parley/stanza";
import { isMessage, slowAvatarServerOptions, speakWhileAvatarIsFetched, TestComponent } from "@parley/testkit";
import { assertNoViolations, type DiscordHarness, postAndSee, startHarness } from "./harness.ts";

describe("one ordered pipeline per room, XMPP and Discord", () => {
  let h: DiscordHarness;
  let carol: TestComponent;

  before(async () => {
    h = await startHarness({ xmpp: slowAvatarServerOptions() });
    // Carol is an XMPP user whose client answers vCard requests only when the test says so (Prosody sends a
    // vCard request to an occupant on to their own server, which is the test's here).
    carol = await TestComponent.connect(h.server, 1);
    await postAndSee(h, h.bob, h.general, h.room, "bob is here");
  });
  after(async () => {
    await carol?.stop();
    await h?.close();
  });

  it("posts an occupant whose avatar is being fetched before the next speaker", async () => {
    // Carol speaks, and the bridge asks for her vCard; alice speaks meanwhile; the room has them in that order.
    const { first, second } = await speakWhileAvatarIsFetched({
      slow: carol,
      alice: h.alice,
      room: h.room,
      avatarHashSeen: (hash) => h.bridge?.relay.occupant(h.room, "carol")?.avatarHash === hash,
    });

    const both = await h.fake.waitFor(
      () => {
        const posts = h.fake.messages(h.general.id).filter((m) => m.content === first || m.content === second);
        return posts.length === 2 ? posts : undefined;
      },
      { timeoutMs: 15_000, what: "both messages on Discord" },
    );
    assert.deepEqual(
      both.map((m) => m.content),
      [first, second],
      "Discord gets them in the order they were said",
    );
    assert.equal(both[0]?.author.username, "carol");
    assertNoViolations(h);
  });

  it("does not hold up another channel's messages while one room's edits hang", async () => {
    const { posted } = await postAndSee(h, h.anna, h.general, h.room, "to be edited while the room hangs");
    const bridge = h.bridge;
    assert.ok(bridge);
    // The first room takes no correction: each one the bridge sends there hangs until the test lets it go.
    const session = bridge.session;
    const send = session.send.bind(session);
    const held: Array<() => void> = [];
    session.send = (el: Element) => {
      if (!isCorrectionTo(el, h.room)) return send(el);
      return new Promise<void>((resolve, reject) => held.push(() => send(el).then(resolve, reject)));
    };
    try {
      h.fake.edit(h.general.id, posted.id, "edited while the room hangs");
      await h.fake.waitFor(() => held.length > 0, { timeoutMs: 10_000, what: "the edit sent to the hanging room" });
      // Meanwhile, in the other channel and room:
      await postAndSee(h, h.bob, h.random, h.room2, "the other room goes on");
    } finally {
      session.send = send;
      for (const release of held) release();
    }
    await h.alice.waitFor(
      isMessage((m: Message) => m.body === "edited while the room hangs" && m.replace !== undefined),
      { timeoutMs: 15_000, description: "the edit once the room takes it" },
    );
    assertNoViolations(h);
  });
});

/** Whether `el` is a correction (XEP-0308) sent to `room`. */
function isCorrectionTo(el: Element, room: string): boolean {
  return (
    el.name === "message" &&
    (el.attrs.to ?? "").toLowerCase() === room.toLowerCase() &&
    el.getChild("replace", NS.correction) !== undefined
  );
}
