import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PermanentError, TransientError } from "@parley/bridge";
import { DiscordAPIError, HTTPError } from "discord.js";
import { ApiFailures } from "../src/permissions.ts";

const WEBHOOK_URL = "http://127.0.0.1:1/api/v10/webhooks/123/very-secret-webhook-token?wait=true";

function apiError(status: number, code: number, message: string): DiscordAPIError {
  return new DiscordAPIError({ code, message }, code, status, "POST", WEBHOOK_URL, {
    body: undefined,
    files: undefined,
  });
}

function setup() {
  const notices: string[] = [];
  const lines: string[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (m: string) => void lines.push(m),
    error: (m: string) => void lines.push(m),
    child: () => logger,
  };
  const failures = new ApiFailures({
    logger,
    notifyAdmins: async (text) => void notices.push(text),
    channelLabel: (id) => `#general (${id})`,
  });
  return { failures, notices, lines };
}

describe("ApiFailures", () => {
  it("makes Missing Permissions permanent and tells the admins once per channel and permission", () => {
    const { failures, notices, lines } = setup();
    const call = { action: "finding the channel's webhook", channel: "111", permission: "Manage Webhooks" } as const;
    for (let i = 0; i < 3; i++) {
      const e = failures.classify(apiError(403, 50013, "Missing Permissions"), call);
      assert.ok(e instanceof PermanentError);
      assert.match(e.message, /Manage Webhooks/);
    }
    assert.equal(notices.length, 1);
    assert.match(notices[0] as string, /"Manage Webhooks" permission in channel #general \(111\)/);
    failures.classify(apiError(403, 50013, "Missing Permissions"), { ...call, channel: "222" });
    failures.classify(apiError(403, 50013, "Missing Permissions"), { ...call, permission: "Add Reactions" });
    assert.equal(notices.length, 3);
    assert.ok(lines.length >= 3, "each notice is logged");
  });

  it("reads Missing Access as View Channel", () => {
    const { failures, notices } = setup();
    const e = failures.classify(apiError(403, 50001, "Missing Access"), { action: "posting", channel: "1" });
    assert.ok(e instanceof PermanentError);
    assert.match(notices[0] as string, /"View Channel"/);
  });

  it("says an unknown channel should be unlinked", () => {
    const { failures, notices } = setup();
    const e = failures.classify(apiError(404, 10003, "Unknown Channel"), { action: "posting", channel: "9" });
    assert.ok(e instanceof PermanentError);
    assert.match(notices[0] as string, /does not exist any more.*[Uu]nlink/s);
  });

  it("tells the admins about a refused token once", () => {
    const { failures, notices } = setup();
    failures.classify(apiError(401, 0, "401: Unauthorized"), { action: "posting" });
    failures.classify(apiError(401, 0, "401: Unauthorized"), { action: "reacting" });
    assert.equal(notices.length, 1);
    assert.match(notices[0] as string, /connectors\.discord\.token/);
  });

  it("makes 5xx, 429, timeouts and network failures transient", () => {
    const { failures, notices } = setup();
    const call = { action: "posting", channel: "1" };
    assert.ok(failures.classify(apiError(500, 0, "Internal Server Error"), call) instanceof TransientError);
    assert.ok(failures.classify(apiError(429, 0, "You are being rate limited."), call) instanceof TransientError);
    const http = new HTTPError(502, "Bad Gateway", "POST", WEBHOOK_URL, { body: undefined, files: undefined });
    assert.ok(failures.classify(http, call) instanceof TransientError);
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    assert.ok(failures.classify(refused, call) instanceof TransientError);
    const abort = new DOMException("This operation was aborted", "AbortError");
    assert.ok(failures.classify(abort, call) instanceof TransientError);
    assert.equal(notices.length, 0);
  });

  it("makes other refusals permanent without a notice", () => {
    const { failures, notices } = setup();
    const e = failures.classify(apiError(400, 50035, "Invalid Form Body"), { action: "posting", channel: "1" });
    assert.ok(e instanceof PermanentError);
    assert.equal(notices.length, 0);
  });

  it("never puts the request URL (with its webhook token) in a message", () => {
    const { failures, notices } = setup();
    const errors = [
      failures.classify(apiError(403, 50013, "Missing Permissions"), { action: "posting", channel: "1" }),
      failures.classify(apiError(400, 50035, "Invalid Form Body"), { action: "posting" }),
      failures.classify(new HTTPError(503, "x", "POST", WEBHOOK_URL, { body: undefined, files: undefined }), {
        action: "posting",
      }),
    ];
    for (const text of [...errors.map((e) => e.message), ...notices]) {
      assert.ok(!text.includes("very-secret-webhook-token"), text);
    }
  });

  it("run passes results through and rethrows classified", async () => {
    const { failures } = setup();
    assert.equal(await failures.run({ action: "x" }, async () => 5), 5);
    await assert.rejects(
      failures.run({ action: "x" }, async () => {
        throw apiError(500, 0, "boom");
      }),
      TransientError,
    );
    assert.equal(ApiFailures.codeOf(apiError(404, 10008, "Unknown Message")), 10008);
  });

  it("hands a 429's retry_after to the delivery queue, in milliseconds, instead of waiting here", () => {
    const { failures } = setup();
    const limited = new DiscordAPIError(
      { code: 0, message: "You are being rate limited.", retry_after: 1.5, global: false } as never,
      0,
      429,
      "POST",
      WEBHOOK_URL,
      { body: undefined, files: undefined },
    );
    const e = failures.classify(limited, { action: "posting", channel: "1" });
    assert.ok(e instanceof TransientError);
    assert.equal(e.retryAfterMs, 1500);
  });
});
