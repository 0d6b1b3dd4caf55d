/**
 * XMPP -> Slack, a chat.postMessage in flight when the bridge goes away: the
 * bridge reaches the fake Slack through a pass-through that lets the post
 * through and withholds its answer, the bridge stops at once (no drain: as
 * if killed, the answer never read), and the next start reads the message
 * again from the room's archive. The engine asks the connector whether the
 * post landed; it finds it by the delivery key in the post's metadata
 * (conversations.history with include_all_metadata), maps it (a correction
 * reaches it) and does not post again: one message on Slack.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import { stanzaId } from "@parley/testkit";
import { AnswerThief } from "./answer-thief.ts";
import { alicePosts, assertNoViolations, type SlackHarness, startHarness, until } from "./harness.ts";

describe("a Slack post whose answer was lost to a stop", () => {
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
  });
  after(async () => {
    await h?.close();
    await thief.close();
  });
  afterEach(() => assertNoViolations(h));

  const say = (body: string, extra: Partial<Parameters<typeof buildMessage>[0]> = {}) =>
    alicePosts(
      h,
      (id) => h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body, ...extra })),
      stanzaId("a"),
    );
  const onSlack = (text: string) =>
    h.fake.waitFor(() => h.fake.messages(h.general.id).find((m) => m.text === text), {
      timeoutMs: 15_000,
      what: `"${text}" on Slack`,
    });

  it("is found after the restart by its metadata, mapped and not posted again", async () => {
    // The room has been read: the next start catches up from here.
    await say("before the stop");
    const first = await onSlack("before the stop");
    await until("the first post to be mapped", async () => (await h.store.byRemoteId("slack", first.ts)).length > 0);

    const body = "in flight when the bridge went away";
    thief.hold = (method, args) => method === "chat.postMessage" && args.get("text") === body;
    const { id } = await say(body);
    const landed = await onSlack(body);
    await until("the answer to be withheld", () => thief.held === 1);
    thief.hold = () => false;
    // Gone at once, the post still waiting for its answer: nothing drained, nothing mapped.
    await h.bridge?.stop(0);
    h.bridge = undefined;
    h.connector = undefined;
    assert.equal((await h.store.byRemoteId("slack", landed.ts)).length, 0, "not mapped before the restart");

    await h.startBridge();
    await until(
      "the post to be found and mapped",
      async () => (await h.store.byRemoteId("slack", landed.ts)).length > 0,
    );
    await say("after the restart");
    await onSlack("after the restart");
    assert.equal(h.fake.messages(h.general.id).filter((m) => m.text === body).length, 1, "one message on Slack");
    const posts = h.fake.botActions(h.general.id).filter((a) => a.kind === "post" && a.text === body);
    assert.equal(posts.length, 1, "posted once, never again");
    const lookups = h.fake.requests.filter(
      (r) =>
        r.method === "conversations.history" && (r.args as { include_all_metadata?: unknown }).include_all_metadata,
    );
    assert.ok(lookups.length >= 1, "looked in the channel's history with its metadata");

    // Mapped, so a correction reaches it.
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: stanzaId("c"),
        body: "corrected after the restart",
        replace: { id },
      }),
    );
    await h.fake.waitFor(
      () => h.fake.messages(h.general.id).find((m) => m.ts === landed.ts && m.text === "corrected after the restart"),
      { timeoutMs: 15_000, what: "the correction on the post that was found" },
    );
  });
});
