/**
 * Direct messages: an XMPP user writes to a Discord user's puppet JID, the
 * Discord user gets it as a bot DM marked with the sender (and the XMPP user
 * the XEP-0184 receipt they asked for, once Discord has it), and their answer
 * comes back from the puppet; a DM nobody can be routed to is answered
 * politely and dropped.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { POLITE_ANSWER } from "../src/dm-channels.ts";
import { assertNoViolations, type DiscordHarness, postAndSee, startHarness, until } from "./harness.ts";

describe("direct messages", () => {
  let h: DiscordHarness;
  let puppet = "";
  const fromPuppet = (m: Message) => m.type === "chat" && (m.from ?? "").startsWith(`${puppet}/`);

  before(async () => {
    h = await startHarness();
    puppet = `${h.bob.id}@${h.domain}`;
    // The engine knows a puppet once its user was seen.
    await postAndSee(h, h.bob, h.general, h.room, "bob says hi");
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  let firstDm = { xmppId: "", discordId: "" };

  it("carries an XMPP user's chat to the Discord user as a bot DM marked with the sender", async () => {
    const id = stanzaId("dm");
    // XEP-0184: the puppet answers the request once Discord has the DM.
    const receipt = h.alice.waitFor(isMessage((m) => m.receipt?.id === id && (m.from ?? "").startsWith(`${puppet}/`)));
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id, body: "psst, *now*", receiptRequest: true }));
    await receipt;
    assert.ok(
      h.fake.dmMessages(h.bob.id).some((m) => m.content.endsWith("psst, **now**")),
      "Discord had the DM before the receipt",
    );
    const dm = await h.fake.waitFor(
      () => h.fake.dmMessages(h.bob.id).find((m) => m.content.endsWith("psst, **now**")),
      {
        what: "the DM to Bob",
      },
    );
    const jid = h.server.accounts[0]?.jid ?? "";
    assert.equal(dm.content, `**alice** (${jid}): psst, **now**`);
    assert.equal(dm.author.id, h.fake.bot.id);
    firstDm = { xmppId: id, discordId: dm.id };
  });

  it("quotes every line of a DM of several lines, so a line of it cannot pass as another sender", async () => {
    const forged = "see below\n*bob* (bob@host): send me your password";
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), body: forged }));
    const dm = await h.fake.waitFor(
      () => h.fake.dmMessages(h.bob.id).find((m) => m.content.includes("send me your password")),
      { what: "the DM with a forged line" },
    );
    const jid = h.server.accounts[0]?.jid ?? "";
    assert.equal(dm.content, `**alice** (${jid}):\n> see below\n> **bob** (bob@host): send me your password`);
    const lines = dm.content.split("\n");
    assert.ok(
      lines.slice(1).every((l) => l.startsWith("> ")),
      "no line of the text stands where a sender mark stands",
    );
  });

  it("brings the Discord user's answer back from their puppet", async () => {
    const answer = h.alice.waitFor(isMessage((m) => fromPuppet(m) && m.body === "what is it?"));
    const channel = h.fake.openDm(h.bob.id);
    h.fake.post(channel.id, h.bob.id, "what is it?");
    await answer;
  });

  it("carries a correction of the DM as an edit that keeps the sender mark", async () => {
    await until(
      "the DM in the message map",
      async () => (await h.store.byRemoteId("discord", firstDm.discordId)).length > 0,
    );
    await h.alice.send(
      buildMessage({
        type: "chat",
        to: puppet,
        id: stanzaId("dm"),
        body: "never mind",
        replace: { id: firstDm.xmppId },
      }),
    );
    const jid = h.server.accounts[0]?.jid ?? "";
    await h.fake.waitFor(
      () =>
        h.fake
          .dmMessages(h.bob.id)
          .find((m) => m.id === firstDm.discordId && m.content === `**alice** (${jid}): never mind`),
      { what: "the edited DM" },
    );
  });

  it("sends a DM too long for one Discord message in parts the engine cut, each marked; corrections and retractions reach every part", async () => {
    const jid = h.server.accounts[0]?.jid ?? "";
    const mark = `**alice** (${jid}):`;
    const letter = (word: string) =>
      Array.from({ length: 40 }, (_, i) => `${word} ${i} ${"of a long letter ".repeat(4).trim()}`).join("\n\n");
    const ours = (word: string) => h.fake.dmMessages(h.bob.id).filter((m) => m.content.includes(`> ${word} `));
    const mapped = (ids: readonly string[]) =>
      until("every part in the message map", async () => {
        for (const x of ids) if ((await h.store.byRemoteId("discord", x)).length === 0) return false;
        return true;
      });
    const id = stanzaId("dm-long");
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id, body: letter("line") }));
    await h.fake.waitFor(() => ours("line").find((m) => m.content.includes("> line 39 ")), { what: "the last part" });
    const parts = ours("line");
    assert.ok(parts.length >= 2, `${parts.length} parts`);
    for (const m of parts) {
      assert.ok(m.content.startsWith(`${mark}\n> `), m.content.slice(0, 80));
      assert.ok(m.content.length <= 2000);
    }
    await mapped(parts.map((m) => m.id));
    const [first, ...later] = parts.map((m) => m.id);

    // Shorter: the first part edited, the others deleted.
    await h.alice.send(
      buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), body: "short now", replace: { id } }),
    );
    await h.fake.waitFor(
      () => {
        const now = h.fake.dmMessages(h.bob.id);
        return (
          now.some((m) => m.id === first && m.content === `${mark} short now`) &&
          later.every((x) => !now.some((m) => m.id === x))
        );
      },
      { what: "the first part edited, the later ones deleted" },
    );

    // Longer again: the first part edited, the parts it needs more of sent; then a retraction deletes them all.
    await h.alice.send(
      buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), body: letter("again"), replace: { id } }),
    );
    await h.fake.waitFor(() => ours("again").find((m) => m.content.includes("> again 39 ")), { what: "new parts" });
    const again = ours("again").map((m) => m.id);
    assert.equal(again[0], first, "the first part is edited, not sent again");
    assert.ok(again.length >= 2);
    await mapped(again);
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), retract: { id } }));
    await h.fake.waitFor(() => again.every((x) => !h.fake.dmMessages(h.bob.id).some((m) => m.id === x)), {
      what: "every part deleted",
    });
  });

  it("looks up Discord users and channels for the engine", async () => {
    const connector = h.connector;
    assert.ok(connector);
    assert.deepEqual(await connector.lookupUser(h.bob.id), { id: h.bob.id, displayName: "Bob" });
    assert.equal(await connector.lookupUser("123456789012345678"), undefined);
    assert.equal(await connector.lookupUser("not an id"), undefined);
    assert.equal(await connector.channelExists(h.general.id), true);
    assert.equal(await connector.channelExists("123456789012345678"), false);
    assert.equal(await connector.channelExists("general"), false);
  });

  it("answers a DM from someone nobody wrote to, politely, and relays nothing", async () => {
    const channel = h.fake.openDm(h.anna.id);
    h.fake.post(channel.id, h.anna.id, "hello bot?");
    await h.fake.waitFor(() => h.fake.dmMessages(h.anna.id).find((m) => m.content === POLITE_ANSWER), {
      what: "the polite answer",
    });
    h.fake.post(channel.id, h.anna.id, "anyone?");
    await assert.rejects(
      h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.body === "hello bot?"),
        { timeoutMs: 300 },
      ),
    );
    // Once an hour at most: the second DM got no second answer.
    assert.equal(h.fake.dmMessages(h.anna.id).filter((m) => m.content === POLITE_ANSWER).length, 1);
  });

  it("carries a private message through the room from the occupant's nick, and the answer back through the room", async () => {
    await h.alice.send(
      buildMessage({ type: "chat", to: `${h.room}/${h.bob.nick}`, id: stanzaId("pm"), body: "via the room" }),
    );
    const dm = await h.fake.waitFor(() => h.fake.dmMessages(h.bob.id).find((m) => m.content.endsWith("via the room")), {
      what: "the private message to Bob",
    });
    assert.equal(dm.content, `**alice** (${h.room}/alice): via the room`, "from the occupant, not the room");
    const answer = h.alice.waitFor(
      isMessage((m) => m.type === "chat" && m.from === `${h.room}/${h.bob.nick}` && m.body === "heard you"),
      { timeoutMs: 10_000 },
    );
    h.fake.post(h.fake.openDm(h.bob.id).id, h.bob.id, "heard you");
    await answer;
  });
});
