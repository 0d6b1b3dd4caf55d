/**
 * Direct messages: an XMPP user writes to a Slack user's puppet JID, the
 * Slack user gets it in the bot's DM marked with the sender, and their
 * answer comes back from the puppet to that XMPP user.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { assertNoViolations, postAndSee, type SlackHarness, startHarness } from "./harness.ts";

describe("direct messages", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startHarness();
    // The engine knows a puppet once its user was seen.
    await postAndSee(h, h.bob, "bob says hi");
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("carries an XMPP user's chat to the Slack user in the bot's DM, marked with the sender; the answer comes back", async () => {
    await h.alice.send(buildMessage({ type: "chat", to: h.bob.jid, id: stanzaId("dm"), body: "psst, *now*" }));
    const opened = await h.fake.waitFor(() => h.fake.requests.find((r) => r.method === "conversations.open" && r.ok), {
      what: "the DM opened",
      timeoutMs: 15_000,
    });
    assert.equal(opened.args.users, h.bob.id);
    const dm = h.fake.openDm(h.bob.id);
    const post = await h.fake.waitFor(
      () => h.fake.botPosts(dm.id).find((p) => (p.text ?? "").endsWith("psst, *now*")),
      {
        what: "the DM to Bob",
        timeoutMs: 15_000,
      },
    );
    assert.ok(post.text?.startsWith("*alice* ("), post.text);
    assert.ok(post.text?.includes(h.server.accounts[0]?.jid.split("/")[0] ?? "?"), "the sender's JID marks it");
    const answer = h.alice.waitFor(
      isMessage(
        (m: Message) => m.type === "chat" && (m.from ?? "").startsWith(`${h.bob.jid}/`) && m.body === "heard you",
      ),
      { timeoutMs: 15_000, description: "Bob's answer from his puppet" },
    );
    h.fake.post(dm.id, h.bob.id, "heard you");
    await answer;
  });

  it("cuts a direct message over Slack's 40,000 characters into posts, each marked with the sender", async () => {
    const first = "a".repeat(30_000);
    const second = "b".repeat(30_000);
    await h.alice.send(
      buildMessage({ type: "chat", to: h.bob.jid, id: stanzaId("long-dm"), body: `${first}\n\n${second}` }),
    );
    const dm = h.fake.openDm(h.bob.id);
    const posts = await h.fake.waitFor(
      () => {
        const mine = h.fake.botPosts(dm.id).filter((p) => /(a{1000}|b{1000})$/.test(p.text ?? ""));
        return mine.length >= 2 ? mine : undefined;
      },
      { what: "the long DM's two posts", timeoutMs: 15_000 },
    );
    assert.equal(posts.length, 2);
    for (const p of posts) {
      assert.ok((p.text ?? "").length <= 40_000, `a post of ${(p.text ?? "").length} characters`);
      assert.ok(p.text?.startsWith("*alice* ("), "each part names its sender");
    }
    assert.ok(posts[0]?.text?.endsWith(first));
    assert.ok(posts[1]?.text?.endsWith(second));
  });
});
