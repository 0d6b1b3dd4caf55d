/**
 * One ordered pipeline per room, through the Discord app: an XMPP occupant
 * whose avatar is still being fetched (their vCard answer is slow) speaks,
 * then another occupant speaks, and Discord gets the two in that order; and a
 * room whose edits hang does not hold up another channel's messages.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildMessage, buildPresence, buildVcard, type Element, type Message, NS } from "@parley/stanza";
import { isMessage, stanzaId, TestComponent } from "@parley/testkit";
import { assertNoViolations, type DiscordHarness, postAndSee, startHarness, until } from "./harness.ts";

const SLOW_DOMAIN = "slow.parley.test";
const PNG = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(64)]);

/** The iq handlers of a test component's client (@xmpp/component's iq callee): a handler may answer later. */
function iqAnswers(c: TestComponent): { get(ns: string, name: string, handler: () => Promise<Element>): void } {
  return (c as unknown as { entity: { iqCallee: ReturnType<typeof iqAnswers> } }).entity.iqCallee;
}

describe("one ordered pipeline per room, XMPP and Discord", () => {
  let h: DiscordHarness;
  let carol: TestComponent;

  before(async () => {
    h = await startHarness({
      xmpp: {
        components: [
          { domain: "bridge.parley.test", secret: randomBytes(16).toString("hex") },
          { domain: SLOW_DOMAIN, secret: randomBytes(16).toString("hex") },
        ],
      },
    });
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
    const carolJid = `carol@${SLOW_DOMAIN}/desk`;
    await carol.joinRoom(h.room, "carol", { from: carolJid });
    let wasAsked = false;
    const answer = Promise.withResolvers<Element>();
    iqAnswers(carol).get(NS.vcardTemp, "vCard", () => {
      wasAsked = true;
      return answer.promise;
    });
    const hash = randomBytes(20).toString("hex");
    await carol.send(buildPresence({ from: carolJid, to: `${h.room}/carol`, vcardUpdate: { photo: hash } }));
    await until(
      "the bridge to see carol's avatar hash",
      () => h.bridge?.relay.occupant(h.room, "carol")?.avatarHash === hash,
    );

    // Carol speaks, and the bridge asks for her vCard; alice speaks meanwhile; the room has them in that order.
    const first = `carol speaks first ${stanzaId("w")}`;
    const second = `alice speaks second ${stanzaId("w")}`;
    const carolSaid = h.alice.waitFor(isMessage((m: Message) => m.body === first));
    await carol.send(buildMessage({ type: "groupchat", from: carolJid, to: h.room, id: stanzaId("c"), body: first }));
    await carolSaid;
    await until("the bridge's vCard request for carol", () => wasAsked);
    const aliceSaid = h.alice.waitFor(isMessage((m: Message) => m.body === second));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("a"), body: second }));
    await aliceSaid;
    // Time for the bridge to read both before carol's vCard comes (without it, the test proves less, never fails).
    await new Promise((resolve) => setTimeout(resolve, 300));
    answer.resolve(buildVcard({ photo: { type: "image/png", data: PNG } }));

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
