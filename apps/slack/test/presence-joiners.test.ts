/**
 * Members who join a linked channel after the bridge started are polled
 * like those found at start (issue 12): on Prosody with the fake Slack, a
 * member joins, goes away on Slack, and the room shows their puppet away;
 * once they leave, they are no longer polled.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Presence } from "@parley/stanza";
import { isPresence } from "@parley/testkit";
import { assertNoViolations, type SlackHarness, startHarness, until } from "./harness.ts";

describe("Slack presence of members who join after start (Prosody)", () => {
  let h: SlackHarness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("polls a member who joined after start: away on Slack is away in the room, seen by alice", async () => {
    // The members at start (anna, bob) are listed and asked first: Carol joins after that.
    await until("users.getPresence asked for each member at start", () =>
      [h.anna.id, h.bob.id].every((id) =>
        h.fake.requests.some((r) => r.method === "users.getPresence" && r.args.user === id),
      ),
    );
    const carol = h.fake.createUser({
      name: "carol",
      realName: "Carol Jones",
      displayName: "Carol",
      presence: "active",
    });
    const asked = () => h.fake.requests.filter((r) => r.method === "users.getPresence" && r.args.user === carol.id);
    const seated = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type !== "unavailable" && p.show === undefined),
      { timeoutMs: 15_000, description: "Carol's puppet in the room, available" },
    );
    h.fake.joinChannel(h.general.id, carol.id);
    await seated;
    // Asked when she joined (active): what comes next can only be found by polling.
    await until("Carol's presence asked when she joined", () => asked().length >= 1);
    const polledBefore = asked().length;
    h.fake.setPresence(carol.id, "away");
    // The harness polls every 30 s, one users.getPresence call about every 1.3 s.
    const away = await h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.show === "away"),
      { timeoutMs: 90_000, description: "Carol's puppet in the room, away" },
    );
    assert.notEqual((away.stanza as Presence).type, "unavailable");
    assert.ok(asked().length > polledBefore, "Carol's presence was polled after she joined");
    assert.equal(h.connector?.cacheSizes()["slack.presence"], 3, "anna, bob and carol are polled");

    // Leaving the only linked channel: her puppet leaves and she is polled no more.
    const left = h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/Carol` && p.type === "unavailable"),
      { timeoutMs: 15_000, description: "Carol's puppet leaving the room" },
    );
    h.fake.leaveChannel(h.general.id, carol.id);
    await left;
    await until("Carol dropped from polling", () => h.connector?.cacheSizes()["slack.presence"] === 2);
  });
});
