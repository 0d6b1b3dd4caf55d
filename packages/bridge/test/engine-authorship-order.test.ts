/**
 * Who wrote a message is who the room said it was when the message arrived,
 * not when the room's ordered pipeline got to it. On real Prosody (whose rooms
 * give occupant-ids): the pipeline is held behind an occupant whose avatar is
 * being fetched (carol, whose client answers her vCard request when the test
 * says), and meanwhile bob corrects his message and leaves, or says a message,
 * leaves, comes back and corrects it. Either way his correction is his: a
 * bridge that looked the author up once the pipeline got there found him gone,
 * took him for someone else and dropped it ("a correction of a message by
 * someone else was dropped", seen once in the three-network relay under load,
 * where the Matrix bridge's puppet leaves the room when Matrix says the user
 * is offline and comes back for the next edit). Someone else's correction of
 * his message made in that same window is still not relayed. And where the
 * bridge's occupant list knows nobody at a nick, the occupant-id the room
 * stamped on the message says who wrote it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildMessage, buildPresence, buildVcard, type Element, type Message, NS } from "@parley/stanza";
import { isMessage, isPresence, pollUntil, stanzaId, TestClient, TestComponent } from "@parley/testkit";
import type { RefApiCall } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

const SLOW_DOMAIN = "slow.parley.test";
const CAROL = `carol@${SLOW_DOMAIN}/desk`;
const PNG = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(64)]);
const POLL = { timeoutMs: 10_000, intervalMs: 20 };

// Carol is a component's user: Prosody forwards a vCard request to an occupant's own server, which is the test's.
describe("the author of a message is who the room said when it arrived, on prosody", () => {
  let h: Harness;
  let carol: TestComponent;
  let bob: TestClient;
  /** Carol's pending vCard request, answered by `release`. */
  let pending: { asked: PromiseWithResolvers<void>; answer: PromiseWithResolvers<Element> } | undefined;

  before(async () => {
    h = await startHarness("prosody", {
      server: {
        components: [
          { domain: "bridge.parley.test", secret: randomBytes(16).toString("hex") },
          { domain: SLOW_DOMAIN, secret: randomBytes(16).toString("hex") },
        ],
      },
    });
    carol = await TestComponent.connect(h.server, 1);
    vcardAnswers(carol).get(NS.vcardTemp, "vCard", () => {
      if (!pending) return Promise.resolve(buildVcard({ photo: { type: "image/png", data: PNG } }));
      pending.asked.resolve();
      return pending.answer.promise;
    });
    await carol.joinRoom(h.room, "carol", { from: CAROL });
    const b = h.server.accounts[1];
    assert.ok(b);
    bob = await TestClient.connect(h.server, b);
    await bob.joinRoom(h.room, "bob");
  });
  after(async () => {
    await bob?.stop();
    await carol?.stop();
    await h?.close();
  });

  const posted = (text: string) => (c: RefApiCall) => c.method === "post" && c.args.text === text;
  const edited = (text: string) => (c: RefApiCall) => c.method === "edit" && c.args.text === text;

  /** `client` says something in the room; resolves with the room's copy, once the room has broadcast it. */
  async function say(client: TestClient, body: string, replace?: string): Promise<Message> {
    const id = stanzaId("a");
    const back = client.waitFor(isMessage((m) => m.id === id && m.type === "groupchat"));
    await client.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id,
        body,
        ...(replace !== undefined && { replace: { id: replace } }),
      }),
    );
    return (await back).stanza as Message;
  }

  /**
   * Holds the room's pipeline: carol shows a new avatar, and once the bridge
   * asked for her vCard she speaks, so the pipeline waits for the vCard.
   * Resolves with what lets it go on.
   */
  async function holdPipeline(): Promise<() => void> {
    const p = { asked: Promise.withResolvers<void>(), answer: Promise.withResolvers<Element>() };
    pending = p;
    const hash = randomBytes(20).toString("hex");
    await carol.send(buildPresence({ from: CAROL, to: `${h.room}/carol`, vcardUpdate: { photo: hash } }));
    await p.asked.promise;
    await pollUntil(
      "the bridge to see carol's avatar hash",
      () => h.bridge.relay.occupant(h.room, "carol")?.avatarHash === hash,
      POLL,
    );
    const words = `carol holds the room ${stanzaId("w")}`;
    const said = h.alice.waitFor(isMessage((m: Message) => m.body === words));
    await carol.send(buildMessage({ type: "groupchat", from: CAROL, to: h.room, id: stanzaId("c"), body: words }));
    await said;
    return () => {
      pending = undefined;
      p.answer.resolve(buildVcard({ photo: { type: "image/png", data: PNG } }));
    };
  }

  /** Bob leaves, and the bridge has read his departure (so everything he said before it too). */
  async function bobLeaves(): Promise<void> {
    const gone = bob.waitFor(isPresence((p) => p.from === `${h.room}/bob` && p.type === "unavailable"));
    await bob.leaveRoom(h.room, "bob");
    await gone;
    await pollUntil("the bridge to see bob leave", () => h.bridge.relay.occupant(h.room, "bob") === undefined, POLL);
  }

  async function bobJoins(): Promise<void> {
    await bob.joinRoom(h.room, "bob");
    await pollUntil("the bridge to see bob", () => h.bridge.relay.occupant(h.room, "bob") !== undefined, POLL);
  }

  /** Alice says something and the network has it: whatever the room said before it went through. */
  async function drained(): Promise<void> {
    const last = `alice's last word ${stanzaId("l")}`;
    await say(h.alice, last);
    await apiCall(h, posted(last));
  }

  it("relays a correction whose author left before the pipeline got to it", async () => {
    const original = `bob's words ${stanzaId("o")}`;
    const said = await say(bob, original);
    await apiCall(h, posted(original));

    const release = await holdPipeline();
    // Alice, in the same window, tries to correct bob's message: that is still not hers to do.
    await say(h.alice, `alice rewrites bob ${stanzaId("x")}`, said.id);
    const fixed = `bob's words, corrected ${stanzaId("f")}`;
    await say(bob, fixed, said.id);
    await bobLeaves();
    release();
    await drained();
    await bobJoins();

    const edits = h.net.calls.filter((c) => c.method === "edit");
    assert.ok(edits.some(edited(fixed)), `bob's correction is relayed: ${JSON.stringify(edits.map((c) => c.args))}`);
    assert.ok(
      !edits.some((c) => String(c.args.text).startsWith("alice rewrites bob")),
      "alice's correction of bob's message is not",
    );
  });

  it("relays a correction of a message whose author left before the pipeline got to it", async () => {
    const release = await holdPipeline();
    const original = `bob's parting words ${stanzaId("o")}`;
    const said = await say(bob, original);
    await bobLeaves();
    release();
    await apiCall(h, posted(original));

    await bobJoins();
    const fixed = `bob's parting words, corrected ${stanzaId("f")}`;
    await say(bob, fixed, said.id);
    await drained();
    assert.ok(h.net.calls.some(edited(fixed)), "bob's correction is relayed");
  });

  it("takes the occupant-id the room stamped on a message when it knows nobody at that nick", async () => {
    // The occupant list misses everyone, as after a change of reader that dropped presences (nothing a room can
    // make happen on purpose; the list is emptied by hand).
    const relay = h.bridge.relay as unknown as { rooms: Map<string, { occupants: { clear(): void } }> };
    relay.rooms.get(h.room.toLowerCase())?.occupants.clear();
    assert.equal(h.bridge.relay.occupant(h.room, "bob"), undefined);
    const original = `bob, unknown to the bridge ${stanzaId("o")}`;
    const said = await say(bob, original);
    await apiCall(h, posted(original));
    // Bob's next presence tells the bridge who he is; his correction is his.
    await bob.send(buildPresence({ to: `${h.room}/bob`, status: "back" }));
    await pollUntil("the bridge to see bob", () => h.bridge.relay.occupant(h.room, "bob")?.occupantId, POLL);
    const fixed = `bob, known now ${stanzaId("f")}`;
    await say(bob, fixed, said.id);
    await drained();
    assert.ok(h.net.calls.some(edited(fixed)), "bob's correction is relayed");
  });
});

/** The iq handlers of a test component's client (@xmpp/component's iq callee): a handler may answer later. */
function vcardAnswers(c: TestComponent): {
  get(ns: string, name: string, handler: () => Promise<Element>): void;
} {
  return (c as unknown as { entity: { iqCallee: ReturnType<typeof vcardAnswers> } }).entity.iqCallee;
}
