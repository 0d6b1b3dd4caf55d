/**
 * XMPP -> Slack, a direct message in flight when the bridge goes away: the
 * bridge reaches the fake Slack through a pass-through that lets the DM's
 * chat.postMessage through and withholds its answer, the bridge stops at
 * once (as if killed), and after the restart the XMPP user's client sends
 * the message again with the same id. The engine finds the first attempt on
 * record and asks the connector, which finds the post in the bot's DM by the
 * delivery key in its metadata: mapped (a correction reaches it), not sent
 * again.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import { stanzaId } from "@parley/testkit";
import { AnswerThief } from "./answer-thief.ts";
import { assertNoViolations, postAndSee, type SlackHarness, startHarness, until } from "./harness.ts";

describe("a Slack direct message whose answer was lost to a stop", () => {
  let h: SlackHarness;
  const thief = new AnswerThief();
  before(async () => {
    const apiUrl = await thief.listen();
    h = await startHarness({
      slack: { apiUrl },
      beforeBridge: (fake) => {
        thief.target = fake.apiUrl;
      },
    });
    // The engine knows a puppet once its user was seen.
    await postAndSee(h, h.bob, "bob says hi");
  });
  after(async () => {
    await h?.close();
    await thief.close();
  });
  afterEach(() => assertNoViolations(h));

  it("is found after the restart when the message comes again, mapped and not sent twice", async () => {
    const body = "a direct message in flight when the bridge went away";
    const id = stanzaId("dm");
    const dmOf = () => buildMessage({ type: "chat", to: h.bob.jid, id, originId: id, body });
    thief.hold = (method, args) => method === "chat.postMessage" && (args.get("text") ?? "").endsWith(body);
    await h.alice.send(dmOf());
    await until("the answer to be withheld", () => thief.held === 1);
    thief.hold = () => false;
    const dm = h.fake.openDm(h.bob.id);
    const sentTo = () => h.fake.botPosts(dm.id).filter((p) => (p.text ?? "").endsWith(body));
    assert.equal(sentTo().length, 1, "the DM reached Slack");
    const landed = sentTo()[0];
    // Gone at once, the post still waiting for its answer: nothing drained, nothing mapped.
    await h.bridge?.stop(0);
    h.bridge = undefined;
    h.connector = undefined;
    assert.equal((await h.store.byRemoteId("slack", landed?.ts ?? "")).length, 0, "not mapped before the restart");

    await h.startBridge();
    // The client sends it again, with the same id (as one does whose message went unacknowledged).
    await h.alice.send(dmOf());
    await until(
      "the DM to be found and mapped",
      async () => (await h.store.byRemoteId("slack", landed?.ts ?? "")).length > 0,
    );
    const lookups = h.fake.requests.filter(
      (r) =>
        r.method === "conversations.history" &&
        r.args.channel === dm.id &&
        (r.args as { include_all_metadata?: unknown }).include_all_metadata,
    );
    assert.ok(lookups.length >= 1, "looked in the DM's history with its metadata");

    // Mapped, so a correction reaches it; once it has, the message was not sent again.
    await h.alice.send(
      buildMessage({
        type: "chat",
        to: h.bob.jid,
        id: stanzaId("c"),
        body: "corrected after the restart",
        replace: { id },
      }),
    );
    await h.fake.waitFor(
      () =>
        h.fake
          .messages(dm.id)
          .find((m) => m.ts === landed?.ts && (m.text ?? "").endsWith("corrected after the restart")),
      { timeoutMs: 15_000, what: "the correction on the DM that was found" },
    );
    const posts = h.fake.botActions(dm.id).filter((a) => a.kind === "post");
    assert.equal(posts.length, 1, `posted once, never again: ${posts.map((p) => p.text).join(" | ")}`);
  });
});
