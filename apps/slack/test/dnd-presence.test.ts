/**
 * Members whose notifications are paused on Slack (Do Not Disturb: their DND
 * hours or a snooze) show as dnd in the room (issue 15): on Prosody with the
 * fake Slack, read with dnd.teamInfo when seated and on each presence poll;
 * a timer flips a member back at the snooze's end. Away stays away.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Presence } from "@parley/stanza";
import { isPresence } from "@parley/testkit";
import { assertNoViolations, type SlackHarness, startHarness } from "./harness.ts";

describe("Slack Do Not Disturb shown as dnd (Prosody)", () => {
  let h: SlackHarness;

  before(async () => {
    h = await startHarness({
      beforeBridge: (fake) => {
        const anna = fake.userNamed("anna");
        const bob = fake.userNamed("bob");
        assert.ok(anna && bob);
        // Anna (active) is inside her DND hours when the bridge starts; Bob (away) snoozes.
        fake.setDnd(anna.id, {
          window: { start: new Date(Date.now() - 60_000), end: new Date(Date.now() + 3_600_000) },
        });
        fake.setDnd(bob.id, { snoozeMinutes: 60 });
      },
    });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  const showOf = (nick: string, show: Presence["show"] | undefined) =>
    h.alice.waitFor(
      isPresence((p) => p.from === `${h.room}/${nick}` && p.type !== "unavailable" && p.show === show),
      { timeoutMs: 90_000, description: `${nick}'s puppet in the room, ${show ?? "available"}` },
    );
  const teamInfoCalls = () => h.fake.requests.filter((r) => r.method === "dnd.teamInfo");

  it("seats a member in DND at start as dnd; an away member in DND stays away", async () => {
    await showOf(h.anna.nick, "dnd");
    await showOf(h.bob.nick, "away");
    const first = teamInfoCalls()[0];
    assert.ok(first?.ok, "dnd.teamInfo answered");
    assert.deepEqual(String(first.args.users).split(",").sort(), [h.anna.id, h.bob.id, h.fake.botUser.id].sort());
  });

  it("shows her available once her DND is turned off (seen at the next poll)", async () => {
    // Presences from before (her puppet's first, available one) do not count.
    h.alice.inbox.clear();
    h.fake.setDnd(h.anna.id, { off: true });
    await showOf(h.anna.nick, undefined);
  });

  it("shows a snooze as dnd, and available again when it ends", async () => {
    // The poll reads DND every 30 s in the harness: the snooze outlasts the next read.
    h.alice.inbox.clear();
    h.fake.setDnd(h.anna.id, { snoozeUntil: new Date(Date.now() + 60_000) });
    await showOf(h.anna.nick, "dnd");
    // Anna's timer waits for the snooze's end (Bob's for his, an hour away).
    assert.equal(h.connector?.cacheSizes()["slack.dndTimers"], 2);
    await showOf(h.anna.nick, undefined);
    assert.equal(h.warnings.length, 0, h.warnings.join("\n"));
  });
});
