/** The core both ways on ejabberd: a message, an edit, a reply in a thread, a reaction and a deletion. */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { stanzaId } from "@parley/testkit";
import {
  alicePosts,
  assertNoViolations,
  inRoom,
  mapped,
  postAndSee,
  type SlackHarness,
  startHarness,
} from "./harness.ts";

describe("Slack and ejabberd", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startHarness({ server: "ejabberd", slack: { presence: false } });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("carries a message, its edit, a thread reply, a reaction and its deletion from Slack", async () => {
    const { ts, stanzaId: sid } = await postAndSee(h, h.anna, "on ejabberd");
    await mapped(h, ts);
    const wait = (nick: string, f: (m: Message) => boolean) =>
      h.alice.waitFor(inRoom(h.room, nick, f), { timeoutMs: 15_000 }).then((r) => r.stanza as Message);
    const fix = wait(h.anna.nick, (m) => m.replace !== undefined);
    h.fake.edit(h.general.id, ts, "on ejabberd, edited");
    assert.equal((await fix).body, "on ejabberd, edited");
    const reply = wait(h.bob.nick, (m) => m.body === "threaded");
    h.fake.post(h.general.id, h.bob.id, "threaded", { threadTs: ts });
    assert.equal((await reply).thread?.id, ts);
    const reaction = wait(h.bob.nick, (m) => m.reactions?.emojis.includes("❤️") === true);
    h.fake.react(h.general.id, ts, h.bob.id, "heart");
    assert.equal((await reaction).reactions?.id, sid);
    const retraction = wait(h.anna.nick, (m) => m.retract !== undefined);
    h.fake.remove(h.general.id, ts);
    assert.equal((await retraction).retract?.id, sid);
  });

  it("carries a message, its correction and its retraction to Slack", async () => {
    const send =
      (body: string, extra: Partial<Parameters<typeof buildMessage>[0]> = {}) =>
      (id: string) =>
        h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body, ...extra }));
    const { id } = await alicePosts(h, send("from ejabberd"), stanzaId("e"));
    const post = await h.fake.waitFor(() => h.fake.botPosts(h.general.id).find((p) => p.text === "from ejabberd"), {
      what: "the post",
      timeoutMs: 15_000,
    });
    assert.equal(post.username, "alice");
    await alicePosts(h, send("from ejabberd, fixed", { replace: { id } }), stanzaId("e"));
    await h.fake.waitFor(() => h.fake.message(h.general.id, post.ts)?.text === "from ejabberd, fixed" || undefined, {
      what: "the update",
    });
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("x"), retract: { id }, body: "gone" }),
    );
    await h.fake.waitFor(() => h.fake.message(h.general.id, post.ts) === undefined || undefined, {
      what: "the deletion",
    });
  });
});
