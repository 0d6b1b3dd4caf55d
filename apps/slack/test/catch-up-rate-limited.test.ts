/**
 * A catch-up longer than Slack lets conversations.history be called at
 * once: the bridge comes back to 450 messages (three pages of 200), and the
 * fake allows two calls at once, then one a second. The refused call is
 * asked again after its Retry-After and the listing goes on from where it
 * stopped, so every message arrives, in order, once (it used to end the
 * channel's catch-up with "could not catch up on a channel").
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  assertNoViolations,
  collectInRoom,
  mapped,
  nothingMoreInRoom,
  postAndSee,
  type SlackHarness,
  startHarness,
} from "./harness.ts";

const AWAY = 450;

describe("catch-up under conversations.history's rate limit", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startHarness({
      slack: { presence: false },
      rateLimits: { methods: { "conversations.history": { perMinute: 60, burst: 2 } } },
    });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("reads every page in turn, waiting out the 429s, and relays all of it in order", async () => {
    const { ts } = await postAndSee(h, h.anna, "before the outage");
    await mapped(h, ts);
    await h.stopBridge();
    const limitedBefore = h.fake.requests.filter((r) => r.status === 429).length;
    for (let i = 0; i < AWAY; i++) h.fake.post(h.general.id, h.bob.id, `away ${i}`);
    // Slack has stopped handing these over (the app was away past its retries): only history has them.
    assert.equal(h.fake.giveUpUndelivered(), AWAY);
    await h.startBridge();
    const got = await collectInRoom(h, "Bob", "away ", AWAY);
    assert.deepEqual(
      got.map((m) => m.body),
      Array.from({ length: AWAY }, (_, i) => `away ${i}`),
    );
    await nothingMoreInRoom(h, "away ");
    const limited = h.fake.requests.filter((r) => r.status === 429 && r.method === "conversations.history");
    assert.ok(limited.length > limitedBefore, "the fake refused at least one history call (the test tests the wait)");
  });
});
