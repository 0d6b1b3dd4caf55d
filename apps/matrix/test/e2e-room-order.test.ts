/**
 * One ordered pipeline per room, through the Matrix app against real Prosody
 * and real Synapse: an XMPP occupant whose avatar is still being fetched
 * (their vCard answer is slow) speaks, then another occupant speaks, and the
 * Matrix room gets the two in that order.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { buildMessage, buildPresence, buildVcard, type Element, type Message, NS } from "@parley/stanza";
import { isMessage, stanzaId, TestComponent } from "@parley/testkit";
import { eventually, type Harness, startHarness } from "./matrix-harness.ts";
import type { SyncItem } from "./matrix-user.ts";

const SLOW_DOMAIN = "slow.parley.test";
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2a8d2a70000000049454e44ae426082",
  "hex",
);

/** The iq handlers of a test component's client (@xmpp/component's iq callee): a handler may answer later. */
function iqAnswers(c: TestComponent): { get(ns: string, name: string, handler: () => Promise<Element>): void } {
  return (c as unknown as { entity: { iqCallee: ReturnType<typeof iqAnswers> } }).entity.iqCallee;
}

describe("one ordered pipeline per room, XMPP to Matrix", () => {
  let h: Harness;
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
    carol = await TestComponent.connect(h.xmpp, 1);
  });
  after(async () => {
    await carol?.stop();
    await h?.close();
  });

  test("an occupant whose avatar is being fetched reaches Matrix before the next speaker", async () => {
    const carolJid = `carol@${SLOW_DOMAIN}/desk`;
    let asked = false;
    const answer = Promise.withResolvers<Element>();
    iqAnswers(carol).get(NS.vcardTemp, "vCard", () => {
      asked = true;
      return answer.promise;
    });
    await carol.joinRoom(h.room, "carol", { from: carolJid });
    const hash = randomBytes(20).toString("hex");
    await carol.send(buildPresence({ from: carolJid, to: `${h.room}/carol`, vcardUpdate: { photo: hash } }));
    await eventually("the bridge to see carol's avatar hash", () =>
      h.bridge.relay.occupant(h.room, "carol")?.avatarHash === hash ? true : undefined,
    );

    // Carol speaks while the bridge waits for her vCard; alice speaks next; the room has them in that order.
    const first = `carol speaks first ${stanzaId("w")}`;
    const second = `alice speaks second ${stanzaId("w")}`;
    const carolSaid = h.alice.waitFor(isMessage((m: Message) => m.body === first));
    await carol.send(buildMessage({ type: "groupchat", from: carolJid, to: h.room, id: stanzaId("c"), body: first }));
    await carolSaid;
    await eventually("the bridge's vCard request for carol", () => (asked ? true : undefined));
    const aliceSaid = h.alice.waitFor(isMessage((m: Message) => m.body === second));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("a"), body: second }));
    await aliceSaid;
    // Time for the bridge to read both before carol's vCard comes (without it, the test proves less, never fails).
    await new Promise((resolve) => setTimeout(resolve, 300));
    answer.resolve(buildVcard({ photo: { type: "image/png", data: PNG } }));

    const isOne = (body: string) => (i: SyncItem) =>
      i.kind === "timeline" && i.roomId === h.roomId && i.event.content.body === body;
    await h.bob.waitFor(isOne(first), 20_000, "carol's message on Matrix");
    await h.bob.waitFor(isOne(second), 20_000, "alice's message on Matrix");
    const order = h.bob.seen((i) => isOne(first)(i) || isOne(second)(i)).map((i) => i.event.content.body);
    assert.deepEqual(order, [first, second], "Matrix gets them in the order they were said");
  });
});
