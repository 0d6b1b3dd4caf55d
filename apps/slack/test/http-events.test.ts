/**
 * HTTP Events mode: Slack's url_verification handshake is answered, signed
 * events are relayed, Slack's retries of a delivery are handed over once,
 * and a badly signed request is refused.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { freePort } from "@parley/testkit";
import { assertNoViolations, nothingMoreInRoom, postAndSee, type SlackHarness, startHarness } from "./harness.ts";

describe("HTTP Events mode", () => {
  let h: SlackHarness;
  before(async () => {
    const port = await freePort();
    h = await startHarness({
      slack: {
        mode: "http",
        appToken: undefined,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: loadConfig's ${NAME} syntax; the harness sets it
        signingSecret: "${SLACK_SIGNING_SECRET}",
        port,
        host: "127.0.0.1",
        presence: false,
      },
      beforeBridge: (fake) => fake.useHttpEvents({ url: `http://127.0.0.1:${port}/slack/events`, retryDelayMs: 200 }),
    });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("answers the url_verification handshake", async () => {
    assert.equal(await h.fake.verifyRequestUrl(), true);
  });

  it("relays signed events", async () => {
    await postAndSee(h, h.anna, "over http");
    await nothingMoreInRoom(h, "over http");
  });

  it("refuses badly signed and tampered requests", async () => {
    for (const how of ["wrong-secret", "tampered"] as const) {
      const d = h.fake.deliverBadlySigned(
        { type: "message", channel: h.general.id, user: h.bob.id, text: `forged ${how}`, ts: "1700000000.000100" },
        how,
      );
      await h.fake.waitFor(() => d.attempts.length > 0 || undefined, { what: "the forged delivery answered" });
      assert.ok(
        d.attempts.every((a) => a.status === 401),
        JSON.stringify(d.attempts),
      );
    }
    await nothingMoreInRoom(h, "forged");
  });
});
