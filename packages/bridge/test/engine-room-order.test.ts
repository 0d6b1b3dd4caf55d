/**
 * One ordered pipeline per room, both ways, through the engine with the
 * reference connector on real Prosody and ejabberd:
 *
 * - XMPP -> network: an occupant whose avatar is being fetched (their vCard
 *   answer is slow) speaks, then another occupant speaks; the network gets
 *   the two in the order they were said.
 * - network -> XMPP: a room whose edits keep failing does not hold up
 *   another room's messages; the connector's calls return once the engine
 *   has the event on record.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildMessage, buildPresence, buildVcard, type Element, type Message, NS } from "@parley/stanza";
import { isMessage, stanzaId, TestComponent, XMPP_SERVER_KINDS } from "@parley/testkit";
import { TransientError } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

const SLOW_DOMAIN = "slow.parley.test";
const PNG = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(64)]);

for (const kind of XMPP_SERVER_KINDS) {
  describe(`one ordered pipeline per room on ${kind}`, () => {
    let h: Harness;
    let carol: TestComponent;

    before(async () => {
      h = await startHarness(kind, {
        server: {
          components: [
            { domain: "bridge.parley.test", secret: randomBytes(16).toString("hex") },
            { domain: SLOW_DOMAIN, secret: randomBytes(16).toString("hex") },
          ],
        },
      });
      // Carol is an occupant whose client answers vCard requests only when the test says so.
      if (kind === "prosody") carol = await TestComponent.connect(h.server, 1);
    });
    after(async () => {
      await carol?.stop();
      await h?.close();
    });

    // Carol is a component's user: Prosody forwards a vCard request to an occupant's own server, which is the
    // test's here; ejabberd gives a component's user no self-presence in a room in this setting.
    if (kind === "prosody")
      it("relays an occupant whose avatar is being fetched before the next speaker", async () => {
        const carolJid = `carol@${SLOW_DOMAIN}/desk`;
        await carol.joinRoom(h.room, "carol", { from: carolJid });
        const hash = randomBytes(20).toString("hex");
        // Carol's client takes her vCard request and answers it when the test says so.
        const asked = Promise.withResolvers<void>();
        const answer = Promise.withResolvers<Element>();
        vcardAnswers(carol).get(NS.vcardTemp, "vCard", () => {
          asked.resolve();
          return answer.promise;
        });
        await carol.send(buildPresence({ from: carolJid, to: `${h.room}/carol`, vcardUpdate: { photo: hash } }));
        await asked.promise;
        for (let i = 0; i < 400 && h.bridge.relay.occupant(h.room, "carol")?.avatarHash !== hash; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        assert.equal(h.bridge.relay.occupant(h.room, "carol")?.avatarHash, hash, "the bridge saw carol's avatar hash");

        // The bridge is waiting for carol's vCard: she speaks, then alice does, and the room has them in that order.
        const first = `carol speaks first ${stanzaId("w")}`;
        const second = `alice speaks second ${stanzaId("w")}`;
        const carolSaid = h.alice.waitFor(isMessage((m: Message) => m.body === first));
        await carol.send(
          buildMessage({ type: "groupchat", from: carolJid, to: h.room, id: stanzaId("c"), body: first }),
        );
        await carolSaid;
        const aliceSaid = h.alice.waitFor(isMessage((m: Message) => m.body === second));
        await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("a"), body: second }));
        await aliceSaid;
        // Time for the bridge to read both before carol's vCard comes (without it, the test proves less, never fails).
        await new Promise((resolve) => setTimeout(resolve, 300));
        answer.resolve(buildVcard({ photo: { type: "image/png", data: PNG } }));

        await apiCall(h, (c) => c.method === "post" && c.args.text === second);
        const posts = h.net.calls.filter(
          (c) => c.method === "post" && (c.args.text === first || c.args.text === second),
        );
        assert.deepEqual(
          posts.map((c) => c.args.text),
          [first, second],
          "the network gets them in the order they were said",
        );
        assert.ok(String(posts[0]?.args.avatarUrl ?? "").includes("/media/"), "carol's post carries her avatar");
      });

    it("does not hold up another room's messages while one room's edits keep failing", async () => {
      const room2 = `second-${process.pid}-${Date.now()}@${h.server.mucDomain}`;
      await h.alice.joinRoom(room2, "alice");
      h.net.addChannel("second");
      await h.bridge.connectorHost.link("second", room2);

      const original = `to be edited ${stanzaId("e")}`;
      const seen = h.alice.waitFor(isMessage((m: Message) => m.body === original));
      const posted = h.net.post("u1", "general", original);
      await seen;

      // The first room takes no correction: every one the bridge sends there fails, and is retried.
      const session = h.bridge.session;
      const send = session.send.bind(session);
      let refused = 0;
      session.send = (el: Element) => {
        if (isCorrectionTo(el, h.room)) {
          refused++;
          return Promise.reject(new TransientError("the room is stuck (test)"));
        }
        return send(el);
      };
      try {
        h.net.edit(posted.id, `${original} (edited)`);
        for (let i = 0; i < 400 && refused === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
        assert.ok(refused > 0, "the edit was tried in the stuck room");

        const other = `meanwhile in the second room ${stanzaId("m")}`;
        const arrived = h.alice.waitFor(
          isMessage((m: Message) => m.body === other && (m.from ?? "").startsWith(room2)),
          { timeoutMs: 10_000, description: "the second room's message while the first room is stuck" },
        );
        h.net.post("u2", "second", other);
        await arrived;
      } finally {
        session.send = send;
      }
      // Once the room takes corrections again, the edit goes through.
      await h.alice.waitFor(
        isMessage((m: Message) => m.body === `${original} (edited)` && m.replace !== undefined),
        {
          timeoutMs: 30_000,
          description: "the edit once the room takes it",
        },
      );
    });
  });
}

/** Whether `el` is a correction (XEP-0308) sent to `room`. */
function isCorrectionTo(el: Element, room: string): boolean {
  return (
    el.name === "message" &&
    (el.attrs.to ?? "").toLowerCase() === room.toLowerCase() &&
    el.getChild("replace", NS.correction) !== undefined
  );
}

/** The iq handlers of a test component's client (@xmpp/component's iq callee): a handler may answer later. */
function vcardAnswers(c: TestComponent): {
  get(ns: string, name: string, handler: () => Promise<Element>): void;
} {
  return (c as unknown as { entity: { iqCallee: ReturnType<typeof vcardAnswers> } }).entity.iqCallee;
}
