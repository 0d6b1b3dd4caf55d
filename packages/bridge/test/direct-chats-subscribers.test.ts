/**
 * The puppets' presence subscribers (who gets a puppet's presence as a
 * contact) are read on every presence change of every puppet: kept in a
 * bounded cache in front of the store, which a subscription or an
 * unsubscription updates along with the store.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Element, Presence } from "@parley/stanza";
import type { EngineContext } from "../src/engine/context.ts";
import { DirectChats, SUBSCRIBERS_KEPT } from "../src/engine/direct-chats.ts";
import type { Puppet } from "../src/engine/puppet-directory.ts";
import { RemotePosts } from "../src/engine/remote-posts.ts";
import { silentLogger } from "../src/index.ts";

function setUp() {
  const saved = new Map<string, string>();
  const reads: string[] = [];
  const sent: Element[] = [];
  const store = {
    getState: async (scope: string, key: string) => {
      if (scope === "subscribers") reads.push(key);
      return saved.get(`${scope}|${key}`);
    },
    setState: async (scope: string, key: string, value: string) => {
      saved.set(`${scope}|${key}`, value);
    },
  };
  const ctx = {
    network: "slack",
    domain: "slack.example.org",
    store,
    logger: silentLogger,
    router: {},
    puppetResource: "bridge",
    send: async (el: Element) => {
      sent.push(el);
    },
  } as unknown as EngineContext;
  const puppet = (local: string): Puppet => ({
    remoteId: local.toUpperCase(),
    local,
    displayName: local,
    avatarUrl: undefined,
    avatarHash: "",
    avatarMediaId: undefined,
    presence: { status: "online" },
  });
  const presenceTo = () => sent.filter((e) => e.name === "presence").map((e) => e.attrs.to);
  // Direct messages are not sent here: their posts are never asked for.
  const posts = new RemotePosts({
    network: "slack",
    connector: ctx.connector,
    store: ctx.store,
    logger: silentLogger,
    keepMs: 1,
  });
  return { chats: new DirectChats(ctx, posts), saved, reads, sent, puppet, presenceTo };
}

const from = (type: Presence["type"], user: string) => ({ type, from: `${user}/phone` }) as unknown as Presence;

describe("DirectChats presence subscribers", () => {
  it("reads a puppet's subscribers from the store once, however often its presence changes", async () => {
    const t = setUp();
    t.saved.set("subscribers|slack u1", JSON.stringify(["ann@example.org"]));
    const p = t.puppet("u1");
    for (let i = 0; i < 20; i++) await t.chats.broadcastPresence(p);
    assert.equal(t.reads.length, 1);
    assert.equal(t.presenceTo().length, 20);
    assert.ok(t.presenceTo().every((to) => to === "ann@example.org"));
  });

  it("a subscription and an unsubscription change the cached set and the store together", async () => {
    const t = setUp();
    const p = t.puppet("u2");
    await t.chats.broadcastPresence(p);
    assert.deepEqual(t.presenceTo(), [], "no subscriber yet");
    await t.chats.handlePresence(from("subscribe", "bob@example.org"), p);
    assert.deepEqual(JSON.parse(t.saved.get("subscribers|slack u2") ?? "[]"), ["bob@example.org"]);
    t.sent.length = 0;
    await t.chats.broadcastPresence(p);
    assert.deepEqual(t.presenceTo(), ["bob@example.org"], "the new subscriber gets the next change");
    await t.chats.handlePresence(from("unsubscribe", "bob@example.org"), p);
    assert.deepEqual(JSON.parse(t.saved.get("subscribers|slack u2") ?? "[]"), []);
    t.sent.length = 0;
    await t.chats.broadcastPresence(p);
    assert.deepEqual(t.presenceTo(), [], "the one who unsubscribed no longer gets it");
    assert.equal(t.reads.length, 1, "the store was read once for all of that");
  });

  it("keeps at most SUBSCRIBERS_KEPT puppets, the least recently used read again from the store", async () => {
    const t = setUp();
    t.saved.set("subscribers|slack p0", JSON.stringify(["ann@example.org"]));
    await t.chats.broadcastPresence(t.puppet("p0"));
    for (let i = 1; i <= SUBSCRIBERS_KEPT; i++) await t.chats.broadcastPresence(t.puppet(`p${i}`));
    assert.ok(t.chats.size <= SUBSCRIBERS_KEPT, `${t.chats.size} entries`);
    const before = t.reads.length;
    t.sent.length = 0;
    await t.chats.broadcastPresence(t.puppet("p0"));
    assert.equal(t.reads.length, before + 1, "p0 was dropped and is read again");
    assert.deepEqual(t.presenceTo(), ["ann@example.org"], "nothing is lost: the store has it");
    await t.chats.broadcastPresence(t.puppet(`p${SUBSCRIBERS_KEPT}`));
    assert.equal(t.reads.length, before + 1, "the most recent one is still cached");
  });
});
