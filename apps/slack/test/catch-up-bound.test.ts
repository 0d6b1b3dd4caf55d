/**
 * A catch-up held to its safety bound (`catchUpLimit`) over more than one
 * page of conversations.history: Slack lists newest first, so the oldest
 * messages after the cursor come on the last page. The bridge relays the
 * oldest `catchUpLimit` of them, in order, and says the newer ones were not
 * relayed; it used to stop reading once it held enough and relay a middle
 * slice, skipping the oldest.
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
  until,
} from "./harness.ts";

const AWAY = 450;
const BOUND = 250;

describe("catch-up at its safety bound", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startHarness({ slack: { presence: false, catchUpLimit: BOUND } });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("relays the oldest messages up to the bound, in order, and warns of the rest", async () => {
    await outageOnlyHistoryKnows(h, AWAY);
    const got = await collectInRoom(h, "Bob", "away ", BOUND);
    assert.deepEqual(
      got.map((m) => m.body),
      Array.from({ length: BOUND }, (_, i) => `away ${i}`),
    );
    await nothingMoreInRoom(h, "away ");
    await until("the warning of the safety bound", () => h.warnings.find((w) => w.includes("safety bound")));
  });
});
