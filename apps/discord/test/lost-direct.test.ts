/**
 * XMPP -> Discord, a direct message in flight when the bridge goes away: the
 * fake Discord makes the bot's DM and never answers, the bridge stops at once
 * (no drain: as if killed, the answer never read), and after the restart the
 * XMPP user's client sends the message again with the same id. The engine
 * finds the first attempt on record and asks the connector, which finds the
 * bot's message in the DM channel by its text: mapped (a correction reaches
 * it), not sent again: one message in the DM channel.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import { stanzaId } from "@parley/testkit";
import { assertNoViolations, type DiscordHarness, postAndSee, startHarness, until } from "./harness.ts";

describe("a Discord direct message whose answer was lost to a stop", () => {
  let h: DiscordHarness;
  let puppet = "";
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

  it("is found after the restart when the message comes again, mapped and not sent twice", async () => {
    const body = "a direct message in flight when the bridge went away";
    const id = stanzaId("dm");
    const dmOf = () => buildMessage({ type: "chat", to: puppet, id, originId: id, body });
    const sentTo = () => h.fake.dmMessages(h.bob.id).filter((m) => m.content.endsWith(body));
    const dmPosts = () =>
      h.fake.requests.filter(
        (r) =>
          r.method === "POST" &&
          /\/channels\/\d+\/messages$/.test(r.path) &&
          ((r.body as { content?: string } | undefined)?.content ?? "").endsWith(body),
      );

    h.fake.failNext({ method: "POST", pathIncludes: "/messages", afterProcessing: true, neverAnswer: true });
    await h.alice.send(dmOf());
    const landed = await h.fake.waitFor(() => sentTo()[0], { timeoutMs: 15_000, what: "the DM Discord made" });
    assert.equal(h.fake.pendingFailures, 0, "its answer is held back");
    const first = dmPosts()[0]?.body as { nonce?: unknown; enforce_nonce?: unknown } | undefined;
    assert.equal(typeof first?.nonce, "string", "the DM carries a nonce");
    assert.equal(first?.enforce_nonce, true, "and asks Discord to enforce it");
    // Gone at once, the DM still waiting for its answer: nothing drained, nothing mapped.
    await h.bridge?.stop(0);
    h.bridge = undefined;
    h.connector = undefined;
    assert.equal((await h.store.byRemoteId("discord", landed.id)).length, 0, "not mapped before the restart");

    await h.startBridge();
    // The client sends it again, with the same id (as one does whose message went unacknowledged).
    await h.alice.send(dmOf());
    await until(
      "the DM to be found and mapped",
      async () => (await h.store.byRemoteId("discord", landed.id)).length > 0,
    );
    const lookups = h.fake.requests.filter(
      (r) => r.method === "GET" && r.path.includes(`/channels/${landed.channel_id}/messages`),
    );
    assert.ok(lookups.length >= 1, "looked in the DM channel's messages");

    // Mapped, so a correction reaches it; once it has, the message was not sent again.
    await h.alice.send(
      buildMessage({
        type: "chat",
        to: puppet,
        id: stanzaId("c"),
        body: "corrected after the restart",
        replace: { id },
      }),
    );
    await h.fake.waitFor(
      () =>
        h.fake
          .dmMessages(h.bob.id)
          .find((m) => m.id === landed.id && m.content.endsWith("corrected after the restart")),
      { timeoutMs: 15_000, what: "the correction on the DM that was found" },
    );
    assert.equal(sentTo().length, 0, "the DM now reads as corrected");
    assert.equal(
      h.fake.dmMessages(h.bob.id).filter((m) => m.content.endsWith("corrected after the restart")).length,
      1,
      "one message in the DM channel",
    );
    assert.equal(dmPosts().length, 1, "sent once, never again");
  });
  it("is told from an earlier DM of the same text, which is another delivery's", async () => {
    const body = "the same words twice";
    const sentTo = () => h.fake.dmMessages(h.bob.id).filter((m) => m.content.endsWith(body));
    // A first DM of this text goes through and is mapped.
    const earlierId = stanzaId("dm");
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: earlierId, originId: earlierId, body }));
    const earlier = await h.fake.waitFor(() => sentTo()[0], { timeoutMs: 15_000, what: "the earlier DM" });
    await until(
      "the earlier DM to be mapped",
      async () => (await h.store.byRemoteId("discord", earlier.id)).length > 0,
    );

    // The second, of the same text, lands while its answer is lost to a stop.
    const id = stanzaId("dm");
    const dmOf = () => buildMessage({ type: "chat", to: puppet, id, originId: id, body });
    h.fake.failNext({ method: "POST", pathIncludes: "/messages", afterProcessing: true, neverAnswer: true });
    await h.alice.send(dmOf());
    const landed = await h.fake.waitFor(() => sentTo()[1], { timeoutMs: 15_000, what: "the second DM Discord made" });
    await h.bridge?.stop(0);
    h.bridge = undefined;
    h.connector = undefined;

    await h.startBridge();
    await h.alice.send(dmOf());
    await until("the second DM to be found and mapped", async () => {
      const rows = await h.store.byRemoteId("discord", landed.id);
      return rows.some((r) => r.originId === id || r.stanzaId === id);
    });
    assert.deepEqual(
      (await h.store.byRemoteId("discord", earlier.id)).map((r) => r.originId ?? r.stanzaId),
      [earlierId],
      "the earlier DM keeps its own mapping only",
    );
    assert.equal(sentTo().length, 2, "two DMs of that text, not three");
  });
});
