/**
 * Bounds on what comes from outside, against real Prosody and ejabberd: an id
 * too long to record, a reaction of thousands of characters and a body of
 * 100,000 characters from an XMPP occupant, and ids and reactions too long
 * from the remote side, are dropped or cut before the store and the other
 * network; a sender over their rate is dropped with one private notice, and
 * everyone else goes on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message, type MessageInput, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId, TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import type { RefApiCall } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

async function sayAs(client: TestClient, said: MessageInput): Promise<Message> {
  const back = client.waitFor(isMessage((m) => m.id === said.id && m.type === "groupchat"));
  await client.send(buildMessage(said));
  return (await back).stanza as Message;
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`bounds on ${kind}`, () => {
    let h: Harness;
    let bob: TestClient;
    before(async () => {
      h = await startHarness(kind, { limits: { burst: 3, messagesPerMinute: 1, maxPostsPerMessage: 2 } });
      const b = h.server.accounts[1];
      assert.ok(b);
      bob = await TestClient.connect(h.server, b);
      await bob.joinRoom(h.room, "bob");
    });
    after(async () => {
      await bob?.stop();
      await h?.close();
    });

    const posted = (text: string) => (c: RefApiCall) => c.method === "post" && c.args.text === text;
    const say = (client: TestClient, body: string, extra: Partial<MessageInput> = {}) =>
      sayAs(client, { type: "groupchat", to: h.room, id: stanzaId("b"), body, ...extra });

    it("drops an XMPP message whose id is too long to record, cuts a long body, and leaves out a huge reaction", async () => {
      const from = h.net.calls.length;
      await say(h.alice, "an id of 2,000 characters", { id: `long-${"i".repeat(2000)}` });
      const target = await say(h.alice, "x".repeat(100_000));
      const long = await apiCall(h, (c) => c.method === "post" && String(c.args.text).startsWith("xxx"));
      assert.ok(String(long.args.text).length <= 2 * 2000, "at most two posts' worth");
      assert.match(String(long.args.text), /more characters of this message were too long to relay/);
      const targetId = stanzaIdBy(target, h.room) ?? "";
      await say(h.alice, "", { body: undefined, reactions: { id: targetId, emojis: ["x".repeat(5000), "👍"] } });
      await apiCall(h, (c) => c.method === "react" && c.args.emoji === "👍");
      const since = h.net.calls.slice(from);
      assert.ok(!since.some(posted("an id of 2,000 characters")), "the message with the long id is not relayed");
      assert.ok(!since.some((c) => c.method === "react" && String(c.args.emoji).length > 64));
    });

    it("drops remote events with ids or reactions over the bounds", async () => {
      const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Anna` && m.body === "anna, bounded"));
      const original = h.net.post("u1", "general", "anna, bounded");
      const mine = (await seen).stanza as Message;
      await h.bridge.connectorHost.message({
        channel: "general",
        id: "m".repeat(2000),
        author: { id: "u1", displayName: "Anna" },
        text: { blocks: [{ type: "paragraph", children: [{ type: "text", text: "from a long id" }] }] },
        attachments: [],
      });
      h.net.react("u2", original.id, "y".repeat(400));
      const names = [stanzaIdBy(mine, h.room), mine.id, mine.originId];
      const ok = h.alice.waitFor(isMessage((m) => m.reactions !== undefined && names.includes(m.reactions.id)));
      h.net.react("u2", original.id, "🎉");
      const got = (await ok).stanza as Message;
      assert.deepEqual(got.reactions?.emojis, ["🎉"], "only the reaction within bounds");
      const next = h.alice.waitFor(isMessage((m) => m.body === "anna, next"));
      h.net.post("u1", "general", "anna, next");
      await next;
      // Relayed in order, so the message under the long id would have come before "anna, next".
      const leaked = await h.alice
        .waitFor(
          isMessage((m) => m.body === "from a long id"),
          { timeoutMs: 1 },
        )
        .then(
          () => true,
          () => false,
        );
      assert.equal(leaked, false);
    });

    it("cuts a remote body of 1 MB to one stanza the server takes, and relays 20 files of 25 with a notice", async () => {
      // A sender of its own: the harness allows each a burst of 3 messages.
      const author = { id: "u9", displayName: "Cleo" };
      const para = (text: string) => ({
        blocks: [{ type: "paragraph" as const, children: [{ type: "text" as const, text }] }],
      });
      const cut = h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Cleo` && (m.body ?? "").startsWith("zzz")),
        {
          timeoutMs: 20_000,
        },
      );
      await h.bridge.connectorHost.message({
        channel: "general",
        id: "huge-1",
        author,
        text: para("z".repeat(1_000_000)),
        attachments: [],
      });
      const body = ((await cut).stanza as Message).body ?? "";
      assert.ok(body.length <= 40_000, `${body.length} characters`);
      assert.match(body, /more characters of this message were too long to relay/);
      const files = Array.from({ length: 25 }, (_, i) => ({
        url: `https://files.example/f${i}.png`,
        ephemeral: false,
      }));
      const urls: string[] = [];
      const notice = h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Cleo` && /5 more files/.test(m.body ?? "")),
        { timeoutMs: 20_000 },
      );
      const collecting = h.alice
        .waitFor(
          isMessage((m) => {
            if (m.from === `${h.room}/Cleo` && m.body?.startsWith("https://files.example/")) urls.push(m.body);
            return false;
          }),
          { timeoutMs: 8000 },
        )
        .catch(() => undefined);
      await h.bridge.connectorHost.message({
        channel: "general",
        id: "files-1",
        author,
        text: para("files"),
        attachments: files,
      });
      await notice;
      await collecting;
      assert.equal(urls.length, 20, "files past the 20th are not relayed");
    });

    it("drops what a sender says over their rate, tells them once, and lets others through", async () => {
      const notice = bob.waitFor(
        isMessage((m) => m.type === "chat" && /faster than this bridge relays/.test(m.body ?? "")),
      );
      const from = h.net.calls.length;
      for (let i = 1; i <= 6; i++) await say(bob, `bob ${i}`);
      await notice;
      await say(h.alice, "alice is not held up");
      await apiCall(h, posted("alice is not held up"));
      const bobs = h.net.calls
        .slice(from)
        .filter((c) => c.method === "post" && String(c.args.text).startsWith("bob "))
        .map((c) => c.args.text);
      assert.deepEqual(bobs, ["bob 1", "bob 2", "bob 3"], "the burst, then nothing");
    });
  });
}
