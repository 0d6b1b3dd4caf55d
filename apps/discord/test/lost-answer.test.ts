/**
 * XMPP -> Discord, a webhook post in flight when the bridge goes away: the
 * fake Discord makes the post and never answers, the bridge stops at once
 * (no drain: as if killed, the post's answer never read), and the next start
 * reads the message again from the room's archive. The engine asks the
 * connector whether the post landed; it did, so it is mapped (a correction
 * reaches it) and not posted again: one message on Discord.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import type { APIMessage } from "discord-api-types/v10";
import { assertNoViolations, type DiscordHarness, startHarness, until } from "./harness.ts";

async function alicePosts(h: DiscordHarness, body: string, extra: Partial<Parameters<typeof buildMessage>[0]> = {}) {
  const id = stanzaId("a");
  const reflected = h.alice.waitFor(isMessage((m) => m.id === id && m.from === `${h.room}/alice`));
  await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body, ...extra }));
  assert.ok(stanzaIdBy((await reflected).stanza as Message, h.room), "the room gave the message a stanza-id");
  return id;
}

function onDiscord(h: DiscordHarness, pred: (m: APIMessage) => boolean, what: string) {
  return h.fake.waitFor(() => h.fake.messages(h.general.id).find(pred), { timeoutMs: 15_000, what });
}

function webhookPosts(h: DiscordHarness, content: string) {
  return h.fake.requests.filter(
    (r) =>
      r.method === "POST" &&
      /\/webhooks\/\d+\/[^/]+/.test(r.path) &&
      (r.body as { content?: string } | undefined)?.content === content,
  );
}

describe("a webhook post whose answer was lost to a stop", () => {
  let h: DiscordHarness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("is found after the restart, mapped and not posted again", async () => {
    // The channel's webhook exists and the room has been read: the next start catches up from here.
    await alicePosts(h, "before the stop");
    const first = await onDiscord(h, (m) => m.content === "before the stop", "the first post");
    await until("the first post to be mapped", async () => (await h.store.byRemoteId("discord", first.id)).length > 0);

    const body = "in flight when the bridge went away";
    h.fake.failNext({ method: "POST", pathIncludes: "/webhooks/", afterProcessing: true, neverAnswer: true });
    const id = await alicePosts(h, body);
    const landed = await onDiscord(h, (m) => m.content === body, "the post Discord made");
    assert.equal(h.fake.pendingFailures, 0, "its answer is held back");
    // Gone at once, the post still waiting for its answer: nothing drained, nothing mapped.
    await h.bridge?.stop(0);
    h.bridge = undefined;
    h.connector = undefined;
    assert.equal((await h.store.byRemoteId("discord", landed.id)).length, 0, "not mapped before the restart");

    await h.startBridge();
    await until(
      "the post to be found and mapped",
      async () => (await h.store.byRemoteId("discord", landed.id)).length > 0,
    );
    const sentinel = "after the restart";
    await alicePosts(h, sentinel);
    await onDiscord(h, (m) => m.content === sentinel, "the next post");
    assert.equal(h.fake.messages(h.general.id).filter((m) => m.content === body).length, 1, "one message on Discord");
    assert.equal(webhookPosts(h, body).length, 1, "posted once, never again");

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
      () =>
        h.fake.messages(h.general.id).find((m) => m.id === landed.id && m.content === "corrected after the restart"),
      { timeoutMs: 15_000, what: "the correction on the post that was found" },
    );
  });
});
