/**
 * XMPP -> remote catch-up against real Prosody and ejabberd: what a linked
 * room said while the bridge read no copy of it (the bridge was stopped, the
 * relay was kicked) is read back from the room's archive and reaches the
 * network once, in order and dated when it was said, before anything said
 * live afterwards; the archive read is bounded.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildMessage,
  buildMucKick,
  buildRetraction,
  type Element,
  type Message,
  type MessageInput,
  stanzaIdBy,
} from "@parley/stanza";
import { isMessage, isPresence, stanzaId, TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import type { ArchivedMessage } from "../src/engine/room-archive.ts";
import { RoomCatchUp } from "../src/engine/room-catch-up.ts";
import { isOwnStanzaId, stanzaIdFor } from "../src/engine/stanza-ids.ts";
import { type RefApiCall, ReferenceConnector } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A client says something in a room (a message input, or a built stanza); resolves with the room's copy of it. */
async function sayAs(client: TestClient, said: MessageInput | Element): Promise<Message> {
  const el = "attrs" in said ? said : buildMessage(said);
  const id = el.attrs.id;
  const back = client.waitFor(isMessage((m) => m.id === id && m.type === "groupchat"));
  await client.send(el);
  return (await back).stanza as Message;
}

// --- The part alone ----------------------------------------------------------------------------

describe("stanza ids", () => {
  it("are stable per key, and tell the bridge's own from another bridge's and from anyone's", () => {
    const id = stanzaIdFor("to-xmpp reference m1 room@muc.example", "bridge.example");
    assert.equal(id, stanzaIdFor("to-xmpp reference m1 room@muc.example", "Bridge.Example"), "stable");
    assert.ok(isOwnStanzaId(id, "bridge.example"));
    assert.ok(!isOwnStanzaId(id, "discord.example"), "another bridge's");
    assert.ok(
      !isOwnStanzaId(stanzaIdFor("to-xmpp reference m1 room@muc.example", "discord.example"), "bridge.example"),
    );
    for (const other of ["", "parley-", `${id}x`, id.replace(/.$/, (c) => (c === "A" ? "B" : "A")), "abc-123"]) {
      assert.ok(!isOwnStanzaId(other, "bridge.example"), other);
    }
  });
});

describe("room catch-up", () => {
  const room = "room@muc.example";
  const archived = (id: string): ArchivedMessage => ({
    stanzaId: id,
    message: { type: "groupchat", from: `${room}/alice`, body: id } as Message,
  });

  function setting(o: { archive?: ArchivedMessage[]; fails?: boolean; maxMessages?: number } = {}) {
    const state = new Map<string, string>();
    const asked: Array<{ after: string; max: number }> = [];
    const lines: LogLine[] = [];
    const store = {
      getState: async (scope: string, key: string) => state.get(`${scope} ${key}`),
      setState: async (scope: string, key: string, value: string) => void state.set(`${scope} ${key}`, value),
    };
    const make = () =>
      new RoomCatchUp({
        store,
        logger: recordingLogger(lines),
        archivedAfter: async (_room, q) => {
          asked.push({ after: q.after ?? "", max: q.max });
          if (o.fails) throw new Error("feature-not-implemented");
          return { messages: o.archive ?? [], more: false };
        },
        maxMessages: o.maxMessages ?? 10,
        maxAgeMs: 60_000,
      });
    return { state, asked, lines, make };
  }

  it("holds live messages while it relays what came before them, stops short of them, and keeps its mark", async () => {
    const t = setting({ archive: [archived("a1"), archived("a2"), archived("live1"), archived("live2")] });
    const c = t.make();
    c.read(room, "seen"); // read live before the bridge went away
    await c.flush();
    const relayed: string[] = [];
    const joined = Promise.withResolvers<void>();
    c.begin(room, joined.promise, async (m) => {
      relayed.push(m.stanzaId);
      return true;
    });
    const waits = [c.live(room, "live1"), c.live(room, "live2")];
    assert.ok(
      waits.every((w) => w !== undefined),
      "live messages wait",
    );
    c.read(room, "live-while-catching-up"); // a live read during the catch-up does not move the mark
    joined.resolve();
    await Promise.all(waits);
    assert.deepEqual(relayed, ["a1", "a2"]);
    assert.deepEqual(t.asked, [{ after: "seen", max: 10 }]);
    assert.equal(c.live(room, "later"), undefined, "nothing to wait for once caught up");
    await c.flush();
    // The next process starts from the mark written.
    const next = t.make();
    next.begin(room, Promise.resolve(), async () => true);
    await next.live(room, undefined);
    assert.deepEqual(t.asked.at(-1), { after: "a2", max: 10 });
    // Unlinked: a later link has nothing to catch up.
    await next.forget(room);
    const afresh = t.make();
    afresh.begin(room, Promise.resolve(), async () => true);
    await afresh.live(room, undefined);
    assert.equal(t.asked.length, 2);
  });

  it("stops relaying when the bridge stops, keeping its mark where it stopped", async () => {
    const t = setting({ archive: [archived("a1"), archived("a2"), archived("a3")] });
    const c = t.make();
    c.read(room, "seen");
    const relayed: string[] = [];
    c.begin(room, Promise.resolve(), async (m) => {
      relayed.push(m.stanzaId);
      c.close(); // the bridge stops while the first is relayed
      return true;
    });
    await c.live(room, "live");
    c.read(room, "live"); // relayed while stopping: the rest of the catch-up comes first at the next start
    await c.flush();
    assert.deepEqual(relayed, ["a1"]);
    const next = t.make();
    next.begin(room, Promise.resolve(), async () => true);
    await next.live(room, undefined);
    assert.deepEqual(t.asked.at(-1), { after: "a1", max: 10 });
  });

  /** A RoomCatchUp over an archive of `count` messages answered two per page, whose first relay waits for `gate`. */
  function paged(count: number, maxHeld?: number) {
    const all = Array.from({ length: count }, (_, i) => archived(`a${i + 1}`));
    const asked: string[] = [];
    const c = new RoomCatchUp({
      store: { getState: async () => undefined, setState: async () => undefined },
      logger: recordingLogger([]),
      archivedAfter: async (_room, q) => {
        asked.push(q.after ?? "");
        const from = all.findIndex((m) => m.stanzaId === q.after) + 1; // "seen" is before them all
        const messages = all.slice(from, from + Math.min(q.max, 2));
        return { messages, more: from + messages.length < all.length };
      },
      maxMessages: 1000,
      maxAgeMs: 60_000,
      ...(maxHeld !== undefined && { maxHeld }),
    });
    c.read(room, "seen");
    const gate = Promise.withResolvers<void>();
    const relayed: string[] = [];
    c.begin(room, Promise.resolve(), async (m) => {
      relayed.push(m.stanzaId);
      if (relayed.length === 1) await gate.promise;
      return true;
    });
    return { all, asked, c, gate, relayed };
  }

  /** Lets everything queued so far run (no clock involved). */
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };

  it("reads the archive to the end before the room may be written to, while the first relay still waits", async () => {
    const t = paged(7);
    const reading = t.c.archiveRead(room.toUpperCase());
    assert.ok(reading, "the room waits for the read");
    await reading;
    assert.deepEqual(t.relayed, ["a1"], "read to the end while the first is still being relayed");
    assert.deepEqual(t.asked, ["seen", "a2", "a4", "a6"]);
    t.gate.resolve();
    await t.c.live(room, undefined);
    assert.deepEqual(
      t.relayed,
      t.all.map((m) => m.stanzaId),
      "then all of it, in order",
    );
    assert.equal(t.c.archiveRead(room), undefined, "nothing to wait for once read");
  });

  it("holds at most maxHeld read and not relayed: the rest is read as those are relayed, and the room waits", async () => {
    const t = paged(10, 3);
    let read = false;
    void t.c.archiveRead(room)?.then(() => {
      read = true;
    });
    await settle();
    // a1 is being relayed, a2..a4 are held, a5 waits for room: three pages asked of five.
    assert.deepEqual(t.relayed, ["a1"]);
    assert.deepEqual(t.asked, ["seen", "a2", "a4"]);
    assert.equal(read, false, "the room still waits: the archive is not read to the end");
    t.gate.resolve();
    await t.c.archiveRead(room);
    await t.c.live(room, undefined);
    assert.deepEqual(
      t.relayed,
      t.all.map((m) => m.stanzaId),
    );
    assert.equal(t.asked.length, 5);
  });

  it("lets live messages through when the archive cannot be read, or nothing was read before, or it is off", async () => {
    const broken = setting({ fails: true });
    const c = broken.make();
    c.read(room, "seen");
    c.begin(room, Promise.resolve(), async () => true);
    await c.live(room, "x");
    // What could not be read is a range lost: a warning (and an admin notice), no longer an info line.
    assert.ok(broken.lines.some((l) => l.level === "warn" && l.msg.includes("not caught up")));
    const fresh = setting({ archive: [archived("a1")] });
    const f = fresh.make();
    f.begin(room, Promise.resolve(), async () => assert.fail("a room never read has nothing to catch up"));
    await f.live(room, "x");
    assert.deepEqual(fresh.asked, []);
    const off = setting({ archive: [archived("a1")], maxMessages: 0 });
    const o = off.make();
    o.read(room, "seen");
    o.begin(room, Promise.resolve(), async () => assert.fail("catch-up is off"));
    assert.equal(o.live(room, "x"), undefined);
  });
});

for (const kind of XMPP_SERVER_KINDS) {
  describe(`catch-up from the room's archive on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    /** Alice says `body` in the room; resolves with the room's copy of it once the room has it. */
    function say(body: string, extra: Partial<MessageInput> = {}): Promise<Message> {
      return sayAs(h.alice, { type: "groupchat", to: h.room, id: stanzaId("c"), body, ...extra });
    }

    /** What the bridge did on the network since call `from`: posts and edits, as "post: text" and "edit: text". */
    function relayedSince(from: number): string[] {
      return h.net.calls
        .slice(from)
        .filter((c: RefApiCall) => c.method === "post" || c.method === "edit")
        .map((c) => `${c.method}: ${String(c.args.text)}`);
    }

    it("relays what the room said while the bridge was stopped, once, in order and dated, before what is said after", async () => {
      const first = await say("said before the stop");
      await apiCall(h, (c) => c.method === "post" && c.args.text === "said before the stop");
      await h.bridge.stop();
      await say("said while away 1");
      await say("said while away 2");
      await say("said before the stop, corrected", { replace: { id: first.id ?? "" } });
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("t"), chatState: "composing" }));
      const stoppedUntil = Date.now();
      await sleep(20); // the dates below tell what was said from what was posted
      // The network is slow to take the first post: what alice says once the bridge is back must wait for it.
      const connector = new ReferenceConnector(h.net);
      const send = connector.send.bind(connector);
      const gate = Promise.withResolvers<void>();
      let gated = false;
      connector.send = async (m) => {
        if (!gated) {
          gated = true;
          await gate.promise;
        }
        return send(m);
      };
      const from = h.net.calls.length;
      await h.restartBridge(connector);
      await say("said after the start");
      await sleep(200); // the bridge has its copy by now, usually: it must hold it behind the catch-up
      gate.resolve();
      await apiCall(h, (c) => c.method === "post" && c.args.text === "said after the start");
      assert.deepEqual(relayedSince(from), [
        "post: said while away 1",
        "post: said while away 2",
        "edit: said before the stop, corrected",
        "post: said after the start",
      ]);
      const dated = [...h.net.messages.values()].filter((m) => m.text.startsWith("said while away"));
      assert.equal(dated.length, 2);
      for (const m of dated) assert.ok(m.createdAt <= stoppedUntil, `"${m.text}" is dated when it was said`);
      assert.equal(h.net.calls.slice(from).filter((c) => c.method === "typing").length, 0, "typing is of the moment");

      // Once caught up, never again: a second restart relays nothing old.
      const again = h.net.calls.length;
      await h.restartBridge();
      await say("said after the second start");
      await apiCall(h, (c) => c.method === "post" && c.args.text === "said after the second start");
      assert.deepEqual(relayedSince(again), ["post: said after the second start"]);
    });

    it("does not relay back what the bridge's own puppets said, found in the archive", async () => {
      const target = await say("something to react to");
      await apiCall(h, (c) => c.method === "post" && c.args.text === "something to react to");
      const targetId = stanzaIdBy(target, h.room) ?? "";
      await h.bridge.stop();
      // A puppet's reaction the bridge sent just before it stopped and never saw come back: it carries the
      // bridge's own id. (Said here by another client under the puppet's nick, since the puppet is gone.)
      const b = h.server.accounts[1];
      assert.ok(b);
      const bob = await TestClient.connect(h.server, b);
      try {
        await bob.joinRoom(h.room, "Anna");
        await sayAs(bob, {
          type: "groupchat",
          to: h.room,
          id: stanzaIdFor("a reaction the bridge sent", h.domain),
          reactions: { id: targetId, emojis: ["🎉"] },
          hints: ["store"],
        });
        await bob.leaveRoom(h.room, "Anna");
      } finally {
        await bob.stop();
      }
      // Clients ask rooms to archive reactions (XEP-0334), as the bridge's puppets do.
      await say("", { body: undefined, reactions: { id: targetId, emojis: ["👍"] }, hints: ["store"] });
      const from = h.net.calls.length;
      await h.restartBridge();
      await apiCall(h, (c) => c.method === "react" && c.args.emoji === "👍");
      await say("after the reactions");
      await apiCall(h, (c) => c.method === "post" && c.args.text === "after the reactions");
      const reactions = h.net.calls.slice(from).filter((c) => c.method === "react");
      assert.deepEqual(
        reactions.map((c) => `${String(c.args.as)} ${String(c.args.action)} ${String(c.args.emoji)}`),
        ["alice add 👍"],
      );
    });

    it("applies what someone who has left since corrected or took back while the bridge was away", async () => {
      const b = h.server.accounts[1];
      assert.ok(b);
      const bob = await TestClient.connect(h.server, b);
      try {
        await bob.joinRoom(h.room, "bob");
        const bobSays = (body: string, extra: Partial<MessageInput> = {}) =>
          sayAs(bob, { type: "groupchat", to: h.room, id: stanzaId("b"), body, ...extra });
        const first = await bobSays("bob's first");
        const second = await bobSays("bob's second");
        await apiCall(h, (c) => c.method === "post" && c.args.text === "bob's second");
        const firstPosted = [...h.net.messages.values()].find((m) => m.text === "bob's first");
        const secondPosted = [...h.net.messages.values()].find((m) => m.text === "bob's second");
        assert.ok(firstPosted && secondPosted);
        await h.bridge.stop();
        await bobSays("bob's first, corrected", { replace: { id: first.id ?? "" } });
        await sayAs(
          bob,
          buildRetraction({
            type: "groupchat",
            to: h.room,
            id: stanzaId("r"),
            retractId: stanzaIdBy(second, h.room) ?? "",
          }),
        );
        await bob.leaveRoom(h.room, "bob");
      } finally {
        await bob.stop();
      }
      const from = h.net.calls.length;
      await h.restartBridge();
      await apiCall(h, (c) => c.method === "delete");
      const done = h.net.calls.slice(from).filter((c) => c.method === "edit" || c.method === "delete");
      assert.deepEqual(
        done.map((c) => `${c.method} ${String(c.args.text ?? "")}`.trim()),
        ["edit bob's first, corrected", "delete"],
      );
      const edited = [...h.net.messages.values()].find((m) => m.text === "bob's first, corrected");
      assert.ok(edited?.edited, "the network's message is corrected");
      assert.ok(
        [...h.net.messages.values()].some((m) => m.text === "bob's second" && m.deleted),
        "and the other taken back",
      );
    });

    it("relays what the room said while the relay was kicked out of it", async () => {
      const relayNick = h.bridge.relay.nickIn(h.room);
      assert.ok(relayNick);
      assert.ok(h.bridge.relay.isRelayIn(h.room), "the relay reads the room (no puppet is in it)");
      const from = h.net.calls.length;
      const back = h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/${relayNick}` && p.type === "available"),
        { timeoutMs: 10_000 },
      );
      const answer = await h.alice.iq(buildMucKick({ room: h.room, id: stanzaId("kick"), nick: relayNick }));
      assert.equal(answer.type, "result", `the kick was refused: ${answer.error?.condition}`);
      await say("said while the relay was out"); // before the relay's rejoin (it waits half a second)
      await back;
      await apiCall(h, (c) => c.method === "post" && c.args.text === "said while the relay was out");
      await say("said once it was back");
      await apiCall(h, (c) => c.method === "post" && c.args.text === "said once it was back");
      assert.deepEqual(relayedSince(from), ["post: said while the relay was out", "post: said once it was back"]);
    });

    it("reads the archive back to a message, the latest first, at most as many as asked", async () => {
      const said = [];
      for (const body of ["count 0", "count 1", "count 2", "count 3"]) said.push(await say(body));
      const ids = said.map((m) => stanzaIdBy(m, h.room));
      assert.ok(
        ids.every((id) => id !== undefined),
        "the room gives stanza-ids",
      );
      const since = new Date(Date.now() - 10 * 60_000);
      const bodies = (r: { messages: Array<{ message: Message }> }) => r.messages.map((m) => m.message.body);
      const two = await h.bridge.relay.archivedAfter(h.room, { after: ids[0] ?? "", since, max: 2 });
      assert.deepEqual(bodies(two), ["count 2", "count 3"]);
      assert.equal(two.more, true, "one more came after count 0");
      const all = await h.bridge.relay.archivedAfter(h.room, { after: ids[0] ?? "", since, max: 5 });
      assert.deepEqual(bodies(all), ["count 1", "count 2", "count 3"]);
      assert.equal(all.more, false);
      assert.ok(
        all.messages.every((m) => m.stamp instanceof Date),
        "each comes with the time the room archived it",
      );
      const none = await h.bridge.relay.archivedAfter(h.room, { after: ids[3] ?? "", since, max: 5 });
      assert.deepEqual(bodies(none), []);
      // A mark the archive does not have (too old, or from another room): the latest since, with more to say.
      const unknown = await h.bridge.relay.archivedAfter(h.room, { after: "no-such-id", since, max: 2 });
      assert.deepEqual(bodies(unknown), ["count 2", "count 3"]);
      assert.equal(unknown.more, true);
    });
  });
}
