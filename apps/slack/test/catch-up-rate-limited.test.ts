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
  nothingMoreInRoom,
  outageOnlyHistoryKnows,
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
    const limitedHistory = () =>
      h.fake.requests.filter((r) => r.status === 429 && r.method === "conversations.history").length;
    const limitedBefore = limitedHistory();
    await outageOnlyHistoryKnows(h, AWAY);
    const got = await collectInRoom(h, "Bob", "away ", AWAY);
    assert.deepEqual(
      got.map((m) => m.body),
      Array.from({ length: AWAY }, (_, i) => `away ${i}`),
    );
    await nothingMoreInRoom(h, "away ");
    assert.ok(limitedHistory() > limitedBefore, "the fake refused at least one history call (the test tests the wait)");
  });
});
