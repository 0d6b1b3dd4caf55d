/**
 * Socket Mode on a busy link (issue 17): Slack's answers to the client's
 * pings arrive late, later than @slack/socket-mode's own 5 s timeout but
 * within the bridge's default, and the connection stays up — no
 * reconnection, so no catch-up storm. On Prosody with the fake Slack.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type SlackHarness, startHarness, until } from "./harness.ts";

/** Later than the library's 5 s default, within the bridge's 15 s. */
const PONG_DELAY_MS = 8000;

describe("Slack Socket Mode ping timeout (Prosody)", () => {
  let h: SlackHarness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it("keeps its connection while pongs come late, within the timeout", async () => {
    assert.equal(h.connector?.options.clientPingTimeoutSeconds, 15, "the default is in force");
    const { opened, pongs } = h.fake.connections;
    h.fake.setPongDelay(PONG_DELAY_MS);
    // Three late pongs: the client has checked its last pong's age several times meanwhile.
    await until("three late pongs", () => h.fake.connections.pongs >= pongs + 3, 90_000);
    assert.equal(h.fake.connections.opened, opened, "no reconnection");
    assert.equal(h.fake.connections.open, 1);
    assert.ok(
      !h.warnings.some((w) => w.includes("Socket Mode connection dropped")),
      `warnings: ${h.warnings.join("\n")}`,
    );
  });
});
