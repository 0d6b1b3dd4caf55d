/**
 * Catch-up in threads, end to end: a thread the bridge saw live resumes after
 * its last relayed message, a thread seen live with nothing said in it and a
 * thread started while the bridge was down are caught up too, each as its own
 * XEP-0201 thread with the original times, and once only.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { APIMessage } from "discord-api-types/v10";
import {
  assertNoViolations,
  collectInRoom,
  type DiscordHarness,
  inRoom,
  nothingMoreInRoom,
  postAndSee,
  roomMessage,
  startHarness,
} from "./harness.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("catch-up in threads", () => {
  let h: DiscordHarness;
  before(async () => {
    h = await startHarness();
    await postAndSee(h, h.bob, h.general, h.room, "warming up");
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("relays what was said in threads while the bridge was down, once, in order, with the original times", async () => {
    const seenLive = h.fake.createThread(h.general.id, { name: "seen live", by: h.anna.id });
    const live = roomMessage(h, h.room, h.bob.nick, (m) => m.body === "live in the thread");
    h.fake.post(seenLive.id, h.bob.id, "live in the thread");
    assert.equal((await live).thread?.id, seenLive.id);
    // A thread seen live with nothing said in it: it has no cursor, and the parent's cursor moves past it.
    const quiet = h.fake.createThread(h.general.id, { name: "quiet", by: h.anna.id });
    await postAndSee(h, h.bob, h.general, h.room, "after the quiet thread");

    await h.stopBridge();
    const posted = new Map<string, APIMessage[]>();
    const post = (thread: string, body: string) => {
      const m = h.fake.post(thread, h.bob.id, body);
      posted.set(thread, [...(posted.get(thread) ?? []), m]);
    };
    for (let i = 1; i <= 3; i++) post(seenLive.id, `down live ${i}`);
    for (let i = 1; i <= 2; i++) post(quiet.id, `down quiet ${i}`);
    const started = h.fake.createThread(h.general.id, { name: "started while down", by: h.bob.id });
    for (let i = 1; i <= 3; i++) post(started.id, `down new ${i}`);
    // Older than the engine's 5 s threshold, so the delay stamp is due.
    await sleep(5500);

    const seen = collectInRoom(h, h.room, h.bob.nick, "down ", 8);
    await h.startBridge();
    const got = await seen;
    for (const [thread, messages] of posted) {
      const inThread = got.filter((m) => m.thread?.id === thread);
      assert.deepEqual(
        inThread.map((m) => m.body),
        messages.map((m) => m.content),
        `the messages of thread ${thread}, in order, each once`,
      );
      for (const [i, m] of inThread.entries()) {
        assert.equal(m.delay?.stamp?.getTime(), Date.parse(messages[i]?.timestamp ?? ""), "XEP-0203 delay");
      }
    }
    assert.equal(got.filter((m) => m.thread === undefined).length, 0, "no thread message lost its XEP-0201 thread");
    await nothingMoreInRoom(h, h.room, "down ", "sentinel after catch-up");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (m) => m.body === "live in the thread"),
        { timeoutMs: 100 },
      ),
      "a message relayed live was relayed again",
    );
  });

  it("relays nothing again after another restart", async () => {
    await h.stopBridge();
    await h.startBridge();
    await nothingMoreInRoom(h, h.room, "down ", "sentinel after the second restart");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (m) => m.body === "live in the thread"),
        { timeoutMs: 100 },
      ),
      "a message relayed live was relayed again",
    );
  });
});
