/** Web API failures classified for the delivery queue, with a notice naming the fix where a person must act. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PermanentError, silentLogger, TransientError } from "@parley/bridge";
import { webApi } from "@slack/bolt";
import { SlackFailures } from "../src/slack-failures.ts";

const platform = (error: string) =>
  Object.assign(new Error(`An API error occurred: ${error}`), {
    code: webApi.ErrorCode.PlatformError,
    data: { ok: false, error },
  });

function failures() {
  const notices: string[] = [];
  const f = new SlackFailures({
    logger: silentLogger,
    notifyAdmins: async (text) => {
      notices.push(text);
    },
    channelLabel: (id) => `#general (${id})`,
  });
  return { f, notices };
}

describe("SlackFailures", () => {
  it("makes a 429 transient, waiting for Retry-After", () => {
    const { f } = failures();
    const e = f.classify(
      Object.assign(new Error("rate limited"), { code: webApi.ErrorCode.RateLimitedError, retryAfter: 7 }),
      {
        action: "posting a message",
      },
    );
    assert.ok(e instanceof TransientError);
    assert.equal(e.retryAfterMs, 7000);
  });

  for (const [code, fix] of [
    ["not_in_channel", /\/invite/],
    ["missing_scope", /scopes/],
    ["invalid_auth", /connectors\.slack\.botToken/],
    ["token_revoked", /reinstall/],
  ] as const) {
    it(`makes ${code} permanent and tells the admins once how to fix it`, async () => {
      const { f, notices } = failures();
      for (let i = 0; i < 2; i++) {
        const e = f.classify(platform(code), { action: "posting a message", channel: "C1" });
        assert.ok(e instanceof PermanentError);
        assert.match(e.message, fix);
      }
      await new Promise((r) => setImmediate(r));
      assert.equal(notices.length, 1);
      assert.match(notices[0] ?? "", fix);
    });
  }

  it("retries Slack's own failures and network errors, not a message that is gone", () => {
    const { f, notices } = failures();
    assert.ok(f.classify(platform("internal_error"), { action: "x" }) instanceof TransientError);
    assert.ok(f.classify(new Error("socket hang up"), { action: "x" }) instanceof TransientError);
    assert.ok(
      f.classify(Object.assign(new Error("503"), { code: webApi.ErrorCode.HTTPError, statusCode: 503 }), {
        action: "x",
      }) instanceof TransientError,
    );
    assert.ok(f.classify(platform("message_not_found"), { action: "x" }) instanceof PermanentError);
    assert.equal(notices.length, 0);
  });
});
