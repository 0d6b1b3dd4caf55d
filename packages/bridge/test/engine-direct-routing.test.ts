/**
 * Which XMPP user a remote user's direct message goes to is the engine's
 * business, the same for every network: an answer (a reply, or a message in
 * a thread) to an XMPP user's message goes to that user; any other message to
 * the XMPP user who wrote to its author last; one from a remote user nobody
 * wrote to goes to nobody, and the connector is asked to tell its author. On
 * real Prosody, with the reference connector (which hands DMs over without
 * saying whom they are for).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { isMessage, TestClient } from "@parley/testkit";
import type { RemoteUser } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

describe("direct messages from the network: routing", () => {
  let h: Harness;
  let bob: TestClient;
  const unrouted: string[] = [];

  before(async () => {
    h = await startHarness("prosody", { users: [{ id: "u3", name: "Cleo" }] });
    Object.assign(h.connector, {
      unroutedDirect: async (o: { channel: string; author: RemoteUser }) => void unrouted.push(o.author.id),
    });
    const account = h.server.accounts[1];
    if (!account) throw new Error("no second account");
    bob = await TestClient.connect(h.server, account);
  });
  after(async () => {
    await bob?.stop();
    await h?.close();
  });

  const fromPuppet = (body: string) =>
    isMessage((m: Message) => m.type === "chat" && (m.from ?? "").startsWith(`u2@${h.domain}/`) && m.body === body);
  const answerTo = (client: TestClient, body: string) => client.waitFor(fromPuppet(body), { timeoutMs: 15_000 });
  /**
   * Whether `client` got `body` already. Asked once a later message of the
   * same user's lane has arrived: a wrongly routed one would have come first.
   */
  const got = (client: TestClient, body: string) =>
    client.waitFor(fromPuppet(body), { timeoutMs: 1 }).then(
      () => true,
      () => false,
    );

  it("sends a DM from someone nobody wrote to nowhere, and asks the connector to tell them", async () => {
    h.net.directMessage("u3", "dm-u3", "anyone there?");
    const deadline = Date.now() + 15_000;
    while (!unrouted.includes("u3") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unrouted, ["u3"]);
  });

  it("routes answers to the last writer, and answers to a message to whoever wrote it", async () => {
    const puppet = `u2@${h.domain}`;
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: "dm-route-a", body: "hello from alice" }));
    const fromAlice = await apiCall(h, (c) => c.method === "post" && c.args.text === "hello from alice");
    await bob.send(buildMessage({ type: "chat", to: puppet, id: "dm-route-b", body: "hello from bob" }));
    const fromBob = await apiCall(h, (c) => c.method === "post" && c.args.text === "hello from bob");
    const channel = fromBob.args.channel as string;
    assert.equal(fromAlice.args.channel, channel, "one DM channel per remote user, shared by both XMPP users");
    const aliceId = [...h.net.messages.values()].find((m) => m.text === "hello from alice")?.id;
    assert.ok(aliceId !== undefined, "the network has alice's message");

    // Bob wrote last: a plain answer is his.
    const plain = answerTo(bob, "for the last writer");
    h.net.directMessage("u2", channel, "for the last writer");
    await plain;
    // A reply to alice's message, and a message in its thread, are hers although bob wrote last.
    const reply = answerTo(h.alice, "a reply for alice");
    h.net.directMessage("u2", channel, "a reply for alice", { replyTo: aliceId });
    await reply;
    const threaded = answerTo(h.alice, "in alice's thread");
    h.net.directMessage("u2", channel, "in alice's thread", { thread: aliceId });
    await threaded;

    // Each went to one user only, and nobody got the message nobody was to get.
    const mark = answerTo(bob, "last one");
    h.net.directMessage("u2", channel, "last one");
    await mark;
    assert.equal(await got(h.alice, "for the last writer"), false);
    assert.equal(await got(bob, "a reply for alice"), false);
    assert.equal(await got(bob, "in alice's thread"), false);
    for (const c of [h.alice, bob]) {
      const u3 = await c
        .waitFor(
          isMessage((m: Message) => m.body === "anyone there?"),
          { timeoutMs: 1 },
        )
        .then(
          () => true,
          () => false,
        );
      assert.equal(u3, false, "nobody got the DM nobody was to get");
    }
    assert.deepEqual(unrouted, ["u3"]);
  });
});
